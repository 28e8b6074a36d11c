/** Runs `spendflow` (and other programs) as child processes, as a user would, and cleans up. */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SPENDFLOW_BIN = resolve(REPO, 'bin/spendflow.js');

export interface Running {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

export function run(command: string, args: readonly string[], env: Record<string, string> = {}): Running {
  // Own process group, so stopping also stops grandchildren (npm → tsx → node).
  const child = spawn(command, [...args], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString('utf8')));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return {
    child,
    output: () => out,
    exited,
    async stop() {
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      if (child.exitCode === null && child.signalCode === null) signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

export function spendflow(args: readonly string[], env: Record<string, string> = {}): Running {
  return run(process.execPath, [SPENDFLOW_BIN, ...args], env);
}

/** The URL a `spendflow serve` process logged it listens on. */
export function listeningUrl(output: string): string | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes('"listening"')) continue;
    try {
      return (JSON.parse(line) as { url?: string }).url;
    } catch {
      // not a JSON log line
    }
  }
  return undefined;
}
