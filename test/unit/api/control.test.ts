import { describe, expect, it } from 'vitest';
import { BEARER, harness, type ErrorBody } from './api-harness.ts';

const post = (app: ReturnType<typeof harness>['app'], url: string, payload?: unknown) =>
  app.inject({ method: 'POST', url, headers: BEARER, ...(payload === undefined ? {} : { payload: payload as object }) });

describe('POST /v1/portfolios/:id/pause and /resume', () => {
  it('pause with a reason; pausing again updates it; resume clears it', async () => {
    const { app, control } = harness();
    const paused = await post(app, '/v1/portfolios/demo-shop/pause', { reason: 'black friday freeze' });
    expect(paused.statusCode).toBe(200);
    expect(paused.json()).toMatchObject({ paused: true, pausedReason: 'black friday freeze', config: { id: 'demo-shop' } });
    expect((await app.inject({ url: '/v1/portfolios/demo-shop' })).json()).toMatchObject({ paused: true, pausedReason: 'black friday freeze' });
    expect((await post(app, '/v1/portfolios/demo-shop/pause', { reason: 'audit' })).json()).toMatchObject({ paused: true, pausedReason: 'audit' });
    const resumed = await post(app, '/v1/portfolios/demo-shop/resume');
    expect(resumed.statusCode).toBe(200);
    expect(resumed.json()).toMatchObject({ paused: false, pausedReason: null });
    expect(control.get('demo-outdoor')!.paused).toBe(false);
  });

  it('the body is optional: no body, an empty object or a null reason pause without a reason', async () => {
    const { app } = harness();
    for (const payload of [undefined, {}, { reason: null }, { reason: '   ' }]) {
      const res = await post(app, '/v1/portfolios/demo-shop/pause', payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(200);
      expect(res.json()).toMatchObject({ paused: true, pausedReason: null });
    }
  });

  it('400 naming `reason` when it is too long; 404 for an unknown portfolio', async () => {
    const { app } = harness();
    const long = await post(app, '/v1/portfolios/demo-shop/pause', { reason: 'x'.repeat(501) });
    expect(long.statusCode).toBe(400);
    expect((long.json() as ErrorBody).error.fields.map((f) => f.field)).toEqual(['reason']);
    for (const action of ['pause', 'resume', 'reoptimize']) {
      const res = await post(app, `/v1/portfolios/nope/${action}`);
      expect(res.statusCode, action).toBe(404);
      expect((res.json() as ErrorBody).error.code).toBe('PORTFOLIO_NOT_FOUND');
    }
  });
});

describe('POST /v1/portfolios/:id/reoptimize', () => {
  it('hands the portfolio to the control plane and answers its outcome', async () => {
    const { app, control } = harness({ control: { reoptimize: () => ({ outcome: 'published', version: 1772438400, summary: 'raised search 9%' }) } });
    const res = await post(app, '/v1/portfolios/demo-shop/reoptimize');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ portfolioId: 'demo-shop', outcome: 'published', version: 1772438400, summary: 'raised search 9%' });
    expect(control.reoptimized).toEqual(['demo-shop']);
  });

  it('409 NOT_OWNER when another instance owns the portfolio', async () => {
    const { app } = harness({ control: { owned: (id) => id !== 'demo-outdoor' } });
    const res = await post(app, '/v1/portfolios/demo-outdoor/reoptimize');
    expect(res.statusCode).toBe(409);
    expect((res.json() as ErrorBody).error.code).toBe('NOT_OWNER');
  });
});
