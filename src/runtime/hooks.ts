/**
 * Process-wide hooks installed once at start-up (src/main.ts), before anything loads tfjs: the
 * resolution hook that lets plain Node load tfjs-core's gradient registrations.
 */
import { register } from 'node:module';

let installed = false;

export function registerRuntimeHooks(): void {
  if (installed) return;
  installed = true;
  register(new URL('./tfjs-resolve-hook.mjs', import.meta.url));
}
