/**
 * The observability metrics fed by pipeline signals: allow-listed per-portfolio and per-channel
 * gauges, consumer lag, the model-loss and optimality-gap histograms, and the history writer's
 * counters. A fresh Registry and SignalBus per test.
 */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOnlineModel } from '../../../src/model/online/online-model.ts';
import type { PortfolioAllocation } from '../../../src/pipeline/allocation-state.ts';
import { SignalBus, type PipelineSignal } from '../../../src/pipeline/signals.ts';
import { registerHistoryMetrics, registerPipelineMetrics } from '../../../src/telemetry/metrics.ts';
import { OPTIONS, specOf } from '../model/online/model-runs.ts';

function setup(portfolios?: readonly string[]) {
  const registry = new Registry();
  const signals = new SignalBus();
  registerPipelineMetrics(registry, signals, { processMetrics: false, ...(portfolios ? { portfolios } : {}) });
  return { registry, signals };
}

/** Every series of a metric as "label=value,…" → value (histograms: their _count and _sum). */
async function series(registry: Registry, name: string): Promise<Record<string, number>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const out: Record<string, number> = {};
  for (const v of (await metric.get()).values) {
    const labels = Object.entries(v.labels).filter(([k]) => k !== 'le').map(([k, l]) => `${k}=${l}`).join(',');
    const metricName = (v as { metricName?: string }).metricName ?? name;
    if (metricName.endsWith('_bucket')) continue;
    out[`${metricName === name ? '' : metricName.slice(name.length)}${labels}`] = v.value;
  }
  return out;
}

const allocation = (budgets: Record<string, number>, extra: Partial<PortfolioAllocation> = {}): PortfolioAllocation => ({
  version: 1772416800,
  status: 'optimized',
  budgets,
  expectedRevenue: Object.fromEntries(Object.entries(budgets).map(([c, b]) => [c, 2 * b])),
  marginalRoi: Object.fromEntries(Object.keys(budgets).map((c, i) => [c, 1 + i / 10])),
  marginalRoiBefore: {},
  reasons: {},
  summary: '',
  portfolioExpectedRevenue: 2 * Object.values(budgets).reduce((s, v) => s + v, 0),
  effectiveFrom: 1772416800000,
  effectiveUntil: 1772420400000,
  decidedAt: 1772413950000,
  solver: 'exact',
  gap: 0.001,
  binding: [],
  guardrails: [],
  ...extra,
});

const reoptimized = (portfolioId: string, a: PortfolioAllocation, outcome: 'published' | 'unchanged' | 'learning' | 'held' | 'paused' = 'published', budget = 1000): PipelineSignal => ({
  type: 'reoptimized',
  portfolioId,
  outcome,
  solver: a.solver,
  explored: false,
  durationSeconds: 0.01,
  allocation: a,
  budget,
  at: a.decidedAt ?? 0,
});

const PER_PORTFOLIO = ['spendflow_portfolio_budget', 'spendflow_portfolio_allocated', 'spendflow_portfolio_expected_revenue', 'spendflow_portfolio_gap_ratio'];
const PER_CHANNEL = ['spendflow_channel_budget', 'spendflow_channel_marginal_roi', 'spendflow_channel_expected_revenue'];

describe('per-portfolio and per-channel gauges (metrics.portfolios allow-list)', () => {
  it('no allow-list: the gauges exist but have no series at all', async () => {
    const { registry, signals } = setup();
    signals.emit(reoptimized('shop', allocation({ search: 600, social: 400 })));
    for (const name of [...PER_PORTFOLIO, ...PER_CHANNEL]) expect(await series(registry, name), name).toEqual({});
  });

  it('only allow-listed portfolios get series, with the values of the allocation', async () => {
    const { registry, signals } = setup(['shop']);
    signals.emit(reoptimized('shop', allocation({ search: 600, social: 350 }), 'published', 1000));
    signals.emit(reoptimized('other', allocation({ display: 100 }), 'published', 500));
    expect(await series(registry, 'spendflow_portfolio_budget')).toEqual({ 'portfolio=shop': 1000 });
    expect(await series(registry, 'spendflow_portfolio_allocated')).toEqual({ 'portfolio=shop': 950 });
    expect(await series(registry, 'spendflow_portfolio_expected_revenue')).toEqual({ 'portfolio=shop': 1900 });
    expect(await series(registry, 'spendflow_portfolio_gap_ratio')).toEqual({ 'portfolio=shop': 0.001 });
    expect(await series(registry, 'spendflow_channel_budget')).toEqual({ 'portfolio=shop,channel=search': 600, 'portfolio=shop,channel=social': 350 });
    expect(await series(registry, 'spendflow_channel_marginal_roi')).toEqual({ 'portfolio=shop,channel=search': 1, 'portfolio=shop,channel=social': 1.1 });
    expect(await series(registry, 'spendflow_channel_expected_revenue')).toEqual({ 'portfolio=shop,channel=search': 1200, 'portfolio=shop,channel=social': 700 });
    const text = await registry.metrics();
    expect(text).not.toContain('portfolio="other"');
    expect(text).not.toContain('channel="display"');
  });

  it('a channel removed from the allocation disappears; the others follow the new decision', async () => {
    const { registry, signals } = setup(['shop']);
    signals.emit(reoptimized('shop', allocation({ search: 600, social: 300, display: 100 })));
    signals.emit(reoptimized('shop', allocation({ search: 700, social: 300 }), 'unchanged', 1200));
    for (const name of PER_CHANNEL) {
      expect(Object.keys(await series(registry, name)).sort(), name).toEqual(['portfolio=shop,channel=search', 'portfolio=shop,channel=social']);
    }
    expect((await series(registry, 'spendflow_channel_budget'))['portfolio=shop,channel=search']).toBe(700);
    expect(await series(registry, 'spendflow_portfolio_budget')).toEqual({ 'portfolio=shop': 1200 });
    expect(await series(registry, 'spendflow_portfolio_allocated')).toEqual({ 'portfolio=shop': 1000 });
  });

  it('no gap series before the first optimization; non-finite figures are not exported', async () => {
    const { registry, signals } = setup(['shop']);
    signals.emit(reoptimized('shop', allocation({ search: 600 }, { gap: null, status: 'learning', marginalRoi: { search: Number.NaN }, expectedRevenue: { search: Number.POSITIVE_INFINITY }, portfolioExpectedRevenue: Number.NaN }), 'learning'));
    expect(await series(registry, 'spendflow_portfolio_gap_ratio')).toEqual({});
    expect(await series(registry, 'spendflow_channel_marginal_roi')).toEqual({});
    expect(await series(registry, 'spendflow_channel_expected_revenue')).toEqual({});
    expect(await series(registry, 'spendflow_portfolio_expected_revenue')).toEqual({});
    expect(await series(registry, 'spendflow_channel_budget')).toEqual({ 'portfolio=shop,channel=search': 600 });
  });
});

describe('consumer lag', () => {
  it('consumer.lag sets spendflow_consumer_lag_records per topic and partition; null removes the series', async () => {
    const { registry, signals } = setup();
    expect(await series(registry, 'spendflow_consumer_lag_records')).toEqual({});
    signals.emit({ type: 'consumer.lag', topic: 'spend', partition: 0, lag: 12 });
    signals.emit({ type: 'consumer.lag', topic: 'sales', partition: 0, lag: 3 });
    signals.emit({ type: 'consumer.lag', topic: 'spend', partition: 0, lag: 5 });
    expect(await series(registry, 'spendflow_consumer_lag_records')).toEqual({ 'topic=spend,partition=0': 5, 'topic=sales,partition=0': 3 });
    signals.emit({ type: 'consumer.lag', topic: 'spend', partition: 0, lag: null });
    expect(await series(registry, 'spendflow_consumer_lag_records')).toEqual({ 'topic=sales,partition=0': 3 });
  });
});

describe('model loss and optimality gap histograms', () => {
  it('spendflow_model_rmse_ratio observes rmse / revenueScale of each modelled bucket (finite ones only)', async () => {
    const { registry, signals } = setup();
    const model = createOnlineModel(specOf(), OPTIONS);
    const modelled = (rmse: number): PipelineSignal => ({ type: 'bucket.modelled', portfolioId: 'shop', bucketStart: 0, model, rmse });
    signals.emit(modelled(0.05 * model.revenueScale));
    signals.emit(modelled(0.25 * model.revenueScale));
    signals.emit(modelled(Number.NaN));
    const h = await series(registry, 'spendflow_model_rmse_ratio');
    expect(h['_count']).toBe(2);
    expect(h['_sum']).toBeCloseTo(0.3, 12);
    const buckets = (await registry.getSingleMetric('spendflow_model_rmse_ratio')!.get()).values.filter((v) => v.labels['le'] === 0.1);
    expect(buckets.map((v) => v.value)).toEqual([1]);
  });

  it('spendflow_optimizer_gap_ratio observes the gap of optimized decisions only (published or unchanged)', async () => {
    const { registry, signals } = setup();
    signals.emit(reoptimized('a', allocation({ x: 1 }, { gap: 0.002 }), 'published'));
    signals.emit(reoptimized('b', allocation({ x: 1 }, { gap: 0.0005 }), 'unchanged'));
    signals.emit(reoptimized('c', allocation({ x: 1 }, { gap: -1e-12 }), 'published'));
    signals.emit(reoptimized('d', allocation({ x: 1 }, { gap: 0.5 }), 'held'));
    signals.emit(reoptimized('e', allocation({ x: 1 }, { gap: null }), 'learning'));
    const h = await series(registry, 'spendflow_optimizer_gap_ratio');
    expect(h['_count']).toBe(3);
    // A rounding-negative gap counts as 0.
    expect(h['_sum']).toBeCloseTo(0.0025, 15);
  });
});

describe('registerHistoryMetrics', () => {
  it('zero-initialises its series, then counts what the writer reports', async () => {
    const registry = new Registry();
    const stats = registerHistoryMetrics(registry);
    expect(await series(registry, 'spendflow_influx_points_written_total')).toEqual({ '': 0 });
    expect(await series(registry, 'spendflow_influx_write_failures_total')).toEqual({ '': 0 });
    expect(await series(registry, 'spendflow_influx_buffer_points')).toEqual({ '': 0 });
    expect(await series(registry, 'spendflow_influx_points_dropped_total')).toEqual({ 'reason=buffer_full': 0, 'reason=retries_exhausted': 0, 'reason=rejected': 0, 'reason=shutdown': 0 });
    stats.written(7);
    stats.written(3);
    stats.failed();
    stats.dropped(4, 'rejected');
    stats.buffered(12);
    stats.buffered(2);
    expect(await series(registry, 'spendflow_influx_points_written_total')).toEqual({ '': 10 });
    expect(await series(registry, 'spendflow_influx_write_failures_total')).toEqual({ '': 1 });
    expect(await series(registry, 'spendflow_influx_buffer_points')).toEqual({ '': 2 });
    expect((await series(registry, 'spendflow_influx_points_dropped_total'))['reason=rejected']).toBe(4);
    expect(await registry.metrics()).toContain('spendflow_influx_points_dropped_total{reason="shutdown"} 0');
  });
});
