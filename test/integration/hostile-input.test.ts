/**
 * Fuzz on the real broker (issue 5): 10,000 hostile records — random bytes, truncated JSON, wrong
 * types, huge and negative numbers, NaN/Infinity strings, timestamps far in the future or past,
 * unknown portfolios and channels, oversized payloads, … (test/support/hostile-events.ts) — go to
 * the spend and sales topics of an in-process spendflow in Kafka mode, between valid simulated
 * events. Every one of them must come out on the dead-letter topic exactly once (read_committed),
 * with a known reason and the fields at fault; the DLQ counts per reason must equal the /metrics
 * counters and what the generator predicts; and the service must stay up and keep reallocating.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import kafkajs from 'kafkajs';
import { buildApp, buildMarket, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import type { Config } from '../../src/config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../../src/events/types.ts';
import { PortfolioDirectory, decodeRecord } from '../../src/ingest/decode.ts';
import { createLogger } from '../../src/log.ts';
import { seededRandom } from '../../src/random.ts';
import { builtInScenario } from '../../src/sim/scenarios.ts';
import { partitionFor } from '../../src/stream/partitioning.ts';
import { hostileRecords, type HostileRecord } from '../support/hostile-events.ts';
import { collectTopics, deleteTopicsMatching, testKafka, testTopics, uniqueName, waitFor, type ReadRecord } from '../support/kafka.ts';
import { checkReallocations } from '../support/reallocations.ts';

const { Partitioners } = kafkajs;
const brokers = inject('kafkaBrokers');
const prefix = uniqueName('hostile');
const COUNT = 10_000;
const HOUR = 3_600_000;
const PARTITIONS = 3;
const KNOWN_REASONS = new Set(['too_large', 'malformed_json', 'invalid', 'unknown_portfolio', 'unknown_channel', 'late', 'wrong_partition', 'internal']);

let config: Config;
let app: App;
let reader: { records: ReadRecord[]; close(): Promise<void> };

interface Placed {
  readonly topic: string;
  readonly partition: number;
  readonly key: string | null;
  readonly value: string;
}

/**
 * Produces records to explicit partitions, in order, in requests small enough for the broker's
 * 1 MB batch limit, and returns each record's offset (index-aligned with `records`): one
 * idempotent producer, one partition's chunk per request, so a chunk's offsets are contiguous
 * from the base offset the broker returns.
 */
async function produceAt(records: readonly Placed[]): Promise<string[]> {
  const producer = testKafka(brokers).producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const offsets: string[] = new Array(records.length);
  try {
    const lanes = new Map<string, number[]>();
    records.forEach((r, i) => {
      const lane = `${r.topic}\u0000${r.partition}`;
      lanes.set(lane, [...(lanes.get(lane) ?? []), i]);
    });
    for (const indices of lanes.values()) {
      let chunk: number[] = [];
      let bytes = 0;
      const flush = async () => {
        if (chunk.length === 0) return;
        const first = records[chunk[0]!]!;
        const [meta] = await producer.send({
          topic: first.topic,
          acks: -1,
          messages: chunk.map((i) => ({ key: records[i]!.key, value: records[i]!.value, partition: first.partition })),
        });
        const base = BigInt(meta!.baseOffset!);
        chunk.forEach((i, n) => (offsets[i] = (base + BigInt(n)).toString()));
        chunk = [];
        bytes = 0;
      };
      for (const i of indices) {
        const size = Buffer.byteLength(records[i]!.value) + 200;
        if (bytes + size > 700_000 || chunk.length >= 500) await flush();
        chunk.push(i);
        bytes += size;
      }
      await flush();
    }
  } finally {
    await producer.disconnect();
  }
  return offsets;
}

beforeAll(async () => {
  config = loadConfig({
    overrides: {
      service: { logLevel: 'warn' },
      api: { token: 'fuzz-token' },
      kafka: {
        brokers: brokers.split(','),
        groupId: `${prefix}-group`,
        partitions: PARTITIONS,
        topics: testTopics(prefix),
      },
      simulator: { enabled: 'off' },
    },
  });
  app = await buildApp(config, createLogger('error'));
  await app.start();
  const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
  reader = await collectTopics(brokers, [config.kafka.topics.dlq, ...platforms.map((p) => `${config.kafka.topics.reallocationsPrefix}${p}`)]);
}, 120_000);

afterAll(async () => {
  await reader?.close();
  await app?.stop();
  await deleteTopicsMatching(brokers, prefix);
});

describe('10,000 hostile records on the real broker', () => {
  it('dead-letters every hostile record exactly once with its reason, counts agree, and the service carries on', { timeout: 120_000 }, async () => {
    const t = config.kafka.topics;
    const started = Date.now();
    const metrics = async () => (await app.server.inject({ url: '/metrics' })).body;
    const metric = async (name: string, labels: Record<string, string> = {}) =>
      (await metrics())
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
        .reduce((s, l) => s + Number(l.split(' ').pop()), 0);

    // Valid simulated traffic, in event time well before the wall clock (the event-time bounds
    // are checked against it): phase A before the hostile records, phase B after them.
    const now = Date.now();
    const start = Math.floor(now / HOUR) * HOUR - 30 * HOUR;
    const market = buildMarket(config, builtInScenario('demo'), start);
    const valid = (hours: number): Placed[] => {
      const out: Placed[] = [];
      for (let i = 0; i < (hours * 60) / config.simulator.tickMinutes; i++) {
        for (const r of market.step()) out.push({ topic: r.topic === 'spend' ? t.spend : t.sales, key: r.key, partition: partitionFor(r.key, PARTITIONS), value: JSON.stringify(r.value) });
      }
      return out;
    };
    const phaseA = valid(10);
    const phaseB = valid(8);

    // The hostile records. Their time bounds are judged against the wall clock when the service
    // reads them, seconds after they were generated: "just past the age limit" stays past it as
    // the clock moves on, but "just past the future limit" would slip inside it, so the far-future
    // family is generated for a clock ten minutes ahead (the same draws otherwise).
    const options = { portfolios: config.portfolios, maxEventBytes: config.ingest.maxEventBytes, maxJumpHours: config.ingest.maxEventTimeJumpHours, maxAgeHours: config.ingest.maxEventAgeHours, seed: 5 };
    const atNow = hostileRecords(COUNT, { ...options, now });
    const ahead = hostileRecords(COUNT, { ...options, now: now + 10 * 60_000 });
    const hostile: HostileRecord[] = atNow.map((r, i) => (r.family === 'far-future-ts' ? ahead[i]! : r));

    // Keys as the generator gives them; a keyed record goes to its key's partition (what
    // kafkajs's and Java's default partitioners do), an unkeyed one to a seeded random partition.
    // An unkeyed record that is well-formed apart from its time (it decodes) and lands off its
    // portfolio's partition is dead-lettered wrong_partition: that check comes first.
    const rng = seededRandom(55);
    const directory = new PortfolioDirectory(config.portfolios);
    const placed = hostile.map((r) => {
      const topic = r.kind === 'spend' ? t.spend : t.sales;
      const partition = r.key !== null ? partitionFor(r.key, PARTITIONS) : rng.int(PARTITIONS);
      let expected: string = r.expected;
      if (r.key === null) {
        const decoded = decodeRecord({ ...r, topic }, directory, { maxEventBytes: config.ingest.maxEventBytes });
        if (decoded.ok && partitionFor(decoded.event.portfolioId, PARTITIONS) !== partition) expected = 'wrong_partition';
      }
      return { record: r, topic, partition, expected };
    });

    const offsetsA = await produceAt(phaseA);
    const hostileOffsets = await produceAt(placed.map((p) => ({ topic: p.topic, partition: p.partition, key: p.record.key, value: p.record.value })));
    const producedAt = Date.now();

    const letters = () => reader.records.filter((r) => r.topic === t.dlq);
    await waitFor(
      async () => [letters().length, await metric('spendflow_events_consumed_total')] as const,
      ([dlq, consumed]) => dlq >= COUNT && consumed >= phaseA.length + COUNT,
      90_000,
      ([dlq, consumed]) => `dead letters ${dlq} of ${COUNT}, consumed ${consumed} of ${phaseA.length + COUNT}`,
    );
    const drainedAt = Date.now();

    // Exactly once each: the dead letter's source (topic, partition, offset) is the record's.
    const where = (topic: string, partition: number, offset: string) => `${topic}/${partition}/${offset}`;
    const hostileAt = new Map(placed.map((p, i) => [where(p.topic, p.partition, hostileOffsets[i]!), { ...p, index: i }]));
    const validAt = new Set(phaseA.map((p, i) => where(p.topic, p.partition, offsetsA[i]!)));
    const seen = new Map<string, number>();
    const problems: string[] = [];
    const byReason = new Map<string, number>();
    for (const raw of letters()) {
      const letter = JSON.parse(raw.value) as DeadLetter;
      byReason.set(letter.reason, (byReason.get(letter.reason) ?? 0) + 1);
      const at = where(letter.source.topic, letter.source.partition ?? -1, letter.source.offset ?? '?');
      seen.set(at, (seen.get(at) ?? 0) + 1);
      if (validAt.has(at)) problems.push(`valid event ${at} dead-lettered: ${letter.reason} ${letter.error.slice(0, 200)}`);
      const h = hostileAt.get(at);
      if (!h) {
        if (!validAt.has(at)) problems.push(`dead letter from nowhere: ${at} ${letter.reason}`);
        continue;
      }
      const tag = `#${h.index} ${h.record.variant}`;
      if (!KNOWN_REASONS.has(letter.reason)) problems.push(`${tag}: unknown reason ${letter.reason}`);
      if (letter.reason !== h.expected) problems.push(`${tag}: ${letter.reason}, expected ${h.expected} (${letter.error.slice(0, 160)})`);
      if (letter.reason !== 'internal' && (letter.fields.length === 0 || letter.fields.some((f) => !f.field || !f.message))) problems.push(`${tag}: fields ${JSON.stringify(letter.fields).slice(0, 200)}`);
      if (letter.key !== h.record.key) problems.push(`${tag}: key ${letter.key}, produced ${h.record.key}`);
      // What the broker holds: the string as UTF-8 (a lone surrogate goes out as U+FFFD).
      const wire = Buffer.from(h.record.value, 'utf8').toString('utf8');
      const payload = letter.reason === 'too_large' ? wire.startsWith(letter.payload) && letter.payload.length >= Math.min(1000, wire.length) : letter.payload === wire;
      if (!payload) problems.push(`${tag}: payload differs (${letter.payload.length} chars, produced ${wire.length})`);
      if (Number.isNaN(Date.parse(letter.receivedAt))) problems.push(`${tag}: receivedAt ${letter.receivedAt}`);
    }
    for (const [at, n] of seen) if (n > 1) problems.push(`${at}: ${n} dead letters`);
    const missing = [...hostileAt].filter(([at]) => !seen.has(at)).map(([, h]) => `#${h.index} ${h.record.variant}: no dead letter (expected ${h.expected})`);
    expect(missing.slice(0, 20), `${missing.length} hostile records never dead-lettered`).toEqual([]);
    expect(problems.slice(0, 30), `${problems.length} problems`).toEqual([]);
    expect(letters()).toHaveLength(COUNT);

    // The counts: the DLQ per reason, the generator's prediction, and the service's own counters.
    const predicted = new Map<string, number>();
    for (const p of placed) predicted.set(p.expected, (predicted.get(p.expected) ?? 0) + 1);
    expect(Object.fromEntries([...byReason].sort())).toEqual(Object.fromEntries([...predicted].sort()));
    for (const reason of KNOWN_REASONS) {
      const n = byReason.get(reason) ?? 0;
      expect(await metric('spendflow_dead_letters_total', { reason }), `dead_letters_total{reason="${reason}"}`).toBe(n);
      if (reason !== 'late') expect(await metric('spendflow_invalid_events_total', { reason }), `invalid_events_total{reason="${reason}"}`).toBe(n);
    }
    expect(await metric('spendflow_late_events_total')).toBe(byReason.get('late') ?? 0);
    expect(await metric('spendflow_events_consumed_total', { result: 'invalid' })).toBe(COUNT - (byReason.get('late') ?? 0));
    expect(await metric('spendflow_events_consumed_total', { result: 'accepted' })).toBe(phaseA.length);
    expect(await metric('spendflow_events_consumed_total', { result: 'duplicate' })).toBe(0);

    // Still up, still ready, and still reallocating on new valid events.
    expect((await app.server.inject({ url: '/health' })).statusCode).toBe(200);
    const ready = await app.server.inject({ url: '/ready' });
    expect(ready.statusCode, ready.body).toBe(200);
    expect(ready.json()).toMatchObject({ ready: true });
    const realloc = () => reader.records.filter((r) => r.topic.startsWith(t.reallocationsPrefix)).map((r) => JSON.parse(r.value) as ReallocationEvent);
    const before = new Map(config.portfolios.map((p) => [p.id, Math.max(0, ...realloc().filter((e) => e.portfolioId === p.id).map((e) => e.version))]));
    const offsetsB = await produceAt(phaseB);
    expect(offsetsB).toHaveLength(phaseB.length);
    await waitFor(
      async () => [await metric('spendflow_events_consumed_total'), realloc().filter((e) => e.version > before.get(e.portfolioId)!).length] as const,
      ([consumed, fresh]) => consumed >= phaseA.length + COUNT + phaseB.length && fresh > 0,
      60_000,
      ([consumed, fresh]) => `consumed ${consumed} of ${phaseA.length + COUNT + phaseB.length}; reallocations after the hostile records: ${fresh} (versions before: ${JSON.stringify([...before])})`,
    );
    expect(await metric('spendflow_events_consumed_total', { result: 'accepted' })).toBe(phaseA.length + phaseB.length);
    expect(letters()).toHaveLength(COUNT);
    const report = checkReallocations(config, realloc());
    expect(report.problems).toEqual([]);
    expect((await app.server.inject({ url: '/health' })).statusCode).toBe(200);
    console.info(`hostile-input: produced ${COUNT} hostile + ${phaseA.length + phaseB.length} valid; all dead-lettered ${((drainedAt - producedAt) / 1000).toFixed(1)} s after producing; reasons ${JSON.stringify(Object.fromEntries(byReason))}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
});
