/**
 * The contract every HistoryTarget keeps (src/telemetry/history-writer.ts), run against the
 * in-memory fake (test/unit/telemetry) and the real InfluxTarget on a real influxd
 * (test/integration/influx-target.test.ts), so the fake the writer tests use cannot drift from
 * InfluxDB. The semantics were measured on Debian's influxd 1.6 through the `influx` client:
 * see test/support/fake-history-target.ts.
 *
 * Timestamps are recent (InfluxDB refuses points older than the retention policy, 30 days here)
 * and the points of one test share a day (field types are fixed per shard, one day).
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMarket } from '../../src/app.ts';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { loadConfig } from '../../src/config/loader.ts';
import { createPipeline } from '../../src/pipeline/pipeline.ts';
import { SignalBus, type PipelineSignal } from '../../src/pipeline/signals.ts';
import { InProcessPublisher } from '../../src/publish/in-process-sink.ts';
import { builtInScenario } from '../../src/sim/scenarios.ts';
import { pointsFor } from '../../src/telemetry/history.ts';
import { HistoryWriteError, type HistoryTarget } from '../../src/telemetry/history-writer.ts';
import { INFLUX_SCHEMA, type HistoryPoint } from '../../src/telemetry/influx-points.ts';

export interface ReadPoint {
  readonly time: number;
  readonly tags: Record<string, string>;
  readonly fields: Record<string, number | string>;
}

export interface HistoryTargetHarness {
  readonly target: HistoryTarget;
  /** Every stored point of a measurement (any order). */
  read(measurement: string): Promise<ReadPoint[]>;
  cleanup(): Promise<void>;
}

const HOUR = 3_600_000;

/** The signals the demo market produces through the real pipeline, with the points history makes of them. */
export interface SimulatedHistory {
  readonly signals: PipelineSignal[];
  /** Per `reoptimized` / `bucket.modelled` signal, in order: the points history.ts queued for it. */
  readonly points: { readonly signal: PipelineSignal; readonly points: HistoryPoint[] }[];
}

/** Plays `hours` of the demo scenario from `start` (event time) through the pipeline, as the app does. */
export async function simulatedHistory(start: number, hours: number): Promise<SimulatedHistory> {
  const config = loadConfig({});
  const bus = new InProcessBus();
  const publisher = new InProcessPublisher(bus, config.kafka.topics);
  const signals = new SignalBus();
  const pipeline = createPipeline({ config, allocations: publisher, deadLetters: publisher, signals });
  const out: SimulatedHistory = { signals: [], points: [] };
  signals.on((signal) => {
    out.signals.push(signal);
    if (signal.type === 'reoptimized' || signal.type === 'bucket.modelled') out.points.push({ signal, points: pointsFor(signal, (id) => pipeline.portfolio(id)) });
  });
  const market = buildMarket(config, builtInScenario('demo'), start);
  for (let i = 0; i < (hours * 60) / config.simulator.tickMinutes; i++) {
    for (const r of market.step()) await pipeline.handle({ topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) });
  }
  return out;
}

const keyOf = (measurement: string, p: { tags: Readonly<Record<string, string>> }, time: number) =>
  `${measurement} ${JSON.stringify(Object.entries(p.tags).sort(([a], [b]) => a.localeCompare(b)))} ${time}`;

const asRead = (p: HistoryPoint): ReadPoint => ({ time: p.timestamp, tags: { ...p.tags }, fields: { ...p.fields } });

const sorted = (points: readonly ReadPoint[]) => [...points].sort((a, b) => a.time - b.time || JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));

async function refusal(promise: Promise<unknown>): Promise<HistoryWriteError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(HistoryWriteError);
    return err as HistoryWriteError;
  }
  throw new Error('expected the write to be refused');
}

export function describeHistoryTargetContract(name: string, make: () => Promise<HistoryTargetHarness>): void {
  describe(`HistoryTarget contract: ${name}`, () => {
    let harness: HistoryTargetHarness | null = null;
    const open = async () => (harness = await make());
    afterEach(async () => {
      await harness?.cleanup();
      harness = null;
    });

    // Recent event time, so the retention policy keeps it; an hour boundary like a bucket's.
    const base = Math.floor(Date.now() / HOUR) * HOUR - 30 * HOUR;
    // A sample of real points: a decision and buckets before and after the model could predict.
    let sample: HistoryPoint[] = [];
    beforeAll(async () => {
      const history = await simulatedHistory(base, 6);
      const forShop = history.points.filter((e) => 'portfolioId' in e.signal && e.signal.portfolioId === 'demo-shop');
      const buckets = forShop.filter((e) => e.signal.type === 'bucket.modelled');
      const decision = forShop.filter((e) => e.signal.type === 'reoptimized').at(-1)!;
      sample = [...buckets[0]!.points, ...buckets.at(-1)!.points, ...decision.points];
    });

    it('prepare() is idempotent, and a write before it fails retriably (no database yet)', async () => {
      const { target } = await open();
      const point: HistoryPoint = { measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: 1, spend: 2 }, timestamp: base };
      const early = await refusal(target.write([point]));
      expect(early.retriable).toBe(true);
      await target.prepare();
      await target.prepare();
      await target.write([point]);
      await target.prepare();
      expect(await harness!.read('bucket')).toEqual([asRead(point)]);
    });

    it('what is written reads back exactly (tags, fields, ms timestamps) for every measurement of INFLUX_SCHEMA', async () => {
      const { target, read } = await open();
      await target.prepare();
      expect(new Set(sample.map((p) => p.measurement))).toEqual(new Set(Object.keys(INFLUX_SCHEMA)));
      expect(new Set(sample.map((p) => keyOf(p.measurement, p, p.timestamp))).size).toBe(sample.length);
      // Both kinds of bucket point: before the model could predict (no predicted fields) and after.
      const bucketPoints = sample.filter((p) => p.measurement === 'bucket');
      expect(bucketPoints.map((p) => 'predicted' in p.fields)).toEqual([false, true]);
      await target.write(sample);
      for (const measurement of Object.keys(INFLUX_SCHEMA)) {
        const expected = sample.filter((p) => p.measurement === measurement).map(asRead);
        expect(sorted(await read(measurement)), measurement).toEqual(sorted(expected));
      }
    });

    it('keeps strings, empty strings, and floats bit for bit', async () => {
      const { target, read } = await open();
      await target.prepare();
      const point: HistoryPoint = {
        measurement: 'portfolio',
        tags: { portfolio: 'p' },
        fields: { budget: 0.1 + 0.2, allocated: 1 / 3, utilisation: 1e-300, expected_revenue: 123456789.12345679, version: 1772416800, status: 'a "quoted", status', guardrails: '' },
        timestamp: base + 1,
      };
      await target.write([point]);
      expect(await read('portfolio')).toEqual([asRead(point)]);
    });

    it('the same point (measurement, tags, time) written twice is kept once: the last write wins, field by field', async () => {
      const { target, read } = await open();
      await target.prepare();
      const tags = { portfolio: 'p', channel: 'search' };
      await target.write([{ measurement: 'bucket_spend', tags, fields: { spend: 1 }, timestamp: base }]);
      await target.write([{ measurement: 'bucket_spend', tags, fields: { spend: 2 }, timestamp: base }]);
      // Another tag set or another time is another point.
      await target.write([
        { measurement: 'bucket_spend', tags: { portfolio: 'p', channel: 'social' }, fields: { spend: 3 }, timestamp: base },
        { measurement: 'bucket_spend', tags, fields: { spend: 4 }, timestamp: base + HOUR },
      ]);
      expect(sorted(await read('bucket_spend'))).toEqual(
        sorted([
          { time: base, tags, fields: { spend: 2 } },
          { time: base, tags: { portfolio: 'p', channel: 'social' }, fields: { spend: 3 } },
          { time: base + HOUR, tags, fields: { spend: 4 } },
        ]),
      );
      // A rewrite with fewer fields keeps the fields it does not name (InfluxDB merges them).
      await target.write([{ measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: 10, spend: 5, predicted: 9 }, timestamp: base }]);
      await target.write([{ measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: 11, spend: 5 }, timestamp: base }]);
      expect(await read('bucket')).toEqual([{ time: base, tags: { portfolio: 'p' }, fields: { revenue: 11, spend: 5, predicted: 9 } }]);
    });

    it('a field whose type conflicts with the stored one (number vs string) is refused, not retriable; the rest of the batch is written', async () => {
      const { target, read } = await open();
      await target.prepare();
      const point = (fields: Record<string, number | string>, offset: number, portfolio = 'p'): HistoryPoint => ({ measurement: 'portfolio', tags: { portfolio }, fields, timestamp: base + offset });
      await target.write([point({ budget: 100, status: 'optimized' }, 0)]);
      const stringForNumber = await refusal(target.write([point({ budget: 'lots' }, 1), point({ budget: 200 }, 2, 'q')]));
      expect(stringForNumber.retriable).toBe(false);
      const numberForString = await refusal(target.write([point({ budget: 300, status: 7 }, 3)]));
      expect(numberForString.retriable).toBe(false);
      // Within one batch too: the first point fixes a new field's type.
      const inBatch = await refusal(target.write([point({ guardrails: 'learning' }, 4), point({ guardrails: 5 }, 5)]));
      expect(inBatch.retriable).toBe(false);
      expect(sorted(await read('portfolio'))).toEqual(
        sorted([
          { time: base, tags: { portfolio: 'p' }, fields: { budget: 100, status: 'optimized' } },
          { time: base + 2, tags: { portfolio: 'q' }, fields: { budget: 200 } },
          { time: base + 4, tags: { portfolio: 'p' }, fields: { guardrails: 'learning' } },
        ]),
      );
    });

    it('an empty tag value is refused like InfluxDB does ("missing tag value"), not retriable; the rest of the batch is written', async () => {
      const { target, read } = await open();
      await target.prepare();
      const good: HistoryPoint = { measurement: 'allocation', tags: { portfolio: 'p', channel: 'search', platform: 'google-ads' }, fields: { budget: 1 }, timestamp: base };
      const empty: HistoryPoint = { measurement: 'allocation', tags: { portfolio: 'p', channel: 'social', platform: '' }, fields: { budget: 2 }, timestamp: base };
      const err = await refusal(target.write([empty, good]));
      expect(err.retriable).toBe(false);
      expect(await read('allocation')).toEqual([asRead(good)]);
    });

    it('points without fields, with non-finite fields or older than the retention policy are refused, not retriable', async () => {
      const { target, read } = await open();
      await target.prepare();
      const good: HistoryPoint = { measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: 1 }, timestamp: base };
      for (const bad of [
        { ...good, fields: {} },
        { ...good, fields: { revenue: Number.NaN } },
        { ...good, fields: { revenue: Number.POSITIVE_INFINITY } },
        { ...good, timestamp: Date.now() - 40 * 24 * HOUR },
      ]) {
        const err = await refusal(target.write([bad, good]));
        expect(err.retriable).toBe(false);
      }
      expect(await read('bucket')).toEqual([asRead(good)]);
    });
  });
}
