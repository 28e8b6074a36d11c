/**
 * A headless Chromium for browser tests: Debian's `chromium` (or CHROMIUM_PATH), driven by
 * playwright-core, which downloads no browser of its own. A missing binary fails the test with
 * what to install; it never skips. Each launch gets a fresh temporary profile (playwright makes
 * one per launch and removes it on close), and the flags keep Chromium from calling home.
 */
import { accessSync, constants } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** The Chromium binary to drive; throws naming what to install when there is none. */
export function chromiumPath(): string {
  const path = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(
      `no Chromium at ${path}: browser tests need Debian's chromium (run: apt-get install chromium) ` +
        'or CHROMIUM_PATH set to a Chromium or Chrome binary',
    );
  }
  return path;
}

export async function launchChromium(): Promise<Browser> {
  const executablePath = chromiumPath();
  try {
    return await chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS] });
  } catch (err) {
    throw new Error(`Chromium at ${executablePath} did not start (is it Debian's chromium? apt-get install chromium): ${(err as Error).message}`, { cause: err });
  }
}
