import { describe, expect, it } from 'vitest';
import { bearerToken, routeAccess, sameToken } from '../../../src/api/auth.ts';
import { createLogger } from '../../../src/log.ts';
import { BEARER, TOKEN, harness, type ErrorBody } from './api-harness.ts';

type Method = 'GET' | 'PUT' | 'POST';
const shopBody = {
  currency: 'EUR',
  budget: 2100,
  maxChange: 0.25,
  channels: [
    { id: 'search', platform: 'google-ads', min: 200, max: 1200 },
    { id: 'social', platform: 'meta', min: 100, max: 1000 },
  ],
};

const MUTATIONS: readonly { method: Method; url: string; payload?: object }[] = [
  { method: 'PUT', url: '/v1/portfolios/demo-shop', payload: shopBody },
  { method: 'POST', url: '/v1/portfolios/demo-shop/pause', payload: { reason: 'x' } },
  { method: 'POST', url: '/v1/portfolios/demo-shop/resume' },
  { method: 'POST', url: '/v1/portfolios/demo-shop/reoptimize' },
  { method: 'POST', url: '/v1/portfolios/demo-shop/what-if', payload: { budget: 1000 } },
];

const READS = [
  '/v1/portfolios',
  '/v1/portfolios/demo-shop',
  '/v1/portfolios/demo-shop/allocation',
  '/v1/portfolios/demo-shop/explain',
  '/v1/portfolios/demo-shop/model',
  '/v1/portfolios/demo-shop/frontier',
];

const OPEN = ['/health', '/ready', '/metrics', '/docs/openapi.json'];

describe('API authentication', () => {
  it('mutations without an Authorization header: 401 UNAUTHORIZED with a Bearer challenge', async () => {
    const { app, control } = harness();
    for (const m of MUTATIONS) {
      const res = await app.inject({ method: m.method, url: m.url, ...(m.payload ? { payload: m.payload } : {}) });
      expect(res.statusCode, `${m.method} ${m.url}`).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((res.json() as ErrorBody).error.code).toBe('UNAUTHORIZED');
    }
    expect(control.get('demo-shop')).toMatchObject({ version: 0, paused: false });
    expect(control.reoptimized).toEqual([]);
  });

  it('a header that is not a bearer token is 401 too', async () => {
    const { app } = harness();
    for (const authorization of ['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ', `Token ${TOKEN}`, `Bearer ${TOKEN} extra`]) {
      const res = await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/resume', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    }
  });

  it('a wrong token: 403 FORBIDDEN, and nothing changes', async () => {
    const { app, control } = harness();
    for (const m of MUTATIONS) {
      for (const wrong of ['nope', `${TOKEN}x`, TOKEN.slice(0, -1), TOKEN.toUpperCase()]) {
        const res = await app.inject({ method: m.method, url: m.url, headers: { authorization: `Bearer ${wrong}` }, ...(m.payload ? { payload: m.payload } : {}) });
        expect(res.statusCode, `${m.method} ${m.url} ${wrong}`).toBe(403);
        expect((res.json() as ErrorBody).error.code).toBe('FORBIDDEN');
      }
    }
    expect(control.get('demo-shop')).toMatchObject({ version: 0, paused: false });
  });

  it('the right token passes (the scheme is case-insensitive)', async () => {
    const { app } = harness();
    expect((await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: BEARER })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/resume', headers: { authorization: `bearer ${TOKEN}` } })).statusCode).toBe(200);
  });

  it('the token is checked before the body: an invalid body without a token is 401, not 400', async () => {
    const { app } = harness();
    const res = await app.inject({ method: 'PUT', url: '/v1/portfolios/demo-shop', payload: { budget: 'lots' } });
    expect(res.statusCode).toBe(401);
  });

  it('no token configured: mutations are disabled (403 saying how to enable them), even with a header', async () => {
    const { app, control } = harness({ token: null });
    for (const m of MUTATIONS) {
      for (const headers of [{}, BEARER]) {
        const res = await app.inject({ method: m.method, url: m.url, headers, ...(m.payload ? { payload: m.payload } : {}) });
        expect(res.statusCode).toBe(403);
        const body = res.json() as ErrorBody;
        expect(body.error.code).toBe('FORBIDDEN');
        expect(body.error.message).toContain('mutations are disabled');
        expect(body.error.message).toContain('SPENDFLOW_API_TOKEN');
      }
    }
    expect(control.get('demo-shop')!.version).toBe(0);
    // Reads stay open.
    expect((await app.inject({ url: '/v1/portfolios' })).statusCode).toBe(200);
  });

  it('reads are open by default, and need the token with protectReads', async () => {
    const open = harness();
    for (const url of READS) expect((await open.app.inject({ url })).statusCode, url).not.toBe(401);
    const { app } = harness({ protectReads: true });
    for (const url of READS) {
      const none = await app.inject({ url });
      expect(none.statusCode, url).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect((await app.inject({ url, headers: { authorization: 'Bearer wrong' } })).statusCode, url).toBe(403);
    }
    expect((await app.inject({ url: '/v1/portfolios', headers: BEARER })).statusCode).toBe(200);
    expect((await app.inject({ url: '/v1/portfolios/demo-shop/allocation', headers: BEARER })).statusCode).toBe(200);
  });

  it('/health, /ready, /metrics and /docs/openapi.json stay open, even with protectReads and no token', async () => {
    for (const options of [{ protectReads: true }, { protectReads: true, token: null }]) {
      const { app } = harness(options);
      for (const url of OPEN) expect((await app.inject({ url })).statusCode, url).toBe(200);
    }
  });

  it('protectReads without a token refuses reads (fail closed) and says why', async () => {
    const { app } = harness({ protectReads: true, token: null });
    const res = await app.inject({ url: '/v1/portfolios' });
    expect(res.statusCode).toBe(403);
    expect((res.json() as ErrorBody).error.message).toContain('api.token');
  });

  it('tokens never appear in logs, responses or error messages', async () => {
    const lines: string[] = [];
    const log = createLogger('debug', { write: (line) => lines.push(line) });
    const wrong = 'wrong-secret-9f8e7d6c5b4a';
    const { app } = harness({ log, control: { reoptimize: () => { throw new Error('solver exploded'); } } });
    const responses = [
      await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: BEARER, payload: { reason: 'audit' } }),
      await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: { authorization: `Bearer ${wrong}` } }),
      await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/pause', headers: { authorization: `Basic ${wrong}` } }),
      await app.inject({ method: 'PUT', url: '/v1/portfolios/demo-shop', headers: BEARER, payload: { budget: -1 } }),
      await app.inject({ method: 'POST', url: '/v1/portfolios/demo-shop/reoptimize', headers: BEARER }),
      await app.inject({ url: `/v1/portfolios/demo-shop?token=${wrong}`, headers: BEARER }),
    ];
    expect(responses.map((r) => r.statusCode)).toEqual([200, 403, 401, 400, 500, 200]);
    // Something was logged: a line per request, and the unhandled error.
    expect(lines.length).toBeGreaterThanOrEqual(responses.length + 1);
    expect(lines.some((l) => l.includes('unhandled API error') && l.includes('solver exploded'))).toBe(true);
    const everything = [...lines, ...responses.map((r) => r.body + JSON.stringify(r.headers))].join('\n');
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain(wrong);
  });
});

describe('auth helpers', () => {
  it('bearerToken reads RFC 6750 tokens only', () => {
    expect(bearerToken('Bearer abc.DEF-123_~+/=')).toBe('abc.DEF-123_~+/=');
    expect(bearerToken('BEARER  abc ')).toBe('abc');
    expect(bearerToken(undefined)).toBeNull();
    expect(bearerToken('Bearer a b')).toBeNull();
    expect(bearerToken('Basic abc')).toBeNull();
  });

  it('sameToken compares tokens of any lengths', () => {
    expect(sameToken('secret', 'secret')).toBe(true);
    expect(sameToken('secret', 'secreT')).toBe(false);
    expect(sameToken('s', 'secret-much-longer')).toBe(false);
    expect(sameToken('', 'secret')).toBe(false);
  });

  it('routeAccess: /v1 mutations always need the token, reads only with protectReads, the rest is open', () => {
    expect(routeAccess('PUT', '/v1/portfolios/:id', false)).toBe('token');
    expect(routeAccess('POST', '/v1/portfolios/:id/what-if', false)).toBe('token');
    expect(routeAccess('GET', '/v1/portfolios', false)).toBe('open');
    expect(routeAccess('GET', '/v1/portfolios', true)).toBe('token');
    expect(routeAccess('HEAD', '/v1/portfolios', true)).toBe('token');
    expect(routeAccess('GET', '/metrics', true)).toBe('open');
    expect(routeAccess('GET', '/docs/openapi.json', true)).toBe('open');
    expect(routeAccess('GET', '/v1x', true)).toBe('open');
  });
});
