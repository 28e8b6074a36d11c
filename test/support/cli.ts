/** Runs `spendflow` as a library call, capturing stdout, stderr and the exit code. */
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/index.ts';

export async function runSpendflow(argv: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await runCli(argv, { stdout, stderr, env });
  return { code, out, err };
}
