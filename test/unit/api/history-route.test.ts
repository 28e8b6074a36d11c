/** GET /v1/portfolios/:id/history on the real pipeline fed by the demo market. */
import { beforeAll, describe, expect, it } from 'vitest';
import { feed, harness, type ErrorBody } from './api-harness.ts';

interface History {
  portfolioId: string;
  currency: string;
  bucketMinutes: number;
  buckets: { start: string; revenue: number; spend: Record<string, number>; predicted: { mean: number; low: number; high: number } | null }[];
}

const HOURS = 12;
let fed: ReturnType<typeof harness>;
beforeAll(async () => {
  fed = harness();
  await feed(fed.config, fed.pipeline, HOURS);
});

const get = (app: ReturnType<typeof harness>['app'], url: string) => app.inject({ url });

describe('GET /v1/portfolios/:id/history', () => {
  it('200 with the closed buckets, oldest first: observed spend and revenue next to the forecast made before each', async () => {
    const res = await get(fed.app, '/v1/portfolios/demo-shop/history');
    expect(res.statusCode).toBe(200);
    const body = res.json() as History;
    expect(body).toMatchObject({ portfolioId: 'demo-shop', currency: 'EUR', bucketMinutes: 60 });
    const model = fed.pipeline.portfolio('demo-shop')!.model!;
    expect(body.buckets.map((b) => Date.parse(b.start))).toEqual(model.window.map((r) => r.start));
    expect(body.buckets.length).toBeGreaterThanOrEqual(HOURS - 2);
    for (let i = 1; i < body.buckets.length; i++) expect(Date.parse(body.buckets[i]!.start) - Date.parse(body.buckets[i - 1]!.start)).toBe(3_600_000);
    const channels = fed.config.portfolios.find((p) => p.id === 'demo-shop')!.channels.map((c) => c.id);
    body.buckets.forEach((b, i) => {
      expect(b.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:00:00\.000Z$/);
      expect(Object.keys(b.spend).sort()).toEqual([...channels].sort());
      expect(b.revenue).toBe(model.window[i]!.revenue);
      if (i === 0) expect(b.predicted).toBeNull();
      else {
        expect(b.predicted).not.toBeNull();
        expect(b.predicted!.low).toBeGreaterThanOrEqual(0);
        expect(b.predicted!.low).toBeLessThanOrEqual(b.predicted!.mean);
        expect(b.predicted!.high).toBeGreaterThanOrEqual(b.predicted!.mean);
      }
    });
  });

  it('limit: the latest N buckets, still oldest first', async () => {
    const all = (await get(fed.app, '/v1/portfolios/demo-shop/history')).json() as History;
    const res = await get(fed.app, '/v1/portfolios/demo-shop/history?limit=3');
    expect(res.statusCode).toBe(200);
    expect((res.json() as History).buckets).toEqual(all.buckets.slice(-3));
    const many = (await get(fed.app, '/v1/portfolios/demo-shop/history?limit=10000')).json() as History;
    expect(many.buckets).toEqual(all.buckets);
  });

  it('400 naming limit for a limit that is not an integer in 1..10000', async () => {
    for (const limit of ['0', '-1', '10001', 'abc', '2.5']) {
      const res = await get(fed.app, `/v1/portfolios/demo-shop/history?limit=${limit}`);
      expect(res.statusCode, limit).toBe(400);
      const body = res.json() as ErrorBody;
      expect(body.error.code, limit).toBe('INPUT_INVALID');
      expect(body.error.fields.map((f) => f.field), limit).toEqual(['limit']);
    }
  });

  it('404 for an unknown portfolio', async () => {
    const res = await get(fed.app, '/v1/portfolios/nope/history');
    expect(res.statusCode).toBe(404);
    expect((res.json() as ErrorBody).error.code).toBe('PORTFOLIO_NOT_FOUND');
  });

  it('empty buckets before any bucket closed', async () => {
    const { app, pipeline } = harness();
    expect(pipeline.portfolio('demo-shop')!.model).toBeNull();
    const res = await get(app, '/v1/portfolios/demo-outdoor/history');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ portfolioId: 'demo-outdoor', currency: 'USD', bucketMinutes: 0, buckets: [] });
  });

  it('needs the bearer token only when reads are protected', async () => {
    const { app } = harness({ protectReads: true });
    expect((await get(app, '/v1/portfolios/demo-shop/history')).statusCode).toBe(401);
    const ok = await app.inject({ url: '/v1/portfolios/demo-shop/history', headers: { authorization: 'Bearer test-token-0123456789abcdef' } });
    expect(ok.statusCode).toBe(200);
  });
});
