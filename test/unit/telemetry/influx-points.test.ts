/**
 * The points history writes, from real pipeline signals (30 simulated hours of the demo market
 * through the pipeline) and from the online model directly.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.ts';
import { createOnlineModel, updateOnlineModel } from '../../../src/model/online/online-model.ts';
import type { OnlineModelState } from '../../../src/model/online/types.ts';
import type { PortfolioAllocation } from '../../../src/pipeline/allocation-state.ts';
import type { PipelineSignal } from '../../../src/pipeline/signals.ts';
import { allocationPoints, bucketPoints, INFLUX_SCHEMA, type HistoryPoint, type Measurement } from '../../../src/telemetry/influx-points.ts';
import { simulatedHistory, type SimulatedHistory } from '../../support/history-target-contract.ts';
import { OPTIONS, specOf } from '../model/online/model-runs.ts';
import { syntheticBuckets } from '../model/online/synthetic.ts';

const START = Date.parse('2026-03-02T00:00:00Z');
const HOURS = 30;
const HOUR = 3_600_000;
const config = loadConfig({});
const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;

type Reoptimized = Extract<PipelineSignal, { type: 'reoptimized' }>;
type Modelled = Extract<PipelineSignal, { type: 'bucket.modelled' }>;

let run: SimulatedHistory;
let all: HistoryPoint[];
let decisions: { signal: Reoptimized; points: HistoryPoint[] }[];
let modelled: { signal: Modelled; points: HistoryPoint[] }[];
beforeAll(async () => {
  run = await simulatedHistory(START, HOURS);
  all = run.points.flatMap((e) => e.points);
  decisions = run.points.filter((e): e is { signal: Reoptimized; points: HistoryPoint[] } => e.signal.type === 'reoptimized');
  modelled = run.points.filter((e): e is { signal: Modelled; points: HistoryPoint[] } => e.signal.type === 'bucket.modelled');
});

const of = (points: readonly HistoryPoint[], measurement: Measurement) => points.filter((p) => p.measurement === measurement);
const num = (p: HistoryPoint, field: string) => p.fields[field] as number;

describe('points and INFLUX_SCHEMA', () => {
  it('every point uses only the measurements, tags and fields of the schema; strings only where the schema has them', () => {
    expect(new Set(all.map((p) => p.measurement))).toEqual(new Set(Object.keys(INFLUX_SCHEMA)));
    const stringFields = new Set(['portfolio.status', 'portfolio.guardrails']);
    for (const p of all) {
      const schema = INFLUX_SCHEMA[p.measurement as Measurement];
      expect(schema, p.measurement).toBeDefined();
      expect(Object.keys(p.tags).sort(), p.measurement).toEqual([...schema.tags].sort());
      for (const v of Object.values(p.tags)) expect(v).not.toBe('');
      expect(Object.keys(p.fields).length, p.measurement).toBeGreaterThan(0);
      for (const [field, value] of Object.entries(p.fields)) {
        expect(schema.fields as readonly string[], `${p.measurement}.${field}`).toContain(field);
        expect(typeof value, `${p.measurement}.${field}`).toBe(stringFields.has(`${p.measurement}.${field}`) ? 'string' : 'number');
      }
      if ('version' in p.fields) expect(Number.isInteger(p.fields['version'])).toBe(true);
      expect(Number.isSafeInteger(p.timestamp)).toBe(true);
    }
  });

  it('no field is NaN or infinite, even when the allocation has such numbers (they are left out)', () => {
    for (const p of all) for (const v of Object.values(p.fields)) if (typeof v === 'number') expect(Number.isFinite(v)).toBe(true);
    const real = decisions.find((d) => d.signal.portfolioId === 'demo-shop')!.signal.allocation;
    const odd: PortfolioAllocation = {
      ...real,
      marginalRoi: { ...real.marginalRoi, search: Number.NaN, social: Number.POSITIVE_INFINITY },
      expectedRevenue: { ...real.expectedRevenue, display: Number.NaN },
      portfolioExpectedRevenue: Number.NaN,
      gap: null,
    };
    const points = allocationPoints(shop, odd, shop.budget, START);
    const search = points.find((p) => p.tags['channel'] === 'search')!;
    expect(search.fields).not.toHaveProperty('marginal_roi');
    expect(search.fields).toHaveProperty('expected_revenue');
    expect(points.find((p) => p.tags['channel'] === 'social')!.fields).not.toHaveProperty('marginal_roi');
    expect(points.find((p) => p.tags['channel'] === 'display')!.fields).not.toHaveProperty('expected_revenue');
    const portfolio = of(points, 'portfolio')[0]!;
    expect(portfolio.fields).not.toHaveProperty('expected_revenue');
    expect(portfolio.fields).not.toHaveProperty('gap');
    expect(portfolio.fields).toMatchObject({ budget: shop.budget, status: real.status });
  });
});

describe('allocationPoints', () => {
  it('one allocation point per channel and one portfolio point, at the decision\'s event time', () => {
    expect(decisions.length).toBeGreaterThan(HOURS);
    for (const { signal, points } of decisions) {
      const portfolio = config.portfolios.find((p) => p.id === signal.portfolioId)!;
      const time = signal.at;
      // Event time: inside the simulated hours (March 2026), not the wall clock of the run.
      expect(time).toBeGreaterThanOrEqual(START);
      expect(time).toBeLessThanOrEqual(START + (HOURS + 1) * HOUR);
      expect(points.every((p) => p.timestamp === time)).toBe(true);
      expect(of(points, 'allocation').map((p) => p.tags)).toEqual(portfolio.channels.map((c) => ({ portfolio: portfolio.id, channel: c.id, platform: c.platform })));
      expect(of(points, 'portfolio')).toHaveLength(1);
    }
    // Every decision gets its own time, so a later one (unchanged, learning) never overwrites an
    // earlier one's point in InfluxDB.
    for (const id of new Set(decisions.map((d) => d.signal.portfolioId))) {
      const times = decisions.filter((d) => d.signal.portfolioId === id).map((d) => d.signal.at);
      expect(times.every((t, i) => i === 0 || t > times[i - 1]!), `${id}: ${times.join(',')}`).toBe(true);
    }
  });

  it('shares sum to 1; utilisation is allocated / budget; the portfolio point carries status, version and guardrails', () => {
    for (const { signal, points } of decisions) {
      const allocation = signal.allocation;
      const channels = of(points, 'allocation');
      const allocated = Object.values(allocation.budgets).reduce((s, v) => s + v, 0);
      expect(channels.reduce((s, p) => s + num(p, 'share'), 0)).toBeCloseTo(1, 12);
      for (const p of channels) {
        expect(num(p, 'budget')).toBe(allocation.budgets[p.tags['channel']!]);
        expect(num(p, 'share')).toBeCloseTo(num(p, 'budget') / allocated, 12);
      }
      const portfolio = of(points, 'portfolio')[0]!;
      expect(num(portfolio, 'budget')).toBe(signal.budget);
      expect(num(portfolio, 'allocated')).toBeCloseTo(allocated, 9);
      expect(num(portfolio, 'utilisation')).toBeCloseTo(allocated / signal.budget, 12);
      expect(portfolio.fields).toMatchObject({ version: allocation.version, status: allocation.status, guardrails: allocation.guardrails.join(',') });
      expect('gap' in portfolio.fields).toBe(allocation.gap !== null);
    }
    // Both kinds were seen: decisions with a certified gap and without.
    expect(decisions.some((d) => d.signal.allocation.gap !== null)).toBe(true);
    expect(decisions.some((d) => d.signal.allocation.gap === null)).toBe(true);
  });

  it('a decision without a finite event time gives no points; a zero budget gives no NaN', () => {
    const real = decisions[0]!.signal.allocation;
    expect(allocationPoints(shop, real, shop.budget, Number.NaN)).toEqual([]);
    // A zero budget makes neither shares nor utilisation NaN.
    const empty = allocationPoints(shop, { ...real, budgets: Object.fromEntries(shop.channels.map((c) => [c.id, 0])) }, 0, START);
    expect(of(empty, 'allocation').map((p) => p.fields['share'])).toEqual(shop.channels.map(() => 0));
    expect(of(empty, 'portfolio')[0]!.fields['utilisation']).toBe(0);
  });
});

describe('bucketPoints', () => {
  it('at the start of the bucket just absorbed: revenue, total spend and one spend point per channel', () => {
    expect(modelled.length).toBe(2 * (HOURS - 1));
    for (const { signal, points } of modelled) {
      expect(signal.bucketStart % HOUR).toBe(0);
      expect(points.every((p) => p.timestamp === signal.bucketStart)).toBe(true);
      const row = signal.model.window.at(-1)!;
      expect(row.start).toBe(signal.bucketStart);
      const bucket = of(points, 'bucket');
      expect(bucket).toHaveLength(1);
      expect(num(bucket[0]!, 'revenue')).toBe(row.revenue);
      const spend = of(points, 'bucket_spend');
      expect(spend.map((p) => p.tags['channel'])).toEqual(signal.model.channels);
      expect(spend.map((p) => num(p, 'spend'))).toEqual(row.spend);
      expect(num(bucket[0]!, 'spend')).toBeCloseTo(row.spend.reduce((s, v) => s + v, 0), 9);
    }
  });

  it('no predicted fields while the model cannot predict; afterwards predicted_low ≤ predicted ≤ predicted_high, low ≥ 0', () => {
    for (const id of ['demo-shop', 'demo-outdoor']) {
      const buckets = modelled.filter((m) => m.signal.portfolioId === id).map((m) => of(m.points, 'bucket')[0]!);
      expect(Object.keys(buckets[0]!.fields).sort()).toEqual(['revenue', 'spend']);
      for (const b of buckets.slice(1)) {
        expect(Object.keys(b.fields).sort()).toEqual(['predicted', 'predicted_high', 'predicted_low', 'revenue', 'spend']);
        expect(num(b, 'predicted_low')).toBeGreaterThanOrEqual(0);
        expect(num(b, 'predicted_low')).toBeLessThanOrEqual(num(b, 'predicted'));
        expect(num(b, 'predicted_high')).toBeGreaterThanOrEqual(num(b, 'predicted'));
      }
    }
  });

  it('channel_model points appear once the model is fitted: one per channel with sensible estimates', () => {
    const buckets = syntheticBuckets({ seed: 3, buckets: 2 });
    const fresh = createOnlineModel(specOf(), OPTIONS);
    expect(bucketPoints('p', fresh, {})).toEqual([]);
    // A state that holds a bucket but whose blocks were never solved (nothing to explain yet).
    const unsolved: OnlineModelState = { ...fresh, window: [{ start: buckets[0]!.start, revenue: 100, spend: fresh.channels.map(() => 10), attributed: fresh.channels.map(() => 0) }], lastBucket: buckets[0]!.start };
    expect(unsolved.blocks.every((b) => b.mean.length === 0)).toBe(true);
    expect(bucketPoints('p', unsolved, {}).map((p) => p.measurement)).toEqual(['bucket', 'bucket_spend', 'bucket_spend', 'bucket_spend']);
    const first = updateOnlineModel(fresh, buckets[0]!, OPTIONS).state;
    const points = bucketPoints('p', first, { search: 600, social: 500, display: 300 });
    expect(of(points, 'bucket')[0]!.fields).not.toHaveProperty('predicted');
    const models = of(points, 'channel_model');
    expect(models.map((p) => p.tags)).toEqual(first.channels.map((channel) => ({ portfolio: 'p', channel })));
    expect(models.every((p) => p.timestamp === buckets[0]!.start)).toBe(true);

    for (const { points: pts } of modelled) {
      for (const p of of(pts, 'channel_model')) {
        expect(num(p, 'roi_low')).toBeLessThanOrEqual(num(p, 'roi'));
        expect(num(p, 'roi_high')).toBeGreaterThanOrEqual(num(p, 'roi'));
        expect(num(p, 'beta')).toBeGreaterThanOrEqual(0);
        for (const f of ['k', 's']) expect(num(p, f)).toBeGreaterThan(0);
        expect(num(p, 'theta')).toBeGreaterThan(0);
        expect(num(p, 'theta')).toBeLessThan(1);
      }
    }
    expect(modelled.every(({ signal, points: pts }) => of(pts, 'channel_model').length === signal.model.channels.length)).toBe(true);
  });

  it('channel estimates are at the allocation given, not at the bucket\'s spend', () => {
    const model = modelled.at(-1)!.signal.model;
    const low = of(bucketPoints('p', model, Object.fromEntries(model.channels.map((c) => [c, 50]))), 'channel_model');
    const high = of(bucketPoints('p', model, Object.fromEntries(model.channels.map((c) => [c, 900]))), 'channel_model');
    low.forEach((p, i) => {
      // The curve rises with spend; its height is the model's whatever the allocation.
      expect(num(high[i]!, 'contribution')).toBeGreaterThan(num(p, 'contribution'));
      expect(num(high[i]!, 'beta')).toBe(num(p, 'beta'));
    });
  });
});
