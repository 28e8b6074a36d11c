/**
 * The built-in status page, for people without Grafana: GET / is one HTML page that polls the
 * read API (allocation, history, model) from the browser and draws it with uPlot.
 *
 * Every asset is served from here — the page's own files in ../status/ and uPlot's browser build
 * from node_modules — so the page works offline and asks nothing of any other host; a
 * Content-Security-Policy of 'self' makes the browser hold it to that. The files are read once,
 * the first time a server registers this plugin.
 *
 * The routes are open (the page holds no data; the API calls it makes carry the token the user
 * types in when api.protectReads is on) and documented in the OpenAPI document as what they are,
 * HTML, JavaScript and CSS, since the collector records every route.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorResponses } from '../schemas.ts';

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
} as const;

/**
 * The page is tiny and changes with the service, so browsers revalidate it on every load (a 304
 * when nothing changed); the assets may be reused for five minutes, then revalidated too.
 */
const PAGE_CACHE = 'no-cache';
const ASSET_CACHE = 'public, max-age=300';

/** Only this host: scripts, styles, API calls. `data:` for the empty favicon. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function asset(body: Buffer, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/**
 * uPlot's banner comment names its home page as a URL. The page promises not to mention any
 * other host, so the banner keeps the attribution without the scheme; the code itself is served
 * byte for byte (the unit test checks that nothing else in it is a URL).
 */
export function withoutBannerUrl(source: string): string {
  return source.replace(/^\/\*!\s*https?:\/\/(\S+)\s*(\(v[^)]*\))?\s*\*\//, (_m, home: string, version: string | undefined) =>
    `/*! uPlot ${version ?? ''} MIT License, ${home} */`.replace(/\s+/g, ' '));
}

function loadAssets(): { page: Asset; assets: ReadonlyMap<string, Asset> } {
  const require = createRequire(import.meta.url);
  const own = (name: string) => readFileSync(fileURLToPath(new URL(`../status/${name}`, import.meta.url)));
  const uplotJs = readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8');
  const uplotCss = readFileSync(require.resolve('uplot/dist/uPlot.min.css'));
  return {
    page: asset(own('index.html'), TYPES.html),
    assets: new Map([
      ['status.js', asset(own('status.js'), TYPES.js)],
      ['charts.js', asset(own('charts.js'), TYPES.js)],
      ['format.js', asset(own('format.js'), TYPES.js)],
      ['status.css', asset(own('status.css'), TYPES.css)],
      ['uplot.js', asset(Buffer.from(withoutBannerUrl(uplotJs), 'utf8'), TYPES.js)],
      ['uplot.css', asset(uplotCss, TYPES.css)],
    ]),
  };
}

let loaded: ReturnType<typeof loadAssets> | undefined;

/** The served files by name under /status/ (read on first use, then kept). */
export function statusAssets(): ReturnType<typeof loadAssets> {
  loaded ??= loadAssets();
  return loaded;
}

function send(request: FastifyRequest, reply: FastifyReply, file: Asset, cache: string): FastifyReply {
  void reply
    .header('content-type', file.type)
    .header('cache-control', cache)
    .header('etag', file.etag)
    .header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === file.etag) return reply.status(304).send();
  return reply.send(file.body);
}

const text = (type: string, description: string) => ({ description, content: { [type.split(';')[0]!]: { schema: { type: 'string' } } } });

export async function statusPageRoutes(app: FastifyInstance): Promise<void> {
  const { page, assets } = statusAssets();
  app.get(
    '/',
    {
      schema: { summary: 'The status page: allocation, predicted vs actual revenue and response curves of each portfolio, updated live (HTML)', tags: ['meta'] },
      config: { openapi: { responses: { 200: text(TYPES.html, 'the status page') } } },
    },
    async (request, reply) => send(request, reply.header('content-security-policy', CSP).header('referrer-policy', 'no-referrer'), page, PAGE_CACHE),
  );
  app.get<{ Params: { asset: string } }>(
    '/status/:asset',
    {
      schema: {
        summary: 'A file of the status page: its scripts and style sheet, and uPlot\'s',
        tags: ['meta'],
        params: { type: 'object', properties: { asset: { type: 'string', description: `one of ${[...assets.keys()].join(', ')}` } }, required: ['asset'] },
      },
      config: {
        openapi: {
          responses: {
            200: { description: 'the file', content: { 'text/javascript': { schema: { type: 'string' } }, 'text/css': { schema: { type: 'string' } } } },
            404: { description: 'no such file (ROUTE_NOT_FOUND)', content: { 'application/json': { schema: errorResponses(404)['404'] } } },
          },
        },
      },
    },
    async (request, reply) => {
      const file = assets.get(request.params.asset);
      // The same 404 as any unknown route.
      if (!file) {
        reply.callNotFound();
        return reply;
      }
      return send(request, reply, file, ASSET_CACHE);
    },
  );
}
