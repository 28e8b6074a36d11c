/**
 * Process entry: `spendflow <command>`. Exit codes: 0 success, 1 runtime failure, 2 bad usage or
 * bad configuration.
 */
import { pathToFileURL } from 'node:url';
import { runCli } from './cli/index.ts';
import { registerRuntimeHooks } from './runtime/hooks.ts';

export async function main(argv: readonly string[]): Promise<number> {
  registerRuntimeHooks();
  // `spendflow simulate --stdout | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await main(process.argv.slice(2));
}
