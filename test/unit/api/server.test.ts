import { describe, expect, it } from 'vitest';
import { initialAllocation } from '../../../src/pipeline/pipeline.ts';
import { feed, harness, type ErrorBody } from './api-harness.ts';

describe('HTTP API: health, metrics, allocation, model', () => {
  it('GET /health answers ok', async () => {
    const res = await harness().app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready is 503 with the failing check until the source is ready', async () => {
    const notReady = await harness({ ready: false }).app.inject({ url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ ready: false, checks: [{ name: 'source:test', ok: false }] });
    expect((await harness({ ready: true }).app.inject({ url: '/ready' })).statusCode).toBe(200);
  });

  it('GET /v1/portfolios/:id/allocation shows the initial allocation before any data', async () => {
    const { app, config } = harness();
    const res = await app.inject({ url: '/v1/portfolios/demo-shop/allocation' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { version: number; status: string; budget: number; paused: boolean; guardrails: string[]; channels: { channelId: string; budget: number; share: number }[] };
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    expect(body.version).toBe(0);
    expect(body.status).toBe('initial');
    expect(body.paused).toBe(false);
    expect(Array.isArray(body.guardrails)).toBe(true);
    expect(body.channels.map((c) => c.channelId)).toEqual(shop.channels.map((c) => c.id));
    expect(body.channels.reduce((s, c) => s + c.budget, 0)).toBeCloseTo(shop.budget, 2);
    expect(body.channels.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 9);
  });

  it('unknown portfolio → 404 with a stable code and the known ids', async () => {
    const res = await harness().app.inject({ url: '/v1/portfolios/nope/allocation' });
    expect(res.statusCode).toBe(404);
    const body = res.json() as ErrorBody;
    expect(body.error.code).toBe('PORTFOLIO_NOT_FOUND');
    expect(body.error.retriable).toBe(false);
    expect(body.error.fields[0]!.message).toContain('demo-shop');
  });

  it('GET /metrics exposes the pipeline counters in Prometheus text format', async () => {
    const { app, signals, config } = harness();
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    signals.emit({ type: 'dead_letter.sent', reason: 'malformed_json' });
    signals.emit({ type: 'event.consumed', kind: 'spend', result: 'invalid' });
    signals.emit({ type: 'reoptimized', portfolioId: 'demo-shop', outcome: 'published', solver: 'annealing', explored: false, durationSeconds: 0.01, allocation: initialAllocation(shop), budget: shop.budget, at: 0 });
    signals.emit({ type: 'reallocation.published', portfolioId: 'demo-shop', platform: 'meta', count: 2 });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('spendflow_invalid_events_total{reason="malformed_json"} 1');
    expect(res.body).toContain('spendflow_events_consumed_total{kind="spend",result="invalid"} 1');
    expect(res.body).toContain('spendflow_reoptimizations_total{outcome="published"} 1');
    expect(res.body).toContain('spendflow_reallocations_published_total{platform="meta"} 2');
    expect(res.body).toContain('spendflow_reoptimization_duration_seconds_count 1');
    // Series that have not happened yet are exported as 0, so dashboards and alerts see them.
    expect(res.body).toContain('spendflow_invalid_events_total{reason="unknown_portfolio"} 0');
    expect(res.body).toContain('spendflow_reoptimizations_total{outcome="held"} 0');
  });

  it('GET /v1/portfolios/:id/model explains the fitted model: contributions add up, intervals bracket, curves rise', async () => {
    const { app, config, pipeline } = harness();
    const before = await app.inject({ url: '/v1/portfolios/demo-shop/model' });
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ status: 'none', channels: [], changes: [] });
    await feed(config, pipeline, 30);
    const res = await app.inject({ url: '/v1/portfolios/demo-shop/model' });
    expect(res.statusCode).toBe(200);
    type Est = { mean: number; low: number; high: number };
    const body = res.json() as {
      status: string; bucketsSeen: number; expectedRevenue: Est; baseline: Est; detections: number;
      channels: { channelId: string; spend: number; contribution: Est; roi: Est; marginalRoi: Est; spendShare: number; points: { spend: number; response: number; low: number; high: number }[] }[];
    };
    expect(body.status).toBe('fitted');
    expect(body.bucketsSeen).toBeGreaterThanOrEqual(28);
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    expect(body.channels.map((c) => c.channelId)).toEqual(shop.channels.map((c) => c.id));
    const media = body.channels.reduce((s, c) => s + c.contribution.mean, 0);
    // Additive model: the forecast is the baseline plus every channel's contribution (its Shapley value).
    expect(body.expectedRevenue.mean).toBeCloseTo(body.baseline.mean + media, 6);
    expect(body.channels.reduce((s, c) => s + c.spendShare, 0)).toBeCloseTo(1, 9);
    for (const c of body.channels) {
      for (const e of [c.contribution, c.roi, c.marginalRoi]) {
        expect(e.low).toBeLessThanOrEqual(e.mean);
        expect(e.high).toBeGreaterThanOrEqual(e.mean);
      }
      if (c.spend > 0) expect(c.roi.mean).toBeCloseTo(c.contribution.mean / c.spend, 9);
      expect(c.points[0]).toMatchObject({ spend: 0, response: 0 });
      for (let i = 1; i < c.points.length; i++) expect(c.points[i]!.response).toBeGreaterThanOrEqual(c.points[i - 1]!.response);
    }
    expect((await app.inject({ url: '/v1/portfolios/nope/model' })).statusCode).toBe(404);
  });

  it('unknown routes are 404 in the same error shape', async () => {
    const res = await harness().app.inject({ url: '/v1/nothing?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route GET /v1/nothing', retriable: false, fields: [] } });
  });
});
