/**
 * Process entry: `spendflow <command>`. Exit codes: 0 success, 1 runtime failure, 2 bad usage or
 * bad configuration.
 */
import { pathToFileURL } from 'node:url';
import { runCli } from './cli/index.ts';

export async function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
