import { beforeAll, describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { BEARER, fittedPipeline, harness, type ErrorBody } from './api-harness.ts';

type Est = { mean: number; sd: number; low: number; high: number };
interface WhatIf {
  kind: string; spend: number; paused: boolean; budgets: Record<string, number>; expectedRevenue: Est; baseline: Est;
  channels: { channelId: string; budget: number; currentBudget: number; expectedRevenue: Est; revenueChange: number }[];
  current: { spend: number; expectedRevenue: Est }; difference: { spend: number; expectedRevenue: number };
  outsideBounds: string[]; optimization: { solver: string; gap: number; marginalRoi: number | null; binding: string[] } | null;
}
interface Frontier {
  budget: number; from: number; to: number;
  points: { budget: number; feasible: boolean; spend?: number; expectedRevenue?: Est; mediaRevenue?: number; gap?: number; budgets?: Record<string, number>; infeasible?: string }[];
}

let fitted: Pipeline;
beforeAll(async () => {
  fitted = await fittedPipeline(30);
});

const whatIf = (app: ReturnType<typeof harness>['app'], payload: unknown, id = 'demo-shop') =>
  app.inject({ method: 'POST', url: `/v1/portfolios/${id}/what-if`, headers: { ...BEARER, 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

const fields = (res: { json(): unknown }) => (res.json() as ErrorBody).error.fields.map((f) => f.field);

function bracketed(e: Est) {
  expect(e.low).toBeLessThanOrEqual(e.mean);
  expect(e.high).toBeGreaterThanOrEqual(e.mean);
  expect(e.sd).toBeGreaterThan(0);
}

describe('POST /v1/portfolios/:id/what-if', () => {
  it('an allocation: expected revenue with a 90% interval; channels left out keep their current budget', async () => {
    const { app } = harness({ pipeline: fitted });
    const current = fitted.portfolio('demo-shop')!.allocation.budgets;
    const same = (await whatIf(app, { budgets: {} })).json() as WhatIf;
    expect(same.kind).toBe('budgets');
    expect(same.budgets).toEqual(current);
    expect(same.difference.spend).toBeCloseTo(0, 9);
    expect(same.difference.expectedRevenue).toBeCloseTo(0, 6);
    bracketed(same.expectedRevenue);

    const res = await whatIf(app, { budgets: { search: 1200, social: 100 } });
    expect(res.statusCode).toBe(200);
    const body = res.json() as WhatIf;
    expect(body.budgets).toMatchObject({ search: 1200, social: 100, shopping: current['shopping'], display: current['display'] });
    expect(body.spend).toBeCloseTo(Object.values(body.budgets).reduce((s, v) => s + v, 0), 9);
    bracketed(body.expectedRevenue);
    const media = body.channels.reduce((s, c) => s + c.expectedRevenue.mean, 0);
    expect(body.expectedRevenue.mean).toBeCloseTo(body.baseline.mean + media, 6);
    expect(body.outsideBounds).toEqual([]);
    expect(body.optimization).toBeNull();
    const search = body.channels.find((c) => c.channelId === 'search')!;
    expect(search.currentBudget).toBe(current['search']);
    expect(search.revenueChange).toBeCloseTo(search.expectedRevenue.mean - (same.channels.find((c) => c.channelId === 'search')!.expectedRevenue.mean), 6);
  });

  it('an allocation outside the channel bounds still answers, and names the bounds it breaks', async () => {
    const { app } = harness({ pipeline: fitted });
    const body = (await whatIf(app, { budgets: { search: 5000, display: 0, social: 0 } })).json() as WhatIf;
    expect(body.outsideBounds).toEqual(expect.arrayContaining(['max:search', 'min:social']));
  });

  it('a budget: allocated at its best on the model, at least as good as the current allocation at the same budget', async () => {
    const { app, config } = harness({ pipeline: fitted });
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    const body = (await whatIf(app, { budget: shop.budget })).json() as WhatIf;
    expect(body.kind).toBe('budget');
    expect(body.spend).toBeCloseTo(shop.budget, 6);
    expect(body.optimization).not.toBeNull();
    expect(body.optimization!.gap).toBeGreaterThanOrEqual(0);
    expect(body.optimization!.gap).toBeLessThan(0.01);
    expect(body.outsideBounds).toEqual([]);
    expect(body.expectedRevenue.mean).toBeGreaterThanOrEqual(body.current.expectedRevenue.mean - 1e-6 * Math.abs(body.current.expectedRevenue.mean));
    bracketed(body.expectedRevenue);
    const more = (await whatIf(app, { budget: shop.budget * 1.2 })).json() as WhatIf;
    expect(more.expectedRevenue.mean).toBeGreaterThan(body.expectedRevenue.mean);
  });

  it('400 naming the field for invalid bodies (strict: no coercion of strings, null or booleans)', async () => {
    const { app } = harness({ pipeline: fitted });
    const cases: [unknown, string][] = [
      [{ budget: -1 }, 'budget'],
      [{ budget: null }, 'budget'],
      [{ budget: '1000' }, 'budget'],
      [{ budget: true }, 'budget'],
      [{ budgets: { search: '100' } }, 'budgets.search'],
      [{ budgets: { search: -3 } }, 'budgets.search'],
      [{ budgets: { tv: 100 } }, 'budgets.tv'],
      [{ budgets: [100] }, 'budgets'],
      [{ budget: 100, colour: 'red' }, 'colour'],
      [{ budget: 100, budgets: {} }, '(root)'],
      [{}, '(root)'],
      [[{ budget: 1 }], '(root)'],
    ];
    for (const [payload, field] of cases) {
      const res = await whatIf(app, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect((res.json() as ErrorBody).error.code).toBe('INPUT_INVALID');
      expect(fields(res), JSON.stringify(payload)).toContain(field);
    }
  });

  it('answers on a paused portfolio', async () => {
    const { app } = harness({ pipeline: fitted });
    expect((await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: BEARER, payload: { reason: 'freeze' } })).statusCode).toBe(200);
    const res = await whatIf(app, { budget: 1800 });
    expect(res.statusCode).toBe(200);
    const body = res.json() as WhatIf;
    expect(body.paused).toBe(true);
    bracketed(body.expectedRevenue);
    expect((await whatIf(app, { budgets: { search: 900 } })).statusCode).toBe(200);
  });

  it('409 MODEL_NOT_READY (retriable) before the first bucket has closed; a bad body is still a 400', async () => {
    const { app } = harness();
    const res = await whatIf(app, { budget: 1000 });
    expect(res.statusCode).toBe(409);
    expect((res.json() as ErrorBody).error).toMatchObject({ code: 'MODEL_NOT_READY', retriable: true });
    expect((await whatIf(app, { budget: -1 })).statusCode).toBe(400);
  });
});

describe('GET /v1/portfolios/:id/frontier', () => {
  it('by default 11 budgets from 0.5× to 1.5× the budget; revenue rises with the budget', async () => {
    const { app, config } = harness({ pipeline: fitted });
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    const res = await app.inject({ url: '/v1/portfolios/demo-shop/frontier' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as Frontier;
    expect(body.points).toHaveLength(11);
    expect(body.from).toBeCloseTo(0.5 * shop.budget, 9);
    expect(body.to).toBeCloseTo(1.5 * shop.budget, 9);
    body.points.forEach((p, k) => expect(p.budget).toBeCloseTo(body.from + ((body.to - body.from) * k) / 10, 6));
    const feasible = body.points.filter((p) => p.feasible);
    expect(feasible.length).toBeGreaterThan(3);
    for (let i = 1; i < feasible.length; i++) expect(feasible[i]!.mediaRevenue!).toBeGreaterThanOrEqual(feasible[i - 1]!.mediaRevenue! - 1e-6);
    for (const p of feasible) {
      bracketed(p.expectedRevenue!);
      expect(p.gap!).toBeGreaterThanOrEqual(0);
      expect(Object.values(p.budgets!).reduce((s, v) => s + v, 0)).toBeCloseTo(p.spend!, 6);
    }
    for (const p of body.points.filter((q) => !q.feasible)) expect(p.infeasible!.length).toBeGreaterThan(0);
  });

  it('from, to and points from the query', async () => {
    const { app } = harness({ pipeline: fitted });
    const body = (await app.inject({ url: '/v1/portfolios/demo-shop/frontier?from=1000&to=2000&points=3' })).json() as Frontier;
    expect(body.points.map((p) => p.budget)).toEqual([1000, 1500, 2000]);
  });

  it('400 naming the query parameter', async () => {
    const { app } = harness({ pipeline: fitted });
    for (const [query, field] of [['points=1', 'points'], ['points=abc', 'points'], ['points=500', 'points'], ['from=-1', 'from'], ['to=0', 'to'], ['from=2000&to=1000', 'to']] as const) {
      const res = await app.inject({ url: `/v1/portfolios/demo-shop/frontier?${query}` });
      expect(res.statusCode, query).toBe(400);
      expect(fields(res), query).toEqual([field]);
    }
  });

  it('answers on a paused portfolio; 409 MODEL_NOT_READY before the model is fitted', async () => {
    const paused = harness({ pipeline: fitted });
    await paused.app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: BEARER });
    expect((await paused.app.inject({ url: '/v1/portfolios/demo-shop/frontier?points=3' })).statusCode).toBe(200);
    const res = await harness().app.inject({ url: '/v1/portfolios/demo-shop/frontier' });
    expect(res.statusCode).toBe(409);
    expect((res.json() as ErrorBody).error.code).toBe('MODEL_NOT_READY');
  });
});
