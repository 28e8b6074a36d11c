import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.ts';
import type { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { BEARER, fittedPipeline, harness, pipelineFor, type ErrorBody } from './api-harness.ts';

type Est = { mean: number; sd: number; low: number; high: number };
interface Explain {
  portfolioId: string; version: number; status: string; gap: number | null; binding: string[]; guardrails: string[];
  modelStatus: string; forecastFor: string | null; expectedRevenue: Est | null; paused: boolean;
  channels: { channelId: string; budget: number; contribution: Est | null; marginalRoiBefore: number | null; marginalRoiAfter: number | null; reason: string }[];
}

/** This instance's view of a group where another instance owns `foreign`'s partition. */
function foreignTo(pipeline: Pipeline, foreign: string): Pipeline {
  return { ...pipeline, portfolio: (id) => (id === foreign ? undefined : pipeline.portfolio(id)), portfolioIds: () => pipeline.portfolioIds().filter((id) => id !== foreign) };
}

const LIVE_ROUTES = [
  { method: 'GET' as const, url: (id: string) => `/v1/portfolios/${id}/allocation` },
  { method: 'GET' as const, url: (id: string) => `/v1/portfolios/${id}/explain` },
  { method: 'GET' as const, url: (id: string) => `/v1/portfolios/${id}/model` },
  { method: 'GET' as const, url: (id: string) => `/v1/portfolios/${id}/frontier` },
  { method: 'POST' as const, url: (id: string) => `/v1/portfolios/${id}/what-if`, payload: { budget: 500 } },
];

describe('GET /v1/portfolios/:id/explain', () => {
  let fitted: Pipeline;
  beforeAll(async () => {
    fitted = await fittedPipeline(30);
  });

  it('before any data: the initial allocation, no model, no contributions', async () => {
    const { app, config } = harness();
    const res = await app.inject({ url: '/v1/portfolios/demo-shop/explain' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Explain;
    expect(body).toMatchObject({ portfolioId: 'demo-shop', version: 0, status: 'initial', gap: null, modelStatus: 'none', forecastFor: null, expectedRevenue: null, paused: false });
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    expect(body.channels.map((c) => c.channelId)).toEqual(shop.channels.map((c) => c.id));
    for (const c of body.channels) expect(c).toMatchObject({ contribution: null, marginalRoiBefore: null });
  });

  it('after a reallocation: contributions with intervals, marginal ROI after, certified gap, guardrails', async () => {
    const { app } = harness({ pipeline: fitted });
    const body = (await app.inject({ url: '/v1/portfolios/demo-shop/explain' })).json() as Explain;
    const allocation = (await app.inject({ url: '/v1/portfolios/demo-shop/allocation' })).json() as { version: number; channels: { channelId: string; budget: number; marginalRoi: number | null }[] };
    expect(body.modelStatus).toBe('fitted');
    expect(body.version).toBe(allocation.version);
    expect(body.version).toBeGreaterThan(0);
    expect(body.status).toBe('optimized');
    expect(body.gap).not.toBeNull();
    expect(body.gap!).toBeGreaterThanOrEqual(0);
    expect(Array.isArray(body.guardrails)).toBe(true);
    expect(body.binding.length).toBeGreaterThan(0);
    expect(Date.parse(body.forecastFor!)).toBeGreaterThan(Date.parse('2026-03-02T00:00:00Z'));
    const media = body.channels.reduce((s, c) => s + c.contribution!.mean, 0);
    expect(body.expectedRevenue!.mean).toBeGreaterThan(media * 0.5);
    for (const c of body.channels) {
      const a = allocation.channels.find((x) => x.channelId === c.channelId)!;
      expect(c.budget).toBe(a.budget);
      expect(c.marginalRoiAfter).toBe(a.marginalRoi);
      expect(c.contribution!.low).toBeLessThanOrEqual(c.contribution!.mean);
      expect(c.contribution!.high).toBeGreaterThanOrEqual(c.contribution!.mean);
      expect(c.contribution!.sd).toBeGreaterThanOrEqual(0);
      expect(c.reason.length).toBeGreaterThan(0);
    }
  });

  it('a paused portfolio says so', async () => {
    const { app } = harness({ pipeline: fitted });
    await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: BEARER });
    expect(((await app.inject({ url: '/v1/portfolios/demo-shop/explain' })).json() as Explain).paused).toBe(true);
    expect(((await app.inject({ url: '/v1/portfolios/demo-shop/allocation' })).json() as Explain).paused).toBe(true);
  });
});

describe('live routes on an instance without the portfolio\'s live state', () => {
  it('409 NOT_OWNER on allocation, explain, model, frontier and what-if, naming the way out; config still answers', async () => {
    const { pipeline } = pipelineFor(loadConfig({}));
    const { app } = harness({ pipeline: foreignTo(pipeline, 'demo-outdoor'), control: { owned: (id) => id !== 'demo-outdoor' } });
    for (const r of LIVE_ROUTES) {
      const res = await app.inject({ method: r.method, url: r.url('demo-outdoor'), headers: BEARER, ...(r.payload ? { payload: r.payload } : {}) });
      expect(res.statusCode, r.url('demo-outdoor')).toBe(409);
      const error = (res.json() as ErrorBody).error;
      expect(error.code).toBe('NOT_OWNER');
      expect(error.message).toContain('does not own portfolio "demo-outdoor"');
      expect(error.message).toContain('another instance');
    }
    expect((await app.inject({ url: '/v1/portfolios/demo-outdoor' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/portfolios/demo-shop/allocation' })).statusCode).toBe(200);
  });

  it('409 MODEL_NOT_READY (retriable) for a portfolio just created, before this instance runs it', async () => {
    const { app } = harness();
    const created = await app.inject({
      method: 'PUT', url: '/v1/portfolios/fresh', headers: BEARER,
      payload: { currency: 'EUR', budget: 100, maxChange: 0.2, channels: [{ id: 'search', platform: 'google-ads', min: 0 }] },
    });
    expect(created.statusCode).toBe(201);
    const res = await app.inject({ url: '/v1/portfolios/fresh/allocation' });
    expect(res.statusCode).toBe(409);
    expect((res.json() as ErrorBody).error).toMatchObject({ code: 'MODEL_NOT_READY', retriable: true });
  });

  it('404 on every live route for an unknown portfolio', async () => {
    const { app } = harness();
    for (const r of LIVE_ROUTES) {
      const res = await app.inject({ method: r.method, url: r.url('nope'), headers: BEARER, ...(r.payload ? { payload: r.payload } : {}) });
      expect(res.statusCode, r.url('nope')).toBe(404);
      expect((res.json() as ErrorBody).error.code).toBe('PORTFOLIO_NOT_FOUND');
    }
  });
});
