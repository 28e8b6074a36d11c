/**
 * A private single-node Apache Kafka broker (KRaft, combined broker+controller) for tests that
 * must stop and start a broker of their own without disturbing the shared one from
 * scripts/kafka.sh. It runs `kafka.Kafka` from the jars scripts/kafka.sh fetches, with the same
 * server properties, but in its own directory and on its own ports, and keeps that directory
 * (and the ports) across `stop()` and `start()`: a restart is a restart of the same broker with
 * its data, not a fresh one. scripts/kafka.sh cannot do this: its run directory is fixed, `stop`
 * deletes the data and `start` formats it again.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import kafkajs from 'kafkajs';
import { REPO } from './processes.ts';

const run = promisify(execFile);

function kafkaLibs(): string {
  const pom = readFileSync(resolve(REPO, 'scripts/kafka/pom.xml'), 'utf8');
  const version = /<kafka\.version>(.*)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('scripts/kafka/pom.xml names no kafka.version');
  const cache = process.env['SPENDFLOW_CACHE'] ?? resolve(REPO, '.cache');
  const libs = join(cache, `kafka-${version}`, 'libs');
  if (!existsSync(join(libs, '.complete'))) execFileSync('bash', [resolve(REPO, 'scripts/kafka.sh'), 'fetch'], { stdio: 'inherit' });
  return libs;
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once the broker answers metadata and describeCluster (as scripts/kafka-ready.mjs checks). */
export async function waitForBroker(brokers: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const kafka = new kafkajs.Kafka({ clientId: 'test-broker-ready', brokers: brokers.split(','), logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1000 });
  let last = 'no attempt';
  while (Date.now() < deadline) {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.listTopics();
      await admin.describeCluster();
      await admin.disconnect();
      return;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
      await admin.disconnect().catch(() => {});
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  throw new Error(`broker ${brokers} not ready after ${timeoutMs} ms: ${last}`);
}

/**
 * Kills the broker if this process dies without stopping it (a killed test run must not leave a
 * broker behind): a detached shell polls both pids and exits when the broker is gone; it only
 * kills a pid whose command line still names this broker's directory.
 */
function watchdog(brokerPid: number, dir: string): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${brokerPid} 2>/dev/null; do sleep 1; done; ` +
    `if kill -0 ${brokerPid} 2>/dev/null && grep -qs -- "${dir}" /proc/${brokerPid}/cmdline; then kill -9 ${brokerPid}; fi`;
  spawn('bash', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

export interface PrivateBroker {
  /** host:port for clients. */
  readonly brokers: string;
  readonly dir: string;
  /** The broker process's pid while it runs. */
  pid(): number | null;
  /** Starts the broker on its data directory and port, and waits until it answers. */
  start(timeoutMs?: number): Promise<void>;
  /** Sends `signal` (default SIGTERM: a controlled shutdown) and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  /** Stops it (if running) and deletes its directory. */
  destroy(): Promise<void>;
  /** The last lines of its stdout and server log, for failure messages. */
  logTail(lines?: number): string;
}

/** Formats a new broker in a fresh temporary directory (not started yet). */
export async function createPrivateBroker(options: { heap?: string } = {}): Promise<PrivateBroker> {
  const libs = kafkaLibs();
  const dir = mkdtempSync(join(tmpdir(), 'spendflow-broker-'));
  mkdirSync(join(dir, 'data'));
  const port = await freePort();
  let cport = await freePort();
  while (cport === port) cport = await freePort();
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${cport}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${cport}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      `log.dirs=${join(dir, 'data')}`,
      'num.partitions=3',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=3',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'transaction.state.log.num.partitions=3',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=true',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'log4j2.properties'),
    [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = file',
      'appender.file.fileName = ${sys:kafka.logs.dir}/server.log',
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      'rootLogger.level = info',
      'rootLogger.appenderRef.file.ref = file',
      'logger.kafka.name = kafka',
      'logger.kafka.level = warn',
      'logger.apache.name = org.apache.kafka',
      'logger.apache.level = warn',
      '',
    ].join('\n'),
  );
  const jvm = [`-Xmx${options.heap ?? '512m'}`, '-Xms128m', '-XX:+UseG1GC', '-Djava.awt.headless=true', `-Dkafka.logs.dir=${dir}`, `-Dlog4j2.configurationFile=${join(dir, 'log4j2.properties')}`];
  const cp = `${libs}/*`;
  const cluster = (await run('java', [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'random-uuid'])).stdout.trim();
  await run('java', [...jvm, '-cp', cp, 'kafka.tools.StorageTool', 'format', '-t', cluster, '-c', props]);

  const brokers = `127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  let exited: Promise<number | null> = Promise.resolve(null);
  let stdout = '';

  const self: PrivateBroker = {
    brokers,
    dir,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid ?? null : null),
    async start(timeoutMs = 60_000) {
      if (self.pid() !== null) return;
      const proc = spawn('java', [...jvm, '-cp', cp, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = proc;
      proc.stdout?.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-20_000)));
      proc.stderr?.on('data', (d: Buffer) => (stdout = (stdout + d.toString('utf8')).slice(-20_000)));
      exited = new Promise((r) => proc.on('exit', (code) => r(code)));
      watchdog(proc.pid!, dir);
      try {
        await Promise.race([
          waitForBroker(brokers, timeoutMs),
          exited.then((code) => {
            throw new Error(`broker exited with ${code} while starting`);
          }),
        ]);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${self.logTail()}`);
      }
    },
    async stop(signal = 'SIGTERM', graceMs = 30_000) {
      const proc = child;
      if (!proc || self.pid() === null) return null;
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async destroy() {
      await self.stop('SIGTERM', 15_000);
      rmSync(dir, { recursive: true, force: true });
    },
    logTail(lines = 30) {
      const server = existsSync(join(dir, 'server.log')) ? readFileSync(join(dir, 'server.log'), 'utf8') : '';
      return [`--- stdout/stderr`, ...stdout.split('\n').slice(-lines), `--- server.log`, ...server.split('\n').slice(-lines)].join('\n');
    },
  };
  return self;
}
