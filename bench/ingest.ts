/**
 * `npm run bench:ingest`: spendflow on a real Kafka broker, against issue 5's two targets, each
 * figure next to a baseline measured in the same run (the machine is shared and noisy; the ratio
 * is what carries over).
 *
 * 1. Ingest (decode, validate, dedup, aggregate): N valid spend and sales events (default
 *    300,000) for 50 portfolios × 5 channels, produced beforehand into fresh topics (6
 *    partitions, keyed by portfolioId), every event time inside ONE bucket per portfolio, so no
 *    bucket closes and the figure is ingest alone. The app (buildApp + start, Kafka mode,
 *    exactly-once) is timed from `start()` until every event has been consumed and committed
 *    (`event.consumed` signals leave after their transaction commits; the group's committed
 *    offsets are checked against the topic ends afterwards). Baseline: a raw kafkajs consumer
 *    (eachBatch, no work, fresh group, read_committed like the app) reading the same topics to
 *    the end, once before and once after the app. Also: `pipeline.process` over the same records
 *    in process, without Kafka, next to `JSON.parse` of them.
 * 2. Bucket close → reallocations committed: 1,000 portfolios × 20 channels, one spend event per
 *    channel and one sales event per portfolio per bucket for 12 hourly buckets, produced up
 *    front (model.minBuckets 2, so the optimizer runs for most buckets); the app reads the
 *    backlog and every closed bucket's latency is taken when its `bucket.closed` signal leaves
 *    (after the commit): performance.now() − closedAt. Next to it: the model update and the
 *    reoptimization per portfolio-bucket and the transaction commit times, which explain it.
 *
 * Broker: KAFKA_BROKERS if set; otherwise one started with scripts/kafka.sh in a private run
 * directory (sharing the cached jars), stopped at the end, also on error.
 *
 * Flags: --events N (300000) --ingest-portfolios 50 --ingest-channels 5 --portfolios 1000
 * --channels 20 --buckets 12 --partitions 6 (ingest) --close-partitions 6 --only ingest|close.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import kafkajs from 'kafkajs';
import { buildApp, type App } from '../src/app.ts';
import { loadConfig } from '../src/config/loader.ts';
import type { Config } from '../src/config/types.ts';
import { createLogger } from '../src/log.ts';
import { createPipeline } from '../src/pipeline/pipeline.ts';
import { SignalBus, type PipelineSignal } from '../src/pipeline/signals.ts';
import type { SourceRecord } from '../src/ports.ts';
import { partitionFor } from '../src/stream/partitioning.ts';
import { StateTracker } from '../src/stream/state-tracker.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const HOUR = 3_600_000;

// ---------------------------------------------------------------------------------------------
// Flags

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} needs a positive integer, got ${process.argv[i + 1]}`);
  return v;
}
if (process.argv.includes('--help')) {
  console.log('usage: tsx bench/ingest.ts [--events 300000] [--ingest-portfolios 50] [--ingest-channels 5] [--portfolios 1000] [--channels 20] [--buckets 12] [--partitions 6] [--close-partitions 6] [--only ingest|close]');
  process.exit(0);
}
const opts = {
  events: flag('events', 300_000),
  ingestPortfolios: flag('ingest-portfolios', 50),
  ingestChannels: flag('ingest-channels', 5),
  portfolios: flag('portfolios', 1000),
  channels: flag('channels', 20),
  buckets: flag('buckets', 12),
  partitions: flag('partitions', 6),
  closePartitions: flag('close-partitions', 6),
  only: (() => {
    const i = process.argv.indexOf('--only');
    return i < 0 ? null : process.argv[i + 1]!;
  })(),
};
if (opts.only !== null && opts.only !== 'ingest' && opts.only !== 'close') throw new Error('--only takes ingest or close');
if (opts.buckets < 2) throw new Error('--buckets must be at least 2 (the last bucket stays open)');

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Nearest-rank percentile of an ascending array. */
function pct(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function summary(samples: readonly number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / Math.max(1, s.length);
  return { count: s.length, mean, p50: pct(s, 0.5), p95: pct(s, 0.95), p99: pct(s, 0.99), max: s.length ? s[s.length - 1]! : Number.NaN };
}

const fmtInt = (x: number) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : String(x));
const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : String(x));
const dist = (d: ReturnType<typeof summary>, unit = 'ms') => `p50 ${ms(d.p50)} / p95 ${ms(d.p95)} / p99 ${ms(d.p99)} / max ${ms(d.max)} ${unit} (n = ${fmtInt(d.count)})`;

/** A seeded generator (Park–Miller), so every run produces the same events. */
function rng(seed: number): () => number {
  let s = seed % 2147483647 || 1;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

/**
 * kafkajs logs every CONCURRENT_TRANSACTIONS answer (a new transaction's AddPartitionsToTxn while
 * the broker still completes the previous one) twice, and retries the send after its
 * retry.initialRetryTime (300 ms by default). They are counted, not printed; everything else goes to stderr.
 */
const logCounts = { concurrentTxnRetries: 0, suppressed: 0 };
const log = createLogger('warn', {
  write: (line) => {
    if (line.includes('another concurrent operation on the same transaction')) {
      if (line.includes('Failed to send messages')) logCounts.concurrentTxnRetries++;
      logCounts.suppressed++;
      return;
    }
    process.stderr.write(line + '\n');
  },
});
const kafkaClient = (brokers: string, clientId: string) => new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });

// ---------------------------------------------------------------------------------------------
// The broker

interface Broker {
  readonly brokers: string;
  readonly origin: string;
  stop(): void;
}

function startBroker(): Broker {
  const given = process.env['KAFKA_BROKERS'];
  if (given) return { brokers: given, origin: 'KAFKA_BROKERS', stop: () => {} };
  const script = resolve(ROOT, 'scripts/kafka.sh');
  const pom = readFileSync(resolve(ROOT, 'scripts/kafka/pom.xml'), 'utf8');
  const version = /<kafka\.version>(.*?)<\/kafka\.version>/.exec(pom)?.[1];
  if (!version) throw new Error('no <kafka.version> in scripts/kafka/pom.xml');
  // scripts/kafka.sh keeps one run directory per cache; another user of the same cache (a test
  // run) would share — and stop — the broker. A private cache that links the cached jars avoids it.
  const shared = process.env['SPENDFLOW_CACHE'] ?? resolve(ROOT, '.cache');
  if (!existsSync(join(shared, `kafka-${version}`, 'libs', '.complete'))) execFileSync('bash', [script, 'fetch'], { stdio: ['ignore', 'inherit', 'inherit'] });
  const cache = mkdtempSync(join(tmpdir(), 'spendflow-bench-kafka-'));
  symlinkSync(join(shared, `kafka-${version}`), join(cache, `kafka-${version}`));
  const env = { ...process.env, SPENDFLOW_CACHE: cache };
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    try {
      execFileSync('bash', [script, 'stop'], { env, stdio: ['ignore', 'ignore', 'inherit'] });
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  };
  try {
    const out = execFileSync('bash', [script, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    const brokers = out.split('\n').pop()!.trim();
    if (!/^[^\s,]+:\d+$/.test(brokers)) throw new Error(`scripts/kafka.sh start printed "${out}", not host:port`);
    return { brokers, origin: `scripts/kafka.sh start (Apache Kafka ${version}, single node, private run dir)`, stop };
  } catch (err) {
    stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// Topics, producing, reading offsets

interface Rec {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

async function createTopics(brokers: string, topics: readonly string[], partitions: number): Promise<void> {
  const admin = kafkaClient(brokers, 'bench-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions })) });
  } finally {
    await admin.disconnect();
  }
}

async function deleteTopics(brokers: string, prefix: string): Promise<void> {
  const admin = kafkaClient(brokers, 'bench-admin').admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 20_000 });
  } catch {
    // Best effort: a broker we started is removed with its data anyway.
  } finally {
    await admin.disconnect();
  }
}

/**
 * Produces the records in large batches. Idempotent: a plain producer's retry (a request timing
 * out on this loaded machine) writes a batch twice and out of order, which the app would then
 * count as duplicates and late events. Returns seconds.
 */
async function produce(brokers: string, records: readonly Rec[]): Promise<number> {
  const producer = kafkaClient(brokers, 'bench-producer').producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const t0 = performance.now();
  try {
    // One batch at a time: a portfolio's events must stay in event-time order on their
    // partition, which concurrent sends would not guarantee. Large batches keep it fast.
    const CHUNK = 10_000;
    for (let i = 0; i < records.length; i += CHUNK) {
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const r of records.slice(i, i + CHUNK)) {
        let list = byTopic.get(r.topic);
        if (!list) byTopic.set(r.topic, (list = []));
        list.push({ key: r.key, value: r.value });
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    }
  } finally {
    await producer.disconnect();
  }
  return (performance.now() - t0) / 1000;
}

/** Σ(topic end − start) over the partitions of the topics. */
async function topicEnds(brokers: string, topics: readonly string[]): Promise<Map<string, bigint>> {
  const admin = kafkaClient(brokers, 'bench-admin').admin();
  await admin.connect();
  try {
    const out = new Map<string, bigint>();
    for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) out.set(`${topic}/${o.partition}`, BigInt(o.high));
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** How many of the topics' records the group has committed (Σ committed offsets), and whether it reached the ends. */
async function committedVsEnds(brokers: string, groupId: string, topics: readonly string[]): Promise<{ committed: bigint; end: bigint; atEnd: boolean }> {
  const ends = await topicEnds(brokers, topics);
  const admin = kafkaClient(brokers, 'bench-admin').admin();
  await admin.connect();
  try {
    let committed = 0n;
    let atEnd = true;
    for (const t of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
      for (const p of t.partitions) {
        const c = BigInt(p.offset) < 0n ? 0n : BigInt(p.offset);
        committed += c;
        if (c < (ends.get(`${t.topic}/${p.partition}`) ?? 0n)) atEnd = false;
      }
    }
    return { committed, end: [...ends.values()].reduce((a, b) => a + b, 0n), atEnd };
  } finally {
    await admin.disconnect();
  }
}

/** Reads `expected` dead letters from the DLQ (read_committed) and tallies reason × source topic, with one example error each. */
async function tallyDeadLetters(brokers: string, config: Config, expected: number, timeoutMs = 30_000): Promise<Record<string, { count: number; example: string }>> {
  const out: Record<string, { count: number; example: string }> = {};
  if (expected === 0) return out;
  const consumer = kafkaClient(brokers, 'bench-dlq').consumer({ groupId: `bench-dlq-${Date.now().toString(36)}`, readUncommitted: false });
  let seen = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  await consumer.connect();
  await consumer.subscribe({ topics: [config.kafka.topics.dlq], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const letter = JSON.parse(m.value?.toString('utf8') ?? '{}') as { reason?: string; error?: string; source?: { topic?: string } };
        const kind = letter.source?.topic === config.kafka.topics.spend ? 'spend' : letter.source?.topic === config.kafka.topics.sales ? 'sales' : String(letter.source?.topic);
        const key = `${letter.reason} (${kind})`;
        out[key] ??= { count: 0, example: String(letter.error).slice(0, 200) };
        out[key].count++;
      }
      seen += batch.messages.length;
      if (seen >= expected) done();
    },
  });
  await Promise.race([finished, sleep(timeoutMs)]);
  await consumer.disconnect();
  return out;
}

/** The topics hold exactly the records produced (fresh topics), or the bench stops. */
async function checkProduced(brokers: string, topics: readonly string[], expected: number): Promise<void> {
  const total = [...(await topicEnds(brokers, topics)).values()].reduce((a, b) => a + b, 0n);
  if (total !== BigInt(expected)) throw new Error(`produced ${expected} records but the topics hold ${total}`);
}

/** A raw kafkajs consumer, no work per batch: the floor of reading these topics to the end. */
async function rawConsume(brokers: string, topics: readonly string[], total: number, timeoutMs: number) {
  const kafka = kafkaClient(brokers, 'bench-raw');
  const consumer = kafka.consumer({ groupId: `bench-raw-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`, readUncommitted: false, allowAutoTopicCreation: false });
  let count = 0;
  let first = Number.NaN;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const t0 = performance.now();
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      if (Number.isNaN(first)) first = performance.now();
      count += batch.messages.length;
      if (count >= total) done();
    },
  });
  const timedOut = await Promise.race([finished.then(() => false), sleep(timeoutMs).then(() => true)]);
  const end = performance.now();
  await consumer.disconnect();
  const seconds = (end - t0) / 1000;
  return { count, seconds, startupSeconds: (first - t0) / 1000, steadySeconds: (end - first) / 1000, rate: count / seconds, steadyRate: count / ((end - first) / 1000), timedOut };
}

/**
 * The floor of "committed": back-to-back bare kafkajs transactions (one record, the offsets, the
 * commit) with the app's producer settings, on the same broker. Milliseconds per transaction.
 */
async function bareTransactions(brokers: string, topic: string, groupId: string, count: number, gapMs: number): Promise<number[]> {
  const producer = kafkaClient(brokers, 'bench-txn').producer({
    transactionalId: `${groupId}.bare`,
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const out: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      if (gapMs > 0) await sleep(gapMs);
      const t0 = performance.now();
      const txn = await producer.transaction();
      await txn.sendBatch({ acks: -1, topicMessages: [{ topic, messages: [{ key: 'bare', value: String(i), partition: 0 }] }] });
      await txn.sendOffsets({ consumerGroupId: groupId, topics: [{ topic, partitions: [{ partition: 0, offset: String(i) }] }] });
      await txn.commit();
      out.push(performance.now() - t0);
    }
  } finally {
    await producer.disconnect();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Configuration

const PLATFORMS = ['google-ads', 'meta', 'criteo', 'tiktok', 'amazon'] as const;

function portfolioConfigs(count: number, channels: number, prefix: string) {
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}${i}`,
    currency: 'EUR',
    budget: channels * 100,
    maxChange: 0.25,
    channels: Array.from({ length: channels }, (_, c) => ({ id: `c${c}`, platform: PLATFORMS[c % PLATFORMS.length]!, min: 20, max: 300, initialShare: null })),
  }));
}

function benchConfig(brokers: string, name: string, partitions: number, portfolios: unknown[], ingest: Record<string, unknown>, model: Record<string, unknown>): Config {
  return loadConfig({
    overrides: {
      service: { logLevel: 'warn' },
      state: { dir: null },
      kafka: {
        brokers: brokers.split(','),
        clientId: name,
        groupId: `${name}-group`,
        partitions,
        topics: {
          spend: `${name}.spend`,
          sales: `${name}.sales`,
          reallocationsPrefix: `${name}.reallocations.`,
          dlq: `${name}.dlq`,
          state: `${name}.state`,
          control: `${name}.control`,
        },
      },
      simulator: { enabled: 'off' },
      ingest,
      model,
      portfolios,
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Running the app over a backlog

interface AppRun {
  readonly consumed: Record<string, number>;
  readonly deadLetters: number;
  readonly startSeconds: number;
  readonly firstSeconds: number;
  readonly endSeconds: number;
  readonly timedOut: boolean;
  /** Stopped: nothing committed for a while after an aborted transaction. */
  readonly stalled: boolean;
  readonly transactions: { count: number; durationsMs: number[]; inputPerTxn: number[] };
  readonly closeToCommitMs: number[];
  readonly closeCommitPartMs: number[];
  readonly modelMs: number[];
  readonly reoptMs: number[];
  readonly outcomes: Record<string, number>;
  readonly aborted: number;
  /** Partition restores (at assignment and after every aborted transaction). */
  readonly restoreMs: number[];
  readonly abortReasons: Record<string, number>;
  readonly committed: { committed: bigint; end: bigint; atEnd: boolean };
  /** Sends kafkajs retried after CONCURRENT_TRANSACTIONS during the run. */
  readonly concurrentTxnRetries: number;
}

/**
 * Starts the app, waits until `total` records were consumed (and committed), the timeout, or a
 * stall (nothing committed for `stallMs` after a transaction aborted), and stops it.
 */
async function runApp(config: Config, brokers: string, total: number, timeoutMs: number, stallMs = 30_000): Promise<AppRun> {
  const app: App = await buildApp(config, log);
  const consumed: Record<string, number> = { accepted: 0, duplicate: 0, invalid: 0, late: 0 };
  let count = 0;
  let first = Number.NaN;
  let end = Number.NaN;
  let deadLetters = 0;
  let aborted = 0;
  const restoreMs: number[] = [];
  const abortReasons: Record<string, number> = {};
  const txnMs: number[] = [];
  const inputPerTxn: number[] = [];
  const closeToCommitMs: number[] = [];
  /** Per closed bucket: how long its transaction's commit took (the rest of its latency came before the commit). */
  const closeCommitPartMs: number[] = [];
  let lastTxnMs = Number.NaN;
  const modelMs: number[] = [];
  const reoptMs: number[] = [];
  const outcomes: Record<string, number> = {};
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  // transaction.committed is emitted right before its outbox's signals (synchronously, see
  // ExactlyOnceSource.commit): the event.consumed signals that follow belong to it.
  let sinceTxn = -1;
  app.signals.on((s: PipelineSignal) => {
    switch (s.type) {
      case 'event.consumed':
        consumed[s.result] = (consumed[s.result] ?? 0) + 1;
        if (sinceTxn >= 0) sinceTxn++;
        if (++count === 1) first = performance.now();
        if (count === total) {
          end = performance.now();
          done();
        }
        break;
      case 'bucket.closed':
        closeToCommitMs.push(performance.now() - s.closedAt);
        closeCommitPartMs.push(lastTxnMs);
        break;
      case 'model.updated':
        modelMs.push(s.durationSeconds * 1000);
        break;
      case 'reoptimized':
        reoptMs.push(s.durationSeconds * 1000);
        outcomes[s.outcome] = (outcomes[s.outcome] ?? 0) + 1;
        break;
      case 'transaction.committed':
        if (sinceTxn > 0) inputPerTxn.push(sinceTxn);
        sinceTxn = 0;
        txnMs.push(s.durationSeconds * 1000);
        lastTxnMs = s.durationSeconds * 1000;
        break;
      case 'transaction.aborted':
        aborted++;
        abortReasons[s.reason] = (abortReasons[s.reason] ?? 0) + 1;
        break;
      case 'dead_letter.sent':
        deadLetters++;
        break;
      case 'state.restored':
        restoreMs.push(s.durationSeconds * 1000);
        break;
      default:
        break;
    }
  });
  const retriesBefore = logCounts.concurrentTxnRetries;
  const t0 = performance.now();
  let started = Number.NaN;
  let timedOut = false;
  let stalled = false;
  try {
    await app.start();
    started = performance.now();
    const deadline = performance.now() + timeoutMs;
    let seen = count;
    let lastProgress = performance.now();
    while (count < total) {
      await Promise.race([finished, sleep(250)]);
      if (count !== seen) {
        seen = count;
        lastProgress = performance.now();
      }
      if (performance.now() > deadline) {
        timedOut = true;
        break;
      }
      if (aborted > 0 && performance.now() - lastProgress > stallMs) {
        stalled = true;
        break;
      }
    }
    if (timedOut || stalled) end = performance.now();
    if (sinceTxn > 0) inputPerTxn.push(sinceTxn);
  } finally {
    await app.stop().catch((err: unknown) => log.error('app.stop failed', { error: String(err) }));
  }
  const committed = await committedVsEnds(brokers, config.kafka.groupId, [config.kafka.topics.spend, config.kafka.topics.sales]);
  return {
    consumed,
    deadLetters,
    startSeconds: (started - t0) / 1000,
    firstSeconds: (first - t0) / 1000,
    endSeconds: (end - t0) / 1000,
    timedOut,
    stalled,
    transactions: { count: txnMs.length, durationsMs: txnMs, inputPerTxn },
    closeToCommitMs,
    closeCommitPartMs,
    modelMs,
    reoptMs,
    outcomes,
    aborted,
    abortReasons,
    restoreMs,
    committed,
    concurrentTxnRetries: logCounts.concurrentTxnRetries - retriesBefore,
  };
}

// ---------------------------------------------------------------------------------------------
// Phase 1: ingest

const rows: [string, string, string, string, string][] = [];
const json: Record<string, unknown> = {};
const notes: string[] = [];
let bareTxnMs: number[] = [];

async function ingestPhase(brokers: string): Promise<void> {
  const name = `bench-ingest-${Date.now().toString(36)}`;
  const P = opts.ingestPortfolios;
  const C = opts.ingestChannels;
  const N = opts.events;
  const bucketMinutes = 1440;
  const bucketMs = bucketMinutes * 60_000;
  // Yesterday's day bucket (UTC): in the past, and no event reaches its end, so none closes.
  const bucketStart = Math.floor(Date.now() / bucketMs) * bucketMs - bucketMs;
  const portfolios = portfolioConfigs(P, C, 'ing-');
  const config = benchConfig(brokers, name, opts.partitions, portfolios, { bucketMinutes, allowedLatenessMinutes: 720 }, {});
  const t = config.kafka.topics;

  // The events: per tick, one spend event per channel of every portfolio and one sales event,
  // event times increasing through the bucket. Spend times as ISO strings, sales as epoch ms
  // (both forms of docs/events.md).
  const rand = rng(11);
  const ticks = Math.ceil(N / (P * (C + 1)));
  const records: Rec[] = [];
  outer: for (let tick = 0; tick < ticks; tick++) {
    const ts = bucketStart + Math.floor(((tick + 0.5) * (bucketMs - 60_000)) / ticks);
    const iso = new Date(ts).toISOString();
    for (const p of portfolios) {
      for (const ch of p.channels) {
        if (records.length >= N) break outer;
        const amount = Math.round(100 * (0.5 + rand()) * 100) / 100;
        const value = { eventId: `${p.id}-s${tick}-${ch.id}`, portfolioId: p.id, channelId: ch.id, platform: ch.platform, ts: iso, amount, currency: 'EUR', impressions: Math.round(amount * 40), clicks: Math.round(amount * 1.4) };
        records.push({ topic: t.spend, key: p.id, value: JSON.stringify(value) });
      }
      if (records.length >= N) break outer;
      const revenue = Math.round(2000 * (0.8 + 0.4 * rand()) * 100) / 100;
      records.push({ topic: t.sales, key: p.id, value: JSON.stringify({ eventId: `${p.id}-o${tick}`, portfolioId: p.id, ts, revenue, orders: Math.round(revenue / 60), currency: 'EUR' }) });
    }
  }
  const bytes = records.reduce((s, r) => s + r.value.length, 0);
  await createTopics(brokers, [t.spend, t.sales], opts.partitions);
  const produceSeconds = await produce(brokers, records);
  await checkProduced(brokers, [t.spend, t.sales], records.length);
  console.error(`[bench] ingest: produced ${fmtInt(records.length)} events (${(bytes / records.length).toFixed(0)} B each on average) in ${produceSeconds.toFixed(1)} s`);

  // 1a. In process, no Kafka: pipeline.process over the same records, in partition order (as a
  //     consumer receives them), next to JSON.parse of them. Warm-up pass first (JIT).
  const partitioned = records
    .map((r) => ({ r, p: partitionFor(r.key, opts.partitions) }))
    .sort((a, b) => a.p - b.p || (a.r.topic === b.r.topic ? 0 : a.r.topic === t.spend ? -1 : 1));
  const sourceRecords: SourceRecord[] = partitioned.map(({ r, p }) => ({ topic: r.topic, kind: r.topic === t.spend ? 'spend' : 'sales', key: r.key, value: r.value, partition: p }));
  const inProcess = (withState: boolean): number => {
    const pipeline = createPipeline({ config, signals: new SignalBus(), incrementalIds: true, partitionOf: (id) => partitionFor(id, opts.partitions) });
    const tracker = new StateTracker('bench');
    const t0 = performance.now();
    const CHUNK = 1000;
    for (let i = 0; i < sourceRecords.length; i++) {
      pipeline.process(sourceRecords[i]!, Date.now());
      if ((i + 1) % CHUNK === 0 || i === sourceRecords.length - 1) {
        const out = pipeline.takeOutbox();
        if (withState) tracker.records(pipeline, out, sourceRecords[i]!.partition);
      }
    }
    return (performance.now() - t0) / 1000;
  };
  inProcess(false);
  const procSeconds = inProcess(false);
  const procStateSeconds = inProcess(true);
  let parseSeconds = Infinity;
  for (let rep = 0; rep < 3; rep++) {
    const t0 = performance.now();
    for (const r of sourceRecords) JSON.parse(r.value);
    parseSeconds = Math.min(parseSeconds, (performance.now() - t0) / 1000);
  }

  // 1b. Raw kafkajs consumer, the app, raw consumer again.
  const topics = [t.spend, t.sales];
  const rawBefore = await rawConsume(brokers, topics, records.length, 120_000);
  const run = await runApp(config, brokers, records.length, 180_000);
  const rawAfter = await rawConsume(brokers, topics, records.length, 120_000);

  const appRate = records.length / run.endSeconds;
  const appSteady = records.length / (run.endSeconds - run.firstSeconds);
  const rawRate = (rawBefore.rate + rawAfter.rate) / 2;
  const rawSteady = (rawBefore.steadyRate + rawAfter.steadyRate) / 2;
  const procRate = records.length / procSeconds;
  const txn = summary(run.transactions.durationsMs);
  const perTxn = summary(run.transactions.inputPerTxn);
  const complete = !run.timedOut && !run.stalled && run.committed.atEnd;
  if (!complete) notes.push(`ingest: the app did not finish (timed out: ${run.timedOut}, stalled: ${run.stalled}, committed offsets ${run.committed.committed} of ${run.committed.end}); its rate is for what it consumed`);
  if (run.deadLetters > 0 || run.consumed['accepted'] !== records.length) {
    const tally = await tallyDeadLetters(brokers, config, run.deadLetters);
    notes.push(`ingest: expected every event accepted; got ${JSON.stringify(run.consumed)} and ${run.deadLetters} dead letters: ${JSON.stringify(tally)}`);
  }
  if (run.closeToCommitMs.length > 0) notes.push(`ingest: ${run.closeToCommitMs.length} buckets closed during the ingest phase (none should)`);
  if (run.aborted > 0) notes.push(`ingest: ${run.aborted} transactions aborted: ${JSON.stringify(run.abortReasons)}`);
  if (rawBefore.timedOut || rawAfter.timedOut) notes.push('ingest: a raw-consumer baseline timed out');

  const what = `${fmtInt(records.length)} events, ${P} portfolios × ${C} channels, ${opts.partitions} partitions`;
  rows.push([
    `ingest on Kafka, exactly-once (start() → all committed): ${what}`,
    `${fmtInt(appRate)} events/s (${run.endSeconds.toFixed(2)} s; ${run.firstSeconds.toFixed(2)} s to the first commit)`,
    `raw kafkajs consumer, no work: ${fmtInt(rawRate)} events/s (${rawBefore.seconds.toFixed(2)} s before, ${rawAfter.seconds.toFixed(2)} s after)`,
    `${(appRate / rawRate).toFixed(2)}x`,
    `≥ 150,000 events/s: ${appRate >= 150_000 && complete ? '✓' : '✗'}`,
  ]);
  rows.push([
    'ingest on Kafka, steady part (first commit → all committed)',
    `${fmtInt(appSteady)} events/s`,
    `raw consumer, first batch → end: ${fmtInt(rawSteady)} events/s`,
    `${(appSteady / rawSteady).toFixed(2)}x`,
    '',
  ]);
  rows.push([
    `transactions of the ingest run (one per batch, cut after 50 ms of work)`,
    `${fmtInt(txn.count)} transactions, ${perTxn.mean.toFixed(0)} events each on average (p50 ${fmtInt(perTxn.p50)}, max ${fmtInt(perTxn.max)}); commit ${dist(txn)}`,
    `Σ commit time ${(run.transactions.durationsMs.reduce((a, b) => a + b, 0) / 1000).toFixed(2)} s of ${(run.endSeconds - run.firstSeconds).toFixed(2)} s; ${run.concurrentTxnRetries} sends retried after CONCURRENT_TRANSACTIONS`,
    '',
    '',
  ]);
  rows.push([
    'ingest in process, no Kafka: pipeline.process + takeOutbox every 1,000 records (same records)',
    `${fmtInt(procRate)} events/s (with the state records a transaction carries: ${fmtInt(records.length / procStateSeconds)} events/s)`,
    `JSON.parse only: ${fmtInt(records.length / parseSeconds)} events/s`,
    `${(parseSeconds / procSeconds).toFixed(2)}x`,
    '',
  ]);
  json['ingest'] = {
    events: records.length,
    portfolios: P,
    channels: C,
    partitions: opts.partitions,
    appEventsPerSecond: Math.round(appRate),
    appSteadyEventsPerSecond: Math.round(appSteady),
    appSeconds: +run.endSeconds.toFixed(3),
    appStartupSeconds: +run.firstSeconds.toFixed(3),
    rawEventsPerSecond: [Math.round(rawBefore.rate), Math.round(rawAfter.rate)],
    rawSteadyEventsPerSecond: [Math.round(rawBefore.steadyRate), Math.round(rawAfter.steadyRate)],
    ratioToRaw: +(appRate / rawRate).toFixed(3),
    inProcessEventsPerSecond: Math.round(procRate),
    inProcessWithStateEventsPerSecond: Math.round(records.length / procStateSeconds),
    jsonParseEventsPerSecond: Math.round(records.length / parseSeconds),
    transactions: txn.count,
    eventsPerTransaction: +perTxn.mean.toFixed(1),
    commitMs: { p50: +txn.p50.toFixed(2), p99: +txn.p99.toFixed(2) },
    concurrentTxnRetries: run.concurrentTxnRetries,
    complete,
    target: 150_000,
    met: appRate >= 150_000 && complete,
  };
  await deleteTopics(brokers, name);
}

// ---------------------------------------------------------------------------------------------
// Phase 2: bucket close → reallocations committed

async function closePhase(brokers: string): Promise<void> {
  const name = `bench-close-${Date.now().toString(36)}`;
  const P = opts.portfolios;
  const C = opts.channels;
  const B = opts.buckets;
  const portfolios = portfolioConfigs(P, C, 'pf-');
  const config = benchConfig(brokers, name, opts.closePartitions, portfolios, { bucketMinutes: 60, allowedLatenessMinutes: 10 }, { minBuckets: 2 });
  const t = config.kafka.topics;
  // B hourly buckets ending an hour before now; every event at the bucket's half hour, so the
  // next bucket's events (30 min past its start) pass this bucket's end plus the 10-min lateness.
  const first = Math.floor(Date.now() / HOUR) * HOUR - (B + 1) * HOUR;
  const rand = rng(29);
  // Per portfolio and channel a saturating response (β x / (x + k)), so the model has a signal.
  const beta = portfolios.map((p) => p.channels.map(() => 150 + 250 * rand()));
  const k = portfolios.map((p) => p.channels.map(() => 60 + 140 * rand()));
  const records: Rec[] = [];
  for (let b = 0; b < B; b++) {
    const ts = first + b * HOUR + 30 * 60_000;
    const iso = new Date(ts).toISOString();
    portfolios.forEach((p, i) => {
      let media = 0;
      p.channels.forEach((ch, c) => {
        const amount = Math.round(100 * (0.7 + 0.6 * rand()) * 100) / 100;
        media += (beta[i]![c]! * amount) / (amount + k[i]![c]!);
        records.push({ topic: t.spend, key: p.id, value: JSON.stringify({ eventId: `${p.id}-s${b}-${ch.id}`, portfolioId: p.id, channelId: ch.id, platform: ch.platform, ts: iso, amount, currency: 'EUR' }) });
      });
      const revenue = Math.round((1500 + media) * (1 + 0.03 * (rand() - 0.5)) * 100) / 100;
      records.push({ topic: t.sales, key: p.id, value: JSON.stringify({ eventId: `${p.id}-o${b}`, portfolioId: p.id, ts, revenue, orders: Math.round(revenue / 60), currency: 'EUR' }) });
    });
  }
  await createTopics(brokers, [t.spend, t.sales], opts.closePartitions);
  const produceSeconds = await produce(brokers, records);
  await checkProduced(brokers, [t.spend, t.sales], records.length);
  console.error(`[bench] close: produced ${fmtInt(records.length)} events (${P} portfolios × ${C} channels × ${B} buckets) in ${produceSeconds.toFixed(1)} s`);

  const run = await runApp(config, brokers, records.length, 150_000);
  const expected = P * (B - 1);
  const lat = summary(run.closeToCommitMs);
  const model = summary(run.modelMs);
  const reopt = summary(run.reoptMs);
  const txn = summary(run.transactions.durationsMs);
  const complete = !run.timedOut && !run.stalled && run.committed.atEnd && lat.count === expected;
  if (!complete) notes.push(`close: incomplete (timed out: ${run.timedOut}, stalled: ${run.stalled}, committed ${run.committed.committed} of ${run.committed.end}, ${lat.count} of ${expected} buckets closed)`);
  if (run.deadLetters > 0) {
    const tally = await tallyDeadLetters(brokers, config, run.deadLetters);
    notes.push(`close: ${run.deadLetters} dead letters (expected none; every event was produced once, in event-time order): ${JSON.stringify(run.consumed)}; on the DLQ: ${JSON.stringify(tally)}`);
  }
  if (run.aborted > 0) notes.push(`close: ${run.aborted} transactions aborted: ${JSON.stringify(run.abortReasons)}`);
  const work = run.modelMs.reduce((a, b) => a + b, 0) + run.reoptMs.reduce((a, b) => a + b, 0);
  const steady = run.endSeconds - run.firstSeconds;
  rows.push([
    `bucket close → reallocations committed: ${P} portfolios × ${C} channels, ${B} buckets, ${opts.closePartitions} partitions (backlog read from Kafka)`,
    dist(lat),
    `bare kafkajs transaction, 100 ms apart: p50 ${ms(pct([...bareTxnMs].sort((a, b) => a - b), 0.5))} ms`,
    `${(lat.p99 / pct([...bareTxnMs].sort((a, b) => a - b), 0.5)).toFixed(1)}x (p99 / bare p50)`,
    `p99 ≤ 200 ms: ${lat.p99 <= 200 && complete ? '✓' : '✗'}`,
  ]);
  const commitPart = summary(run.closeCommitPartMs);
  const before = summary(run.closeToCommitMs.map((x, i) => x - run.closeCommitPartMs[i]!));
  rows.push(['  of which: before the commit starts (the rest of the chunk: up to 50 ms of work, then encoding)', dist(before), '', '', '']);
  rows.push(['  of which: the commit of the bucket\'s transaction (state + reallocations + offsets)', dist(commitPart), '', '', '']);
  rows.push(['  online model update per portfolio-bucket (model.updated)', dist(model), '', '', '']);
  rows.push([`  reoptimization per portfolio-bucket (reoptimized; ${Object.entries(run.outcomes).map(([o, n]) => `${o} ${n}`).join(', ')})`, dist(reopt), '', '', '']);
  rows.push([
    '  transaction commits of the close run',
    `${fmtInt(txn.count)} transactions, commit ${dist(txn)}; ${run.concurrentTxnRetries} sends retried after CONCURRENT_TRANSACTIONS`,
    `Σ commit time ${(run.transactions.durationsMs.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s; model + reoptimization CPU ${(work / 1000).toFixed(1)} s of ${steady.toFixed(1)} s consuming (${((100 * work) / 1000 / steady).toFixed(0)}%)`,
    '',
    '',
  ]);
  rows.push(['  partition restores (at assignment, and after each aborted transaction)', dist(summary(run.restoreMs)), `Σ ${(run.restoreMs.reduce((a, b) => a + b, 0) / 1000).toFixed(1)} s`, '', '']);
  rows.push([`  the whole backlog (${fmtInt(records.length)} events)`, `${run.endSeconds.toFixed(1)} s from start() (${fmtInt(records.length / run.endSeconds)} events/s)`, '', '', '']);
  json['close'] = {
    portfolios: P,
    channels: C,
    buckets: B,
    partitions: opts.closePartitions,
    events: records.length,
    aborted: run.aborted,
    abortReasons: run.abortReasons,
    stalled: run.stalled,
    restores: run.restoreMs.length,
    restoreSeconds: +(run.restoreMs.reduce((a, b) => a + b, 0) / 1000).toFixed(2),
    closed: lat.count,
    expectedClosed: expected,
    latencyMs: { p50: +lat.p50.toFixed(1), p95: +lat.p95.toFixed(1), p99: +lat.p99.toFixed(1), max: +lat.max.toFixed(1) },
    beforeCommitMs: { p50: +before.p50.toFixed(1), p99: +before.p99.toFixed(1) },
    inCommitMs: { p50: +commitPart.p50.toFixed(1), p99: +commitPart.p99.toFixed(1) },
    modelUpdateMs: { p50: +model.p50.toFixed(2), p99: +model.p99.toFixed(2) },
    reoptimizeMs: { p50: +reopt.p50.toFixed(2), p99: +reopt.p99.toFixed(2) },
    outcomes: run.outcomes,
    commitMs: { p50: +txn.p50.toFixed(1), p99: +txn.p99.toFixed(1) },
    concurrentTxnRetries: run.concurrentTxnRetries,
    transactions: txn.count,
    seconds: +run.endSeconds.toFixed(2),
    complete,
    target: 200,
    met: lat.p99 <= 200 && complete,
  };
  await deleteTopics(brokers, name);
}

// ---------------------------------------------------------------------------------------------

const began = performance.now();
const load0 = loadavg();
let broker: Broker | null = null;
const onSignal = (sig: NodeJS.Signals) => {
  broker?.stop();
  process.exit(sig === 'SIGINT' ? 130 : 143);
};
process.once('SIGINT', onSignal);
process.once('SIGTERM', onSignal);
let exitCode = 0;
try {
  broker = startBroker();
  console.error(`[bench] broker ${broker.brokers} (${broker.origin})`);
  {
    // The transaction floor, measured first so both phases can be read against it.
    const bare = `bench-bare-${Date.now().toString(36)}`;
    await createTopics(broker.brokers, [bare], 1);
    // Spaced 100 ms apart (about what the app's 50 ms of work leaves between a partition's
    // transactions), then back to back.
    bareTxnMs = await bareTransactions(broker.brokers, bare, `${bare}-group`, 30, 100);
    const backToBack = await bareTransactions(broker.brokers, bare, `${bare}-group`, 30, 0);
    await deleteTopics(broker.brokers, bare);
    for (const [label, samples] of [['100 ms apart', bareTxnMs], ['back to back', backToBack]] as const) {
      const d = summary(samples);
      const slow = samples.filter((x) => x > 250).length;
      rows.push([
        `bare kafkajs transaction on this broker, ${label} (1 record + sendOffsets + commit; the app's producer settings)`,
        dist(d),
        `${slow} of ${d.count} took > 250 ms (a CONCURRENT_TRANSACTIONS retry)`,
        '',
        '',
      ]);
      json[label === 'back to back' ? 'bareTransactionBackToBackMs' : 'bareTransactionMs'] = { p50: +d.p50.toFixed(1), p95: +d.p95.toFixed(1), p99: +d.p99.toFixed(1), max: +d.max.toFixed(1), over250: slow, count: d.count };
    }
  }
  if (opts.only !== 'close') await ingestPhase(broker.brokers);
  if (opts.only !== 'ingest') await closePhase(broker.brokers);

  const seconds = (performance.now() - began) / 1000;
  console.log(`spendflow bench:ingest — node ${process.version}, ${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), load average at start ${load0.map((x) => x.toFixed(2)).join(' ')}, at end ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`broker: ${broker.origin}; ran: ${process.argv.slice(2).join(' ') || '(defaults)'} → events ${opts.events}, ingest ${opts.ingestPortfolios} × ${opts.ingestChannels}, close ${opts.portfolios} × ${opts.channels} × ${opts.buckets} buckets; partitions ${opts.partitions} (ingest), ${opts.closePartitions} (close); ${seconds.toFixed(0)} s in all`);
  console.log('');
  console.log('| what | figure | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  for (const n of notes) console.log(`\nNOTE: ${n}`);
  console.log('');
  console.log(JSON.stringify({ bench: 'ingest', node: process.version, at: new Date().toISOString(), seconds: Math.round(seconds), loadavg: load0.map((x) => +x.toFixed(2)), ...json, notes }));
} catch (err) {
  console.error('[bench] failed:', err);
  exitCode = 1;
} finally {
  broker?.stop();
}
process.exit(exitCode);
