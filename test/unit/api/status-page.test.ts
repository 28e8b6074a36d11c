import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { statusAssets, withoutBannerUrl } from '../../../src/api/routes/status-page.ts';
import { harness, type ErrorBody } from './api-harness.ts';

const TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };
const URL_PATTERN = /\bhttps?:\/\//i;

type App = ReturnType<typeof harness>['app'];

/** What a served file refers to: src/href attributes, module imports, CSS url()s and @imports. */
function references(path: string, body: string): string[] {
  const found = [
    ...[...body.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/gi)].map((m) => m[1]!),
    ...[...body.matchAll(/\bimport\s*(?:[^'"]*?\bfrom\s*)?["']([^"']+)["']/g)].map((m) => m[1]!),
    ...[...body.matchAll(/\burl\(\s*["']?([^"')]+)["']?\s*\)/gi)].map((m) => m[1]!),
    ...[...body.matchAll(/@import\s+["']([^"']+)["']/gi)].map((m) => m[1]!),
  ];
  // uPlot's own code has no imports; its minified text is checked for URLs below instead.
  if (path.endsWith('/uplot.js')) return [];
  return found.filter((r) => !r.startsWith('data:')).map((r) => new URL(r, `http://page.invalid${path}`).pathname);
}

/** GET / and everything it refers to, transitively: path → response. */
async function crawl(app: App) {
  const seen = new Map<string, Awaited<ReturnType<App['inject']>>>();
  const queue = ['/'];
  while (queue.length > 0) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    const res = await app.inject({ url: path });
    seen.set(path, res);
    queue.push(...references(path, res.body));
  }
  return seen;
}

describe('the status page (GET /)', () => {
  it('is an HTML page that refers only to files under /status/ of this server', async () => {
    const { app } = harness();
    const res = await app.inject({ url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toMatch(/^<!doctype html>/i);
    expect(res.body).toContain('<html lang="en">');
    const refs = references('/', res.body);
    expect(refs.length).toBeGreaterThanOrEqual(4);
    for (const ref of refs) expect(ref, ref).toMatch(/^\/status\/[a-z.]+$/);
    // The browser is held to the same: scripts, styles and API calls from this origin only.
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    for (const directive of ['script-src', 'style-src', 'connect-src']) expect(csp).toContain(`${directive} 'self'`);
  });

  it('serves every file the page refers to, with its content type and a cache header, and no file it does not use', async () => {
    const { app } = harness();
    const served = await crawl(app);
    const assets = [...served.keys()].filter((p) => p !== '/');
    expect(assets.sort()).toEqual([...statusAssets().assets.keys()].map((n) => `/status/${n}`).sort());
    for (const path of assets) {
      const res = served.get(path)!;
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type'], path).toBe(TYPES[path.split('.').pop()!]);
      expect(res.headers['cache-control'], path).toBe('public, max-age=300');
      expect(res.headers['x-content-type-options'], path).toBe('nosniff');
      expect(res.body.length, path).toBeGreaterThan(100);
      const again = await app.inject({ url: path, headers: { 'if-none-match': String(res.headers['etag']) } });
      expect(again.statusCode, `${path} revalidated`).toBe(304);
    }
    expect(served.get('/status/uplot.js')!.body).toContain('uPlot');
  });

  it('no served file names any URL: nothing is fetched from elsewhere', async () => {
    const served = await crawl(harness().app);
    expect(served.size).toBeGreaterThanOrEqual(7);
    for (const [path, res] of served) {
      expect(URL_PATTERN.test(res.body), `${path} mentions a URL`).toBe(false);
      expect(res.body, path).not.toMatch(/\b(?:src|href)\s*=\s*["']\/\//i);
    }
  });

  it('serves uPlot\'s code unchanged, only its banner without the scheme', () => {
    const require = createRequire(import.meta.url);
    const original = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
    const served = statusAssets().assets.get('uplot.js')!.body.toString('utf8');
    const code = (s: string) => s.slice(s.indexOf('*/') + 2);
    expect(code(served)).toBe(code(original));
    expect(served.slice(0, served.indexOf('*/') + 2)).toBe('/*! uPlot (v1.6.32) MIT License, github.com/leeoniya/uPlot */');
    expect(withoutBannerUrl('/*! https://example.org/x */\nvar a;')).toBe('/*! uPlot MIT License, example.org/x */\nvar a;');
    expect(withoutBannerUrl('var b = 1;')).toBe('var b = 1;');
  });

  it('an unknown file under /status/ is the uniform 404 of an unknown route', async () => {
    const { app } = harness();
    for (const url of ['/status/nope.js', '/status/', '/status/..%2Fstatus-page.ts', '/status/index.html', '/status/uPlot.iife.min.js']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type'], url).toContain('application/json');
      const body = res.json() as ErrorBody;
      expect(body, url).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: expect.stringContaining(`no route GET /status/`) as string, retriable: false, fields: [] } });
    }
    const other = (await app.inject({ url: '/status/nope.js' })).json() as ErrorBody;
    expect(other.error.message).toBe('no route GET /status/nope.js');
  });

  it('stays open with api.protectReads: the page and its files need no token, the API reads it makes do', async () => {
    const { app } = harness({ protectReads: true });
    const served = await crawl(app);
    for (const [path, res] of served) expect(res.statusCode, path).toBe(200);
    expect((await app.inject({ url: '/v1/portfolios' })).statusCode).toBe(401);
    // The page knows how to ask for the token and send it as a bearer token.
    const script = served.get('/status/status.js')!.body;
    expect(script).toContain('sessionStorage');
    expect(script).toContain('Bearer ${token}');
    expect(script).not.toContain('localStorage');
  });

  it('is in the OpenAPI document as HTML and files, open, without a JSON body it does not have', async () => {
    for (const protectReads of [false, true]) {
      const doc = (await harness({ protectReads }).app.inject({ url: '/docs/openapi.json' })).json() as {
        paths: Record<string, Record<string, { summary?: string; security?: unknown; parameters?: { name: string; in: string }[]; responses: Record<string, { content?: Record<string, unknown> }> }>>;
      };
      const page = doc.paths['/']!['get']!;
      expect(page.summary).toBeTruthy();
      expect(page.security).toBeUndefined();
      expect(Object.keys(page.responses['200']!.content!)).toEqual(['text/html']);
      const asset = doc.paths['/status/{asset}']!['get']!;
      expect(asset.security).toBeUndefined();
      expect(asset.parameters).toEqual([expect.objectContaining({ name: 'asset', in: 'path' })]);
      expect(Object.keys(asset.responses['200']!.content!).sort()).toEqual(['text/css', 'text/javascript']);
      expect(asset.responses['404']!.content!['application/json']).toBeDefined();
    }
  });
});
