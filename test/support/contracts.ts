/**
 * One contract per port, run against the in-process adapter (test/unit) and the Kafka adapter
 * (test/integration), so the fake cannot drift from what Kafka does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../../src/events/types.ts';
import type { AllocationSink, DeadLetterSink, EventSource, SourceRecord } from '../../src/ports.ts';
import { waitFor } from './kafka.ts';

export interface Written {
  readonly key: string | null;
  readonly value: string;
}

export interface SinkHarness {
  readonly sink: AllocationSink & DeadLetterSink;
  readonly topics: Config['kafka']['topics'];
  /** Everything on `topic` so far, in order. */
  read(topic: string): Promise<readonly Written[]>;
  close(): Promise<void>;
}

export interface SourceHarness {
  readonly source: EventSource;
  readonly topics: Config['kafka']['topics'];
  write(topic: string, key: string | null, value: string): Promise<void>;
  close(): Promise<void>;
}

export function reallocation(over: Partial<ReallocationEvent> = {}): ReallocationEvent {
  const base: ReallocationEvent = {
    eventId: 'p1:1:search',
    portfolioId: 'p1',
    channelId: 'search',
    platform: 'google-ads',
    currency: 'EUR',
    version: 1767607200,
    previousVersion: 1767603600,
    dataUntil: '2026-01-05T10:00:00.000Z',
    budget: 600,
    previousBudget: 500,
    effectiveFrom: '2026-01-05T10:00:00.000Z',
    effectiveUntil: '2026-01-05T11:00:00.000Z',
    expectedRevenue: 900,
    marginalRoi: 1.2,
    portfolioBudget: 1000,
    portfolioExpectedRevenue: 2100,
    reason: 'raised search 20%',
    guardrails: ['max_change'],
    solver: 'exact',
    gap: 0,
    decidedAt: '2026-01-05T09:10:00.000Z',
  };
  const merged = { ...base, ...over };
  return { ...merged, eventId: `${merged.portfolioId}:${merged.version}:${merged.channelId}` };
}

const TIMEOUT = 30_000;

async function readAtLeast(h: SinkHarness, topic: string, n: number): Promise<readonly Written[]> {
  return waitFor(() => h.read(topic), (r) => r.length >= n, TIMEOUT, (r) => `${r.length} of ${n} records on ${topic}`);
}

export function describeAllocationSinkContract(name: string, make: () => Promise<SinkHarness>): void {
  describe(`AllocationSink + DeadLetterSink contract: ${name}`, () => {
    let h: SinkHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    it('publishes each event to its platform topic, keyed by portfolio, as the same JSON', async () => {
      const a = reallocation({ channelId: 'search', platform: 'google-ads' });
      const b = reallocation({ channelId: 'social', platform: 'meta', budget: 400, previousBudget: 500 });
      await h.sink.publish([a, b]);
      const google = await readAtLeast(h, `${h.topics.reallocationsPrefix}google-ads`, 1);
      const meta = await readAtLeast(h, `${h.topics.reallocationsPrefix}meta`, 1);
      expect(google).toHaveLength(1);
      expect(meta).toHaveLength(1);
      expect(google[0]!.key).toBe('p1');
      expect(JSON.parse(google[0]!.value)).toEqual(a);
      expect(JSON.parse(meta[0]!.value)).toEqual(b);
    });

    it('keeps the order of one portfolio’s reallocations', async () => {
      const versions = [1767607200, 1767610800, 1767614400, 1767618000, 1767621600];
      for (const [i, version] of versions.entries()) await h.sink.publish([reallocation({ version, budget: 500 + i })]);
      const got = await readAtLeast(h, `${h.topics.reallocationsPrefix}google-ads`, 5);
      expect(got.map((r) => (JSON.parse(r.value) as ReallocationEvent).version)).toEqual(versions);
    });

    it('dead-letters a record with its reason, fields and original payload', async () => {
      const letter: DeadLetter = {
        reason: 'invalid',
        error: 'amount: must be >= 0 (got -5)',
        fields: [{ field: 'amount', message: 'must be >= 0 (got -5)' }],
        source: { topic: h.topics.spend, partition: 0, offset: '7' },
        key: 'p1',
        payload: '{"amount":-5}',
        receivedAt: '2026-01-05T10:00:00.000Z',
      };
      await h.sink.send(letter);
      await h.sink.send({ ...letter, reason: 'malformed_json', key: null, payload: '{not json' });
      const got = await readAtLeast(h, h.topics.dlq, 2);
      expect(JSON.parse(got[0]!.value)).toEqual(letter);
      expect(got[0]!.key).toBe('p1');
      expect(got[1]!.key).toBeNull();
      expect((JSON.parse(got[1]!.value) as DeadLetter).payload).toBe('{not json');
    });
  });
}

export function describeEventSourceContract(name: string, make: () => Promise<SourceHarness>): void {
  describe(`EventSource contract: ${name}`, () => {
    let h: SourceHarness;
    beforeEach(async () => {
      h = await make();
    });
    afterEach(async () => {
      await h.close();
    });

    it('delivers spend and sales records with their kind, key and bytes, in order per key', async () => {
      const got: SourceRecord[] = [];
      await h.source.start(async (r) => {
        got.push(r);
      });
      for (let i = 0; i < 5; i++) await h.write(h.topics.spend, 'p1', JSON.stringify({ i }));
      await h.write(h.topics.sales, 'p1', '{"sale":true}');
      await h.write(h.topics.spend, 'p2', 'not json at all');
      await waitFor(() => got.length, (n) => n >= 7, TIMEOUT, (n) => `${n} of 7 records delivered`);
      expect(h.source.isReady()).toBe(true);
      const p1Spend = got.filter((r) => r.key === 'p1' && r.kind === 'spend').map((r) => (JSON.parse(r.value) as { i: number }).i);
      expect(p1Spend).toEqual([0, 1, 2, 3, 4]);
      expect(got.find((r) => r.topic === h.topics.sales)).toMatchObject({ kind: 'sales', key: 'p1', value: '{"sale":true}' });
      expect(got.find((r) => r.key === 'p2')).toMatchObject({ kind: 'spend', value: 'not json at all' });
    });

    it('delivers a record again when the handler fails, and loses nothing after it', async () => {
      const seen: string[] = [];
      let failures = 0;
      await h.source.start(async (r) => {
        if (r.value === '"b"' && failures === 0) {
          failures++;
          throw new Error('transient');
        }
        seen.push(r.value);
      });
      for (const v of ['"a"', '"b"', '"c"']) await h.write(h.topics.spend, 'p1', v);
      await waitFor(() => seen.length, (n) => n >= 3, TIMEOUT, (n) => `${n} of 3 handled`);
      expect(failures).toBe(1);
      expect(seen).toEqual(['"a"', '"b"', '"c"']);
    });
  });
}
