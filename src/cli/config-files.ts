import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/loader.ts';
import type { Config } from '../config/types.ts';

/** The repository's config/default.yaml, wherever the command is run from. */
export const DEFAULT_CONFIG_FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../config/default.yaml');

/** config/default.yaml, then each --config file, then SPENDFLOW_CONFIG and SPENDFLOW_* variables. */
export function loadServiceConfig(files: readonly string[], env: Readonly<Record<string, string | undefined>>, overrides?: unknown): Config {
  return loadConfig({ files: [DEFAULT_CONFIG_FILE, ...files], env, ...(overrides === undefined ? {} : { overrides }) });
}
