/**
 * Exactly-once on a real broker, with spendflow as a user runs it: `spendflow serve` processes
 * (Kafka mode, simulator off) fed by a separate `spendflow simulate` process that keeps streaming
 * spend and sales while the service is down.
 *
 * 1. Crash: the service is SIGKILLed five times at seeded random moments and restarted each time.
 * 2. Scale-out: two instances share one group; one is stopped (SIGTERM); the other takes over.
 *
 * Afterwards a read_committed consumer of every reallocation topic must see, per portfolio, one
 * complete set of events per version, versions increasing in offset order, and an unbroken
 * previousVersion chain; the committed decision state (state topic) must show the model carrying
 * on across restarts rather than starting from the prior again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Consumer } from 'kafkajs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.ts';
import type { Config } from '../../src/config/types.ts';
import type { ReallocationEvent } from '../../src/events/types.ts';
import { seededRandom } from '../../src/random.ts';
import { partitionFor } from '../../src/stream/partitioning.ts';
import { deleteTopicsMatching, testKafka, uniqueName, waitFor } from '../support/kafka.ts';
import { listeningUrl, spendflow, type Running } from '../support/processes.ts';
import { checkReallocations } from '../support/reallocations.ts';

const brokers = inject('kafkaBrokers');
/** 60-minute buckets at 2400x: one bucket closes every 1.5 s of wall time. */
const SPEED = 2400;
const HOUR = 3_600_000;

const running: Running[] = [];
const prefixes: string[] = [];
const tempDirs: string[] = [];
/** Readers still open when a test fails. */
const openReaders = new Set<Consumer>();

afterAll(async () => {
  for (const c of openReaders) await c.disconnect().catch(() => {});
  for (const r of running) await r.stop();
  for (const p of prefixes) await deleteTopicsMatching(brokers, p);
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

// ---------------------------------------------------------------------------------------------
// Helpers

function envFor(prefix: string): Record<string, string> {
  return {
    SPENDFLOW_KAFKA_BROKERS: brokers,
    SPENDFLOW_KAFKA_GROUP_ID: `${prefix}-group`,
    SPENDFLOW_KAFKA_TOPICS_SPEND: `${prefix}.spend`,
    SPENDFLOW_KAFKA_TOPICS_SALES: `${prefix}.sales`,
    SPENDFLOW_KAFKA_TOPICS_REALLOCATIONS_PREFIX: `${prefix}.reallocations.`,
    SPENDFLOW_KAFKA_TOPICS_DLQ: `${prefix}.dlq`,
    SPENDFLOW_KAFKA_TOPICS_STATE: `${prefix}.state`,
    SPENDFLOW_KAFKA_TOPICS_CONTROL: `${prefix}.control`,
    SPENDFLOW_SERVICE_PORT: '0',
    SPENDFLOW_SERVICE_LOG_LEVEL: 'info',
    SPENDFLOW_SIMULATOR_ENABLED: 'off',
    SPENDFLOW_SIMULATOR_SPEED: String(SPEED),
  };
}

/** A whole simulated hour a day before now (well inside maxEventAgeHours). */
function simulatedStart(): string {
  return new Date(Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR).toISOString();
}

interface Instance {
  readonly name: string;
  readonly proc: Running;
  readonly startedAt: number;
  url?: string;
}

function serve(name: string, env: Record<string, string>, args: readonly string[] = []): Instance {
  const proc = spendflow(['serve', ...args], env);
  running.push(proc);
  return { name, proc, startedAt: Date.now() };
}

async function untilReady(instance: Instance, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const url = await waitFor(() => listeningUrl(instance.proc.output()), (u) => u !== undefined, timeoutMs, () => `${instance.name}: no "listening" line:\n${tail(instance.proc.output())}`);
  instance.url = url!;
  await waitFor(
    async () => (await fetch(`${url}/ready`).catch(() => null))?.status,
    (s) => s === 200,
    Math.max(0, deadline - Date.now()),
    (s) => `${instance.name}: /ready answered ${s}:\n${tail(instance.proc.output())}`,
  );
  return url!;
}

function sigkill(r: Running): void {
  try {
    process.kill(-r.child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

function tail(text: string, lines = 60): string {
  return text.split('\n').slice(-lines).join('\n');
}

/** JSON log lines of a process whose `msg` is `message`. */
function logLines(output: string, message: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of output.split('\n')) {
    if (!line.includes(`"${message}"`)) continue;
    try {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      if (parsed['msg'] === message) out.push(parsed);
    } catch {
      // not JSON
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Rec {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
  readonly seenAt: number;
}

/** read_committed (kafkajs's default) reader of `topics` from the beginning, recording offsets. */
async function reader(topics: readonly string[], readUncommitted = false): Promise<{ records: Rec[]; close(): Promise<void> }> {
  const consumer: Consumer = testKafka(brokers).consumer({ groupId: uniqueName('eos-reader'), maxWaitTimeInMs: 200, readUncommitted });
  const records: Rec[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      records.push({ topic, partition, offset: BigInt(message.offset), key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? null, seenAt: Date.now() });
    },
  });
  openReaders.add(consumer);
  return {
    records,
    close: async () => {
      openReaders.delete(consumer);
      await consumer.disconnect();
    },
  };
}

/** Records not yet consumed by the group on the input topics (committed offset vs high watermark). */
async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<{ lag: number; detail: string }> {
  const committed = await admin.fetchOffsets({ groupId, topics: [...topics] });
  let lag = 0;
  const detail: string[] = [];
  for (const topic of topics) {
    const high = await admin.fetchTopicOffsets(topic);
    const mine = committed.find((t) => t.topic === topic);
    for (const h of high) {
      const c = mine?.partitions.find((p) => p.partition === h.partition);
      const at = c && BigInt(c.offset) >= 0n ? BigInt(c.offset) : BigInt(h.low);
      const behind = Number(BigInt(h.high) - at);
      lag += behind;
      detail.push(`${topic}[${h.partition}] committed ${c?.offset ?? 'none'} high ${h.high}`);
    }
  }
  return { lag, detail: detail.join('; ') };
}

/** Waits until the group consumed everything on the input topics, then until the reader is quiet. */
async function catchUp(admin: Admin, groupId: string, config: Config, read: { records: Rec[] }, timeoutMs: number, describe: () => string): Promise<void> {
  const t = config.kafka.topics;
  await waitFor(
    () => groupLag(admin, groupId, [t.spend, t.sales]),
    (l) => l.lag === 0,
    timeoutMs,
    (l) => `the group did not catch up: lag ${l.lag} (${l.detail})\n${describe()}`,
  );
  // Everything the group committed is readable now; give the reader time to fetch it all.
  let count = -1;
  let stableSince = Date.now();
  while (Date.now() - stableSince < 3_000) {
    await sleep(250);
    if (read.records.length !== count) {
      count = read.records.length;
      stableSince = Date.now();
    }
  }
}

/** Non-finite numbers come back from their {"$nonFinite": "NaN"} tag (docs of state-records). */
function parseState(raw: string): { format?: unknown; data?: unknown } {
  return JSON.parse(raw, (_k, v: unknown) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === '$nonFinite') return Number((v as Record<string, string>)['$nonFinite']);
    }
    return v;
  }) as { format?: unknown; data?: unknown };
}

interface DecisionRecord {
  readonly offset: bigint;
  readonly bucketsSeen: number;
  readonly rounds: number;
  readonly version: number;
  readonly status: string;
  readonly modelUpdates: number | null;
  readonly modelLastBucket: number | null;
}

/** The committed decision records of each portfolio, in offset order. */
function decisionHistory(records: readonly Rec[], stateTopic: string): { byPortfolio: Map<string, DecisionRecord[]>; problems: string[] } {
  const byPortfolio = new Map<string, DecisionRecord[]>();
  const problems: string[] = [];
  const state = records.filter((r) => r.topic === stateTopic).sort((a, b) => (a.partition - b.partition) || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0));
  for (const r of state) {
    if (r.key === null || r.value === null) continue;
    let key: unknown;
    try {
      key = JSON.parse(r.key);
    } catch {
      problems.push(`state[${r.partition}]@${r.offset}: key is not JSON: ${r.key}`);
      continue;
    }
    if (!Array.isArray(key) || key[0] !== 'decision' || typeof key[1] !== 'string') continue;
    const v = parseState(r.value);
    if (v.format !== 'spendflow-state/1') {
      problems.push(`state[${r.partition}]@${r.offset}: format ${String(v.format)}`);
      continue;
    }
    const d = v.data as { bucketsSeen: number; rounds: number; allocation: { version: number; status: string }; model: { updates?: number; lastBucket?: number | null } | null };
    const list = byPortfolio.get(key[1]) ?? [];
    list.push({
      offset: r.offset,
      bucketsSeen: d.bucketsSeen,
      rounds: d.rounds,
      version: d.allocation.version,
      status: d.allocation.status,
      modelUpdates: d.model?.updates ?? null,
      modelLastBucket: d.model?.lastBucket ?? null,
    });
    byPortfolio.set(key[1], list);
  }
  return { byPortfolio, problems };
}

/** Every invariant of the reallocation stream as a read_committed consumer sees it. */
function checkChains(config: Config, records: readonly Rec[]): { events: ReallocationEvent[]; versions: Map<string, number[]>; problems: string[] } {
  const problems: string[] = [];
  const realloc = records.filter((r) => r.topic.startsWith(config.kafka.topics.reallocationsPrefix));
  const events: ReallocationEvent[] = [];
  const byEventId = new Map<string, Rec>();
  // Per portfolio and (topic, partition): the events in offset order.
  const streams = new Map<string, { offset: bigint; e: ReallocationEvent }[]>();
  for (const r of realloc) {
    const e = JSON.parse(r.value ?? 'null') as ReallocationEvent;
    events.push(e);
    if (r.key !== e.portfolioId) problems.push(`${r.topic}[${r.partition}]@${r.offset}: key ${r.key} for portfolio ${e.portfolioId}`);
    const dup = byEventId.get(e.eventId);
    if (dup) problems.push(`duplicate eventId ${e.eventId}: ${dup.topic}[${dup.partition}]@${dup.offset} and ${r.topic}[${r.partition}]@${r.offset}`);
    else byEventId.set(e.eventId, r);
    if (e.eventId !== `${e.portfolioId}:${e.version}:${e.channelId}`) problems.push(`eventId ${e.eventId} is not <portfolio>:<version>:<channel>`);
    const k = `${e.portfolioId} ${r.topic}[${r.partition}]`;
    streams.set(k, [...(streams.get(k) ?? []), { offset: r.offset, e }]);
  }
  for (const [k, list] of streams) {
    list.sort((a, b) => (a.offset < b.offset ? -1 : 1));
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1]!;
      const b = list[i]!;
      if (b.e.version < a.e.version) problems.push(`${k}: version ${b.e.version}@${b.offset} after version ${a.e.version}@${a.offset}`);
      // The channels of one version on one topic are written together; a version seen again later is a duplicate publication.
      if (b.e.version === a.e.version && b.e.channelId === a.e.channelId) problems.push(`${k}: ${b.e.eventId} at ${a.offset} and ${b.offset}`);
    }
    const order = list.map((x) => x.e.version).filter((v, i, all) => i === 0 || all[i - 1] !== v);
    if (new Set(order).size !== order.length) problems.push(`${k}: a version appears in two separate runs: ${order.join(',')}`);
  }
  const versions = new Map<string, number[]>();
  for (const p of config.portfolios) {
    const mine = events.filter((e) => e.portfolioId === p.id);
    const byVersion = new Map<number, ReallocationEvent[]>();
    for (const e of mine) byVersion.set(e.version, [...(byVersion.get(e.version) ?? []), e]);
    const vs = [...byVersion.keys()].sort((a, b) => a - b);
    versions.set(p.id, vs);
    let prev = 0;
    for (const v of vs) {
      const group = byVersion.get(v)!;
      const channels = group.map((e) => e.channelId).sort();
      const want = p.channels.map((c) => c.id).sort();
      if (channels.join(',') !== want.join(',')) problems.push(`${p.id} v${v}: channels ${channels.join(',')}, configured ${want.join(',')}`);
      const previous = new Set(group.map((e) => e.previousVersion));
      if (previous.size !== 1) problems.push(`${p.id} v${v}: previousVersion differs between channels: ${[...previous].join(',')}`);
      const pv = group[0]!.previousVersion;
      if (pv !== prev) problems.push(`${p.id} v${v}: previousVersion ${pv}, but the version before it is ${prev} (chain broken)`);
      prev = v;
    }
  }
  return { events, versions, problems };
}

/** Dead letters grouped by reason and source partition, with offsets, event times and the first error. */
function deadLetterSummary(records: readonly Rec[], dlq: string): string[] {
  const groups = new Map<string, { n: number; offsets: bigint[]; ts: string[]; error: string }>();
  for (const r of records) {
    if (r.topic !== dlq || r.value === null) continue;
    const l = JSON.parse(r.value) as { reason: string; error: string; source: { topic: string; partition?: number; offset?: string }; payload: string };
    const k = `${l.reason} from ${l.source.topic}[${l.source.partition}]`;
    const g = groups.get(k) ?? { n: 0, offsets: [], ts: [], error: l.error };
    g.n++;
    if (l.source.offset !== undefined) g.offsets.push(BigInt(l.source.offset));
    try {
      g.ts.push(String((JSON.parse(l.payload) as { ts?: unknown }).ts));
    } catch {
      // not JSON
    }
    groups.set(k, g);
  }
  return [...groups].map(([k, g]) => {
    const offs = g.offsets.sort((a, b) => (a < b ? -1 : 1));
    const ts = g.ts.sort();
    return `${g.n} × ${k}, offsets ${offs[0]}..${offs.at(-1)}, event times ${ts[0]} .. ${ts.at(-1)}; first error: ${g.error}`;
  });
}

const hasLearning = (e: ReallocationEvent) => e.guardrails.includes('learning') || /learning phase/.test(e.reason);

// ---------------------------------------------------------------------------------------------

describe('exactly-once on a real broker', () => {
  it(
    'survives five SIGKILLs while the simulator streams: one reallocation per version, no gaps, the model carries on',
    async () => {
      const testStarted = Date.now();
      const prefix = uniqueName('eos-crash');
      prefixes.push(prefix);
      const env = envFor(prefix);
      const config = loadConfig({ env });
      const t = config.kafka.topics;
      const groupId = config.kafka.groupId;
      const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
      const timeline: string[] = [];
      const kills: { k: number; victim: string; processing: boolean; at: number }[] = [];
      const processing = new Set([1]);
      const mark = (what: string) => timeline.push(`${((Date.now() - testStarted) / 1000).toFixed(1)}s ${what}`);
      /** What is left of the timebox, less 8 s for the checks and for failing with a description. */
      const left = () => Math.max(1_000, testStarted + 112_000 - Date.now());

      const incarnations: Instance[] = [serve('service#0', env)];
      await untilReady(incarnations[0]!, 40_000);
      mark('service#0 ready');
      const sim = spendflow(['simulate', '--speed', String(SPEED), '--start', simulatedStart()], env);
      running.push(sim);
      const read = await reader([...platforms.map((p) => `${t.reallocationsPrefix}${p}`), t.state, t.dlq]);
      // For the report only: what a read_uncommitted consumer sees (aborted transactions included).
      const dirty = await reader(platforms.map((p) => `${t.reallocationsPrefix}${p}`), true);
      const reallocs = () => read.records.filter((r) => r.topic.startsWith(t.reallocationsPrefix));
      const at = (l: Record<string, unknown>) => `${((Date.parse(String(l['time'])) - testStarted) / 1000).toFixed(1)}s`;
      const joins = () =>
        incarnations.map((i) => {
          const joined = logLines(i.proc.output(), 'joined consumer group').map((l) => `joined at ${at(l)} with partitions [${String(l['partitions'])}]`);
          const restored = logLines(i.proc.output(), 'partition restored').map((l) => `restored p${String(l['partition'])} at ${at(l)} (${String(l['portfolios'])} portfolios)`);
          const failed = logLines(i.proc.output(), 'transaction failed; restoring the partition and processing the batch again').map((l) => `transaction failed at ${at(l)} on p${String(l['partition'])}: ${String(l['error'])}`);
          return `${i.name}: ${[...joined, ...restored, ...failed].join('; ') || 'never joined'}`;
        });
      const describeAll = () =>
        `timeline:\n${timeline.join('\n')}\n${joins().join('\n')}\nsimulator:\n${tail(sim.output(), 10)}\n` +
        incarnations.map((i) => `--- ${i.name}:\n${tail(i.proc.output(), 25)}`).join('\n');

      // Let the model leave its learning phase before the first crash, so a restart from the prior would show.
      await waitFor(
        () => reallocs().map((r) => JSON.parse(r.value!) as ReallocationEvent),
        (es) => config.portfolios.every((p) => es.some((e) => e.portfolioId === p.id && !hasLearning(e))),
        45_000,
        (es) => `no optimized reallocation for every portfolio yet (${es.length} events)\n${describeAll()}`,
      );
      mark('every portfolio optimized at least once');
      const admin = testKafka(brokers).admin();
      await admin.connect();
      try {
        // Seeded random delays of 2-6 s between kills; each killed instance is restarted at once.
        // A SIGKILLed member stays in the group until its session times out (kafkajs's default
        // 30 s: spendflow does not set sessionTimeout), so no restarted instance can take over
        // before then: kill 1 hits an instance that is processing, kills 2-5 hit instances that
        // are starting or waiting to join (those that sent a JoinGroup stall the next rebalance
        // until their own session times out). Waiting for every restart to resume processing
        // before killing it again would take ~3 minutes, beyond this test's timebox.
        const random = seededRandom(20260505);
        for (let k = 1; k <= 5; k++) {
          const victim = incarnations.at(-1)!;
          if (processing.has(k) && k > 1) {
            await waitFor(() => logLines(victim.proc.output(), 'partition restored').length, (n) => n >= 3, left(), () => `${victim.name} did not restore its partitions\n${describeAll()}`);
            mark(`${victim.name} restored its partitions`);
          }
          const delay = 2_000 + Math.floor(random.next() * 4_000);
          await sleep(delay);
          sigkill(victim.proc);
          await victim.proc.exited;
          const joined = logLines(victim.proc.output(), 'joined consumer group').length > 0;
          const restored = logLines(victim.proc.output(), 'partition restored').length;
          kills.push({ k, victim: victim.name, processing: restored > 0, at: Date.now() });
          mark(`SIGKILL ${victim.name} after ${delay} ms (it had ${joined ? '' : 'NOT '}joined the group, ${restored} partitions restored); reallocation events so far ${reallocs().length}`);
          incarnations.push(serve(`service#${k}`, env));
        }
        const last = incarnations.at(-1)!;
        await untilReady(last, left());
        mark(`${last.name} ready`);
        // Keep streaming for a while on the last incarnation, then stop the simulator and let the service drain.
        await sleep(3_000);
        expect(await sim.stop(), sim.output()).toBe(0);
        mark('simulator stopped');
        await catchUp(admin, groupId, config, read, left(), describeAll);
        mark('caught up');
      } catch (err) {
        console.log(`crash test failed; what happened:\n${describeAll()}`);
        throw err;
      } finally {
        await admin.disconnect();
      }
      await read.close();
      await dirty.close();

      // 1. The reallocation stream: one complete set per version, in order, chained.
      const { events, versions, problems } = checkChains(config, read.records);
      const uncommitted = dirty.records.length - events.length;
      timeline.push(`read_uncommitted saw ${dirty.records.length} reallocation events, read_committed ${events.length} (${uncommitted} from aborted transactions)`);
      const history = decisionHistory(read.records, t.state);
      for (const [id, list] of history.byPortfolio) {
        const steps = list.slice(1).map((d, i) => ({ d, step: d.bucketsSeen - list[i]!.bucketsSeen }));
        const big = steps.reduce((m, x) => (x.step > m.step ? x : m), { d: list[0]!, step: 0 });
        timeline.push(`${id}: ${list.length} committed decision records, bucketsSeen ${list[0]!.bucketsSeen} → ${list.at(-1)!.bucketsSeen}, largest step +${big.step} (state offset ${big.d.offset})`);
      }
      const deadLetters = deadLetterSummary(read.records, t.dlq);
      timeline.push(...deadLetters.map((d) => `dead letter: ${d}`));
      const restoredCounts = incarnations.map((i) => logLines(i.proc.output(), 'partition restored').reduce((s, l) => s + Number(l['portfolios'] ?? 0), 0));
      console.log(`crash test: ${((Date.now() - testStarted) / 1000).toFixed(1)} s; restored portfolios per incarnation ${restoredCounts.join(',')}; versions ${[...versions].map(([id, vs]) => `${id}:${vs.length}`).join(' ')}\n${timeline.join('\n')}\n${joins().join('\n')}`);
      expect(problems, describeAll()).toEqual([]);
      // Nothing the simulator wrote was refused (late, wrong partition, ...): no input was lost.
      // (Soft, so the checks below still report.)
      expect.soft(deadLetters, 'valid simulator events were dead-lettered').toEqual([]);
      expect(checkReallocations(config, events).problems).toEqual([]);
      for (const p of config.portfolios) expect(versions.get(p.id)!.length, `${p.id}: versions ${versions.get(p.id)!.join(',')}`).toBeGreaterThanOrEqual(5);

      // 2. The model carried on: the learning phase (the initial split) comes once, at the start of each chain.
      for (const p of config.portfolios) {
        const vs = versions.get(p.id)!;
        const learning = vs.filter((v) => events.some((e) => e.portfolioId === p.id && e.version === v && hasLearning(e)));
        expect(learning, `${p.id}: learning-phase versions ${learning.join(',')} of ${vs.join(',')}`).toEqual(vs.slice(0, learning.length));
        expect(learning.length, `${p.id}: learning-phase versions ${learning.join(',')}`).toBeLessThanOrEqual(1);
        expect(vs.filter((v) => events.some((e) => e.portfolioId === p.id && e.version === v && e.previousVersion === 0))).toEqual([vs[0]]);
      }

      // 3. The committed decision state never goes back: buckets seen, rounds, version, model updates.
      expect(history.problems).toEqual([]);
      for (const p of config.portfolios) {
        const list = history.byPortfolio.get(p.id) ?? [];
        expect(list.length, `${p.id}: no decision records`).toBeGreaterThan(0);
        const regress: string[] = [];
        for (let i = 1; i < list.length; i++) {
          const a = list[i - 1]!;
          const b = list[i]!;
          if (b.bucketsSeen < a.bucketsSeen) regress.push(`@${b.offset} bucketsSeen ${a.bucketsSeen} → ${b.bucketsSeen}`);
          if (b.rounds < a.rounds) regress.push(`@${b.offset} rounds ${a.rounds} → ${b.rounds}`);
          if (b.version < a.version) regress.push(`@${b.offset} version ${a.version} → ${b.version}`);
          if (a.modelUpdates !== null && (b.modelUpdates === null || b.modelUpdates < a.modelUpdates)) regress.push(`@${b.offset} model.updates ${a.modelUpdates} → ${b.modelUpdates}`);
        }
        expect(regress, `${p.id}: decision state went back`).toEqual([]);
        const lastRecord = list.at(-1)!;
        // Every incarnation added to the same history: far more buckets than any one incarnation lived through.
        expect(lastRecord.bucketsSeen, `${p.id}: bucketsSeen ${list.map((d) => d.bucketsSeen).join(',')}`).toBeGreaterThanOrEqual(15);
        expect(lastRecord.modelUpdates).toBe(lastRecord.bucketsSeen);
        expect(lastRecord.version).toBe(versions.get(p.id)!.at(-1));
      }

      // 4. The crashes hit processing instances as planned (at least those; later kills may land
      // on a processing instance too when a restart recovers quickly), and every instance that
      // came up after one restored the portfolios from the state topic and published from there.
      const hit = kills.filter((x) => x.processing).map((x) => x.k);
      for (const k of processing) expect(hit, describeAll()).toContain(k);
      // Each restore of partition p after the first run finds every configured portfolio of p in the state topic.
      const onPartition = (p: number) => config.portfolios.filter((x) => partitionFor(x.id, config.kafka.partitions) === p).length;
      for (const inc of incarnations.slice(1)) {
        for (const l of logLines(inc.proc.output(), 'partition restored')) {
          expect(l['portfolios'], `${inc.name} restored partition ${String(l['partition'])}`).toBe(onPartition(Number(l['partition'])));
        }
      }
      for (const kill of kills.filter((x) => x.processing)) {
        const after = reallocs().filter((r) => r.seenAt > kill.at).map((r) => JSON.parse(r.value!) as ReallocationEvent);
        for (const p of config.portfolios) expect(after.some((e) => e.portfolioId === p.id), `${p.id}: nothing published after kill ${kill.k}`).toBe(true);
      }
    },
    120_000,
  );

  it(
    'two instances in one group, then one stopped: every portfolio keeps being reallocated, none twice',
    async () => {
      const testStarted = Date.now();
      const prefix = uniqueName('eos-scale');
      prefixes.push(prefix);
      const PARTITIONS = 4;
      // Portfolios on every partition, so both instances own some (the co-partition assigner
      // gives partition p to member p mod 2).
      const ids: string[] = [];
      const perPartition = new Map<number, number>();
      for (let n = 1; ids.length < 6 || [...Array(PARTITIONS).keys()].some((p) => !perPartition.has(p)); n++) {
        const id = `shop-${n}`;
        const p = partitionFor(id, PARTITIONS);
        if ((perPartition.get(p) ?? 0) >= 2) continue;
        perPartition.set(p, (perPartition.get(p) ?? 0) + 1);
        ids.push(id);
      }
      const portfolios = ids.map((id, i) => ({
        id,
        currency: 'EUR',
        budget: 1000 + 100 * i,
        maxChange: 0.25,
        channels: [
          { id: 'search', platform: 'google-ads', min: 50, max: 700 },
          { id: 'social', platform: 'meta', min: 50, max: 700 },
          { id: 'video', platform: 'tiktok', min: 0, max: 400 },
        ],
      }));
      const dir = mkdtempSync(join(tmpdir(), 'spendflow-eos-'));
      tempDirs.push(dir);
      const file = join(dir, 'portfolios.yaml');
      writeFileSync(file, JSON.stringify({ portfolios }, null, 2));
      const env = { ...envFor(prefix), SPENDFLOW_KAFKA_PARTITIONS: String(PARTITIONS) };
      const config = loadConfig({ files: [file], env });
      expect(config.portfolios.map((p) => p.id)).toEqual(ids);
      const t = config.kafka.topics;
      const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
      const timeline: string[] = [];
      const mark = (what: string) => timeline.push(`${((Date.now() - testStarted) / 1000).toFixed(1)}s ${what}`);

      const a = serve('instance-a', env, ['--config', file]);
      await untilReady(a, 40_000);
      mark('instance-a ready');
      const sim = spendflow(['simulate', '--config', file, '--speed', String(SPEED), '--start', simulatedStart()], env);
      running.push(sim);
      const read = await reader([...platforms.map((p) => `${t.reallocationsPrefix}${p}`), t.state, t.dlq]);
      const events = () => read.records.filter((r) => r.topic.startsWith(t.reallocationsPrefix)).map((r) => ({ seenAt: r.seenAt, e: JSON.parse(r.value!) as ReallocationEvent }));
      const late: { b?: Instance } = {};
      const describeAll = () =>
        `timeline:\n${timeline.join('\n')}\nsimulator:\n${tail(sim.output(), 10)}\n--- instance-a:\n${tail(a.proc.output(), 25)}\n--- instance-b:\n${tail(late.b?.proc.output() ?? '', 25)}`;
      await waitFor(events, (es) => ids.every((id) => es.some((x) => x.e.portfolioId === id)), 30_000, (es) => `not every portfolio reallocated by instance-a (${es.length} events)\n${describeAll()}`);
      mark('instance-a published for every portfolio');

      // The second instance joins while the simulator streams: half the partitions move to it.
      const b = serve('instance-b', env, ['--config', file]);
      late.b = b;
      await untilReady(b, 40_000);
      mark('instance-b ready');
      const published = async (i: Instance) => {
        const text = await (await fetch(`${i.url}/metrics`)).text();
        return text.split('\n').filter((l) => l.startsWith('spendflow_reallocations_published_total')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      };
      const owned = (i: Instance) => (logLines(i.proc.output(), 'joined consumer group').at(-1)?.['partitions'] as number[] | undefined) ?? [];
      await waitFor(
        async () => ({ b: await published(b), bOwns: owned(b), aOwns: owned(a) }),
        (x) => x.b > 0 && x.bOwns.length === PARTITIONS / 2 && x.aOwns.length === PARTITIONS / 2,
        30_000,
        (x) => `instance-b published ${x.b}, owns ${x.bOwns.join(',')}; instance-a owns ${x.aOwns.join(',')}\n${describeAll()}`,
      );
      const aBefore = await published(a);
      const bOwned = owned(b);
      const bPortfolios = ids.filter((id) => bOwned.includes(partitionFor(id, PARTITIONS)));
      // Both instances are publishing at once, each for its own portfolios.
      await waitFor(
        async () => ({ a: await published(a), b: await published(b) }),
        (x) => x.a > aBefore && x.b > 0,
        20_000,
        (x) => `instance-a published ${x.a} (was ${aBefore}), instance-b ${x.b}\n${describeAll()}`,
      );
      mark(`both publishing; instance-b owns partitions ${bOwned.join(',')} (${bPortfolios.join(',')}), instance-a ${owned(a).join(',')}`);
      expect(bPortfolios.length).toBeGreaterThan(0);
      expect(bPortfolios.length).toBeLessThan(ids.length);

      // Stop instance-b (SIGTERM: a clean shutdown); instance-a must take over its portfolios.
      const bPublished = await published(b);
      expect(await b.proc.stop(), tail(b.proc.output())).toBe(0);
      const stoppedAt = Date.now();
      mark(`instance-b stopped after publishing ${bPublished} events`);
      const latestAt = (es: ReturnType<typeof events>, id: string, until: number) => Math.max(0, ...es.filter((x) => x.e.portfolioId === id && x.seenAt <= until).map((x) => x.e.version));
      const atStop = new Map(ids.map((id) => [id, latestAt(events(), id, stoppedAt)]));
      await waitFor(
        events,
        (es) => ids.every((id) => es.some((x) => x.e.portfolioId === id && x.e.version > atStop.get(id)!)),
        40_000,
        (es) => `no new version after the stop for ${ids.filter((id) => !es.some((x) => x.e.portfolioId === id && x.e.version > atStop.get(id)!)).join(', ')}\n${describeAll()}`,
      );
      mark('every portfolio reallocated again after the stop');
      expect(owned(a)).toEqual([...Array(PARTITIONS).keys()]);

      const admin = testKafka(brokers).admin();
      await admin.connect();
      try {
        expect(await sim.stop(), sim.output()).toBe(0);
        mark('simulator stopped');
        await catchUp(admin, config.kafka.groupId, config, read, 30_000, describeAll);
        mark('caught up');
      } finally {
        await admin.disconnect();
      }
      await read.close();

      const { events: all, versions, problems } = checkChains(config, read.records);
      expect(problems, describeAll()).toEqual([]);
      expect(deadLetterSummary(read.records, t.dlq), describeAll()).toEqual([]);
      expect(checkReallocations(config, all).problems).toEqual([]);
      for (const id of ids) {
        const vs = versions.get(id)!;
        expect(vs.length, `${id}: versions ${vs.join(',')}`).toBeGreaterThanOrEqual(3);
        // Handed over twice (a → b when b joined, b → a when it stopped) without starting again.
        expect(all.filter((e) => e.portfolioId === id && e.previousVersion === 0).map((e) => e.version).filter((v, i, l) => l.indexOf(v) === i)).toEqual([vs[0]]);
        const learning = vs.filter((v) => all.some((e) => e.portfolioId === id && e.version === v && hasLearning(e)));
        expect(learning.length, `${id}: learning-phase versions ${learning.join(',')}`).toBeLessThanOrEqual(1);
      }
      const history = decisionHistory(read.records, t.state);
      expect(history.problems).toEqual([]);
      for (const id of ids) {
        const list = history.byPortfolio.get(id) ?? [];
        const regress = list.slice(1).filter((d, i) => d.bucketsSeen < list[i]!.bucketsSeen || d.version < list[i]!.version).map((d) => `@${d.offset} bucketsSeen ${d.bucketsSeen} version ${d.version}`);
        expect(regress, `${id}: decision state went back`).toEqual([]);
      }
      console.log(`scale-out test: ${((Date.now() - testStarted) / 1000).toFixed(1)} s; versions ${[...versions].map(([id, vs]) => `${id}(p${partitionFor(id, PARTITIONS)}):${vs.length}`).join(' ')}\n${timeline.join('\n')}`);
    },
    120_000,
  );
});
