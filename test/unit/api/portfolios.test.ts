import { describe, expect, it } from 'vitest';
import type { Pipeline } from '../../../src/pipeline/pipeline.ts';
import { BEARER, harness, pipelineFor, type ErrorBody } from './api-harness.ts';
import { loadConfig } from '../../../src/config/loader.ts';

const body = (budget: number) => ({
  currency: 'EUR',
  budget,
  maxChange: 0.25,
  channels: [
    { id: 'search', platform: 'google-ads', min: 200, max: 1200 },
    { id: 'shopping', platform: 'google-ads', min: 100, max: 1000 },
    { id: 'social', platform: 'meta', min: 100, max: 1000 },
  ],
});

const put = (app: ReturnType<typeof harness>['app'], id: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'PUT', url: `/v1/portfolios/${id}`, headers: { ...BEARER, 'content-type': 'application/json', ...headers }, payload: JSON.stringify(payload) });

const fields = (res: { json(): unknown }) => (res.json() as ErrorBody).error.fields.map((f) => f.field);

/** A pipeline as on an instance of a group that does not own `foreign`'s partition. */
function withoutLiveState(pipeline: Pipeline, foreign: string): Pick<Pipeline, 'portfolio' | 'portfolioIds'> & Pipeline {
  return { ...pipeline, portfolio: (id) => (id === foreign ? undefined : pipeline.portfolio(id)), portfolioIds: () => pipeline.portfolioIds().filter((id) => id !== foreign) };
}

describe('GET /v1/portfolios', () => {
  it('lists every portfolio with its version, pause state and, where owned, the allocation', async () => {
    const { app, config } = harness();
    const res = await app.inject({ url: '/v1/portfolios' });
    expect(res.statusCode).toBe(200);
    const list = (res.json() as { portfolios: Record<string, unknown>[] }).portfolios;
    expect(list.map((p) => p['id'])).toEqual(config.portfolios.map((p) => p.id));
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    expect(list[0]).toEqual({
      id: 'demo-shop', version: 0, source: 'file', updatedAt: null, paused: false, pausedReason: null, owned: true,
      currency: shop.currency, budget: shop.budget, channels: shop.channels.length, allocation: { version: 0, status: 'initial' },
    });
  });

  it('a portfolio another instance owns is listed without its allocation', async () => {
    const config = loadConfig({});
    const { pipeline } = pipelineFor(config);
    const { app } = harness({ control: { owned: (id) => id !== 'demo-outdoor' }, pipeline: withoutLiveState(pipeline, 'demo-outdoor') });
    const list = ((await app.inject({ url: '/v1/portfolios' })).json() as { portfolios: { id: string; owned: boolean; allocation: unknown }[] }).portfolios;
    expect(list.find((p) => p.id === 'demo-outdoor')).toMatchObject({ owned: false, allocation: null });
    expect(list.find((p) => p.id === 'demo-shop')).toMatchObject({ owned: true, allocation: { version: 0 } });
  });
});

describe('GET /v1/portfolios/:id', () => {
  it('answers the configuration entry with its version as the ETag', async () => {
    const { app, config } = harness();
    const res = await app.inject({ url: '/v1/portfolios/demo-shop' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['etag']).toBe('"0"');
    const entry = res.json() as { config: unknown; version: number; owned: boolean };
    expect(entry.config).toEqual(JSON.parse(JSON.stringify(config.portfolios.find((p) => p.id === 'demo-shop'))));
    expect(entry).toMatchObject({ version: 0, source: 'file', paused: false, owned: true });
  });

  it('404 for an unknown id, 400 naming `id` for one that cannot be a portfolio id', async () => {
    const { app } = harness();
    const missing = await app.inject({ url: '/v1/portfolios/nope' });
    expect(missing.statusCode).toBe(404);
    expect((missing.json() as ErrorBody).error.code).toBe('PORTFOLIO_NOT_FOUND');
    const bad = await app.inject({ url: '/v1/portfolios/demo%20shop' });
    expect(bad.statusCode).toBe(400);
    expect(fields(bad)).toEqual(['id']);
  });

  it('answers on an instance that does not own the portfolio (configuration comes from the control plane)', async () => {
    const config = loadConfig({});
    const { pipeline } = pipelineFor(config);
    const { app } = harness({ control: { owned: (id) => id !== 'demo-outdoor' }, pipeline: withoutLiveState(pipeline, 'demo-outdoor') });
    const res = await app.inject({ url: '/v1/portfolios/demo-outdoor' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ owned: false, config: { id: 'demo-outdoor' } });
  });
});

describe('PUT /v1/portfolios/:id', () => {
  it('stores the next version; GET and the list show it', async () => {
    const { app } = harness();
    const res = await put(app, 'demo-shop', body(2500));
    expect(res.statusCode).toBe(200);
    expect(res.headers['etag']).toBe('"1"');
    expect(res.json()).toMatchObject({ version: 1, source: 'api', config: { id: 'demo-shop', budget: 2500 } });
    expect((await app.inject({ url: '/v1/portfolios/demo-shop' })).json()).toMatchObject({ version: 1, config: { budget: 2500 } });
    const again = await put(app, 'demo-shop', { ...body(2600), id: 'demo-shop' });
    expect(again.json()).toMatchObject({ version: 2, config: { budget: 2600 } });
  });

  it('creates a portfolio under a new id: 201', async () => {
    const { app } = harness();
    const res = await put(app, 'new-shop', body(900));
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ config: { id: 'new-shop', budget: 900 } });
    expect((await app.inject({ url: '/v1/portfolios' })).json()).toMatchObject({ portfolios: expect.arrayContaining([expect.objectContaining({ id: 'new-shop' })]) });
  });

  it('If-Match: applied when current, 409 VERSION_CONFLICT when stale, 400 naming if-match when not a version', async () => {
    const { app, control } = harness();
    expect((await put(app, 'demo-shop', body(2100), { 'if-match': '"0"' })).statusCode).toBe(200);
    const stale = await put(app, 'demo-shop', body(2200), { 'if-match': '0' });
    expect(stale.statusCode).toBe(409);
    expect((stale.json() as ErrorBody).error.code).toBe('VERSION_CONFLICT');
    expect(control.get('demo-shop')).toMatchObject({ version: 1, config: { budget: 2100 } });
    expect((await put(app, 'demo-shop', body(2200), { 'if-match': 'W/"1"' })).statusCode).toBe(200);
    const garbage = await put(app, 'demo-shop', body(2300), { 'if-match': 'yesterday' });
    expect(garbage.statusCode).toBe(400);
    expect(fields(garbage)).toEqual(['if-match']);
  });

  it('400 CONFIG_INVALID naming every bad field, from the portfolio\'s root; nothing stored', async () => {
    const { app, control } = harness();
    const bad = body(-1) as Record<string, unknown>;
    (bad['channels'] as Record<string, unknown>[])[1]!['max'] = 50;
    const res = await put(app, 'demo-shop', bad);
    expect(res.statusCode).toBe(400);
    const error = (res.json() as ErrorBody).error;
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['budget', 'channels[1].max']));
    expect(control.get('demo-shop')!.version).toBe(0);

    const typed = await put(app, 'demo-shop', { ...body(2000), budget: '2000' });
    expect(typed.statusCode).toBe(400);
    expect(fields(typed)).toContain('budget');
    const nulled = await put(app, 'demo-shop', { ...body(2000), budget: null });
    expect(fields(nulled)).toContain('budget');
    const unknown = await put(app, 'demo-shop', { ...body(2000), colour: 'blue' });
    expect(fields(unknown)).toContain('colour');
    const missing = await put(app, 'demo-shop', { currency: 'EUR', budget: 10, maxChange: 0.1 });
    expect(fields(missing)).toContain('channels');
  });

  it('400 naming `id` when the body\'s id is not the path\'s', async () => {
    const { app } = harness();
    const res = await put(app, 'demo-shop', { ...body(2000), id: 'demo-outdoor' });
    expect(res.statusCode).toBe(400);
    expect(fields(res)).toEqual(['id']);
  });

  it('400 for a body that is not an object, or not JSON', async () => {
    const { app } = harness();
    const list = await put(app, 'demo-shop', [body(2000)]);
    expect(list.statusCode).toBe(400);
    expect(fields(list)).toEqual(['(root)']);
    const broken = await app.inject({ method: 'PUT', url: '/v1/portfolios/demo-shop', headers: { ...BEARER, 'content-type': 'application/json' }, payload: '{"budget": ' });
    expect(broken.statusCode).toBe(400);
    expect((broken.json() as ErrorBody).error.code).toBe('INPUT_INVALID');
  });
});
