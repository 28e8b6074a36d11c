/**
 * A real InfluxDB 1.x for tests, without Docker. SPENDFLOW_TEST_INFLUX_URL points at one that is
 * already running (a developer's compose stack); otherwise Debian's `influxd` (1.6) is started on
 * free loopback ports with a temporary data directory and a generated config, and stopped by PID
 * afterwards. A missing binary is an error, never a skip.
 *
 * `startLocalServer` (start a daemon, poll its readiness URL, stop it by PID, remove its
 * directory) is shared with ./prometheus.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { freePort } from './kafka-broker.ts';

const INSTALL_HINT = "install Debian's packages: apt-get install influxdb prometheus";

/** The absolute path of `name` on PATH; throws naming the packages to install when it is missing. */
export function findBinary(name: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} is not on PATH: this test runs a real ${name}; ${INSTALL_HINT}`);
}

export interface LocalServer {
  /** Base URL, e.g. http://127.0.0.1:8086 (no trailing slash). */
  readonly url: string;
  /** True when this process started the server (and `stop` ends it). */
  readonly own: boolean;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period) and removes its directory. */
  stop(): Promise<void>;
  /** The server's last output lines, for failure messages. */
  logTail(lines?: number): string;
}

/** A server someone else runs: nothing to start or stop. */
export function externalServer(url: string): LocalServer {
  return { url: url.replace(/\/+$/, ''), own: false, stop: async () => {}, logTail: () => `(external server at ${url})` };
}

/**
 * Kills the daemon if this process dies without stopping it, so a killed test run leaves nothing
 * behind: a detached shell polls both pids and only kills a pid whose command line still names
 * the daemon's directory.
 */
function watchdog(pid: number, dir: string): void {
  const script =
    `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; ` +
    `if kill -0 ${pid} 2>/dev/null && grep -qs -- "${dir}" /proc/${pid}/cmdline; then kill -9 ${pid}; fi`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

/**
 * Starts `binary args` (whose arguments name `dir`), waits until `readyUrl` answers 2xx, and
 * returns a handle that stops it by PID and removes `dir`.
 */
export async function startLocalServer(options: {
  readonly binary: string;
  readonly args: readonly string[];
  readonly dir: string;
  readonly url: string;
  readonly readyUrl: string;
  readonly timeoutMs?: number;
}): Promise<LocalServer> {
  const { binary, dir } = options;
  const child: ChildProcess = spawn(binary, [...options.args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d: Buffer) => (output = (output + d.toString('utf8')).slice(-20_000));
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once('spawn', () => resolve(null));
    child.once('error', (err) => resolve(err));
  });
  if (spawned) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start ${binary}: ${spawned.message}; ${INSTALL_HINT}`);
  }
  watchdog(child.pid!, dir);
  const logTail = (lines = 30) => output.split('\n').slice(-lines).join('\n');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last = 'no attempt yet';
  let gone: number | null | undefined;
  void exited.then((code) => (gone = code));
  while (Date.now() < deadline) {
    if (gone !== undefined) {
      await stop();
      throw new Error(`${binary} exited with ${gone} while starting:\n${logTail()}`);
    }
    try {
      const res = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return { url: options.url, own: true, stop, logTail };
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${binary} not ready at ${options.readyUrl} after ${timeoutMs} ms (${last}):\n${logTail()}`);
}

/** InfluxDB from SPENDFLOW_TEST_INFLUX_URL, or a fresh `influxd` of this process's own. */
export async function startInfluxDB(): Promise<LocalServer> {
  const given = process.env['SPENDFLOW_TEST_INFLUX_URL'];
  if (given) return externalServer(given);
  const binary = findBinary('influxd');
  const dir = mkdtempSync(join(tmpdir(), 'spendflow-influxdb-'));
  for (const sub of ['meta', 'data', 'wal']) mkdirSync(join(dir, sub));
  const httpPort = await freePort();
  let rpcPort = await freePort();
  while (rpcPort === httpPort) rpcPort = await freePort();
  const config = join(dir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${httpPort}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const url = `http://127.0.0.1:${httpPort}`;
  return startLocalServer({ binary, args: ['-config', config], dir, url, readyUrl: `${url}/ping` });
}

/** One statement's answer from InfluxDB's /query. */
export interface InfluxStatement {
  readonly statement_id?: number;
  readonly error?: string;
  readonly series?: readonly { name: string; tags?: Record<string, string>; columns: string[]; values?: unknown[][] }[];
}

/** Runs InfluxQL through the HTTP API (epoch ms), returning the statements or the error answer. */
export async function influxQuery(url: string, db: string, q: string): Promise<{ status: number; error?: string; results: InfluxStatement[] }> {
  const params = new URLSearchParams({ db, q, epoch: 'ms' });
  const res = await fetch(`${url}/query?${params.toString()}`, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json().catch(() => ({ error: `not JSON (HTTP ${res.status})` }))) as { error?: string; results?: InfluxStatement[] };
  return { status: res.status, ...(body.error !== undefined ? { error: body.error } : {}), results: body.results ?? [] };
}
