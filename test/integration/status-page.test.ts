/**
 * The status page in a real browser: an embedded app (simulator at 3600x, so an hourly bucket
 * closes every second) serves GET /, and Debian's Chromium loads it. The page must draw its
 * charts from the live API, show every channel of the allocation with its marginal ROI, update
 * without a reload, log no error and ask nothing of any host but the service.
 *
 * Screenshot: .cache/artifacts/status-page.png; with UPDATE_SCREENSHOT=1 also
 * docs/images/status-page.png (the one the README shows), taken once a simulated day of buckets
 * is on the page.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import { createLogger } from '../../src/log.ts';
import { launchChromium } from '../support/browser.ts';
import { waitFor } from '../support/kafka.ts';

/**
 * The little of the DOM that the callbacks run in the page (page.evaluate, waitForFunction) use:
 * the project's tsconfig has no DOM library, and these declarations stay in this module.
 */
interface PageElement {
  readonly dataset: Record<string, string | undefined>;
  readonly textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(selector: string): PageElement | null;
  getContext?(kind: '2d'): { getImageData(x: number, y: number, width: number, height: number): { data: Uint8ClampedArray } } | null;
}
declare const document: {
  readonly body: PageElement;
  readonly documentElement: { readonly scrollWidth: number };
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): ArrayLike<PageElement> & Iterable<PageElement>;
  dispatchEvent(event: unknown): boolean;
};
declare const window: Record<string, unknown>;
declare const Event: new (type: string) => unknown;

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACT = join(ROOT, '.cache', 'artifacts', 'status-page.png');
const DOCS_IMAGE = join(ROOT, 'docs', 'images', 'status-page.png');
const VIEWPORT = { width: 1366, height: 900 };

let app: App;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let page: Page;
let base: string;
/** Everything that went wrong in the browser: console errors, page errors, failed or refused requests. */
const problems: string[] = [];
const requested: string[] = [];

type Model = { status: string; channels: { channelId: string }[] };
type History = { buckets: { predicted: unknown }[] };

async function getJson<T>(path: string): Promise<T> {
  return (await (await fetch(`${base}${path}`)).json()) as T;
}

beforeAll(async () => {
  const config = loadConfig({
    overrides: {
      kafka: { brokers: [] },
      simulator: { enabled: 'on', speed: 3600 },
      state: { dir: null },
      service: { logLevel: 'warn' },
    },
  });
  app = await buildApp(config, createLogger('warn'));
  await app.start();
  await app.server.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.addresses().find((a): a is AddressInfo => typeof a !== 'string' && a.family === 'IPv4')!;
  base = `http://127.0.0.1:${address.port}`;
  // The page has something to draw once the model has fitted and forecast a few buckets.
  await waitFor(
    async () => ({ model: await getJson<Model>('/v1/portfolios/demo-shop/model'), history: await getJson<History>('/v1/portfolios/demo-shop/history') }),
    (s) => s.model.status === 'fitted' && s.history.buckets.filter((b) => b.predicted !== null).length >= 3,
    60_000,
    (s) => `model ${s.model.status}, ${s.history.buckets.length} buckets`,
  );

  browser = await launchChromium();
  context = await browser.newContext({ viewport: VIEWPORT });
  // Nothing but the service: any other request is refused, and counted as a failure.
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' && url.port === address.port.toString()) return route.continue();
    problems.push(`external request refused: ${route.request().url()}`);
    return route.abort('blockedbyclient');
  });
  page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requested.push(r.url()));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await app?.stop();
});

/** Per chart: its points, and how many pixels of its plotting area have its main series' colour. */
async function chartPixels(p: Page) {
  return p.evaluate(() =>
    [...document.querySelectorAll('[data-chart]')].map((chart) => {
      const canvas = chart.querySelector('canvas');
      const [left, top, width, height] = (chart.dataset['plot'] ?? '0,0,0,0').split(',').map(Number) as [number, number, number, number];
      const stroke = chart.dataset['stroke'] ?? '#000000';
      const want = [1, 3, 5].map((i) => parseInt(stroke.slice(i, i + 2), 16));
      let painted = 0;
      let series = 0;
      if (canvas && width > 0 && height > 0) {
        const pixels = canvas.getContext!('2d')!.getImageData(left, top, width, height).data;
        for (let i = 0; i < pixels.length; i += 4) {
          if (pixels[i + 3]! === 0) continue;
          painted++;
          const d = Math.abs(pixels[i]! - want[0]!) + Math.abs(pixels[i + 1]! - want[1]!) + Math.abs(pixels[i + 2]! - want[2]!);
          if (d < 60 && pixels[i + 3]! > 200) series++;
        }
      }
      return { name: `${chart.dataset['chart']}${chart.dataset['channel'] ? `:${chart.dataset['channel']}` : ''}`, points: Number(chart.dataset['points']), painted, series, label: chart.getAttribute('aria-label') ?? '' };
    }),
  );
}

const shownState = (p: Page) =>
  p.evaluate(() => ({
    lastBucket: document.getElementById('history-chart')!.dataset['lastBucket'] ?? null,
    version: document.querySelector('[data-field="version"]')?.textContent ?? null,
    polls: Number(document.body.dataset['polls'] ?? 0),
  }));

describe('status page in Chromium', () => {
  it('draws the live allocation, revenue history and response curves from the API, asking nothing of any other host', async () => {
    const shop = app.config.portfolios.find((p) => p.id === 'demo-shop')!;
    const response = await page.goto(`${base}/`, { waitUntil: 'load' });
    expect(response?.status()).toBe(200);
    expect(await page.title()).toBe('spendflow status');
    await page.waitForFunction(
      (channels) => {
        const history = document.querySelector('[data-chart="history"]');
        const curves = [...document.querySelectorAll('[data-chart="curve"]')];
        return Number(history?.dataset['points'] ?? 0) > 0 && curves.length === channels && curves.every((c) => Number(c.dataset['points']) > 0 && c.dataset['plot'] !== undefined);
      },
      shop.channels.length,
      { timeout: 20_000 },
    );

    // Every chart has drawn data: points in, and its series' colour on the canvas.
    const charts = await chartPixels(page);
    expect(charts.map((c) => c.name).sort()).toEqual(['history', ...shop.channels.map((c) => `curve:${c.id}`)].sort());
    for (const chart of charts) {
      expect(chart.points, chart.name).toBeGreaterThan(0);
      expect(chart.painted, `${chart.name}: blank plotting area`).toBeGreaterThan(100);
      expect(chart.series, `${chart.name}: no series line drawn`).toBeGreaterThan(30);
      expect(chart.label, `${chart.name}: no text alternative`).not.toBe('');
    }

    // The allocation: every configured channel, shares adding up to 100%.
    const rows = await page.$$eval('#allocation-table tbody tr', (trs) =>
      trs.map((tr) => ({ channel: tr.getAttribute('data-channel'), share: Number(tr.querySelector('[data-share]')!.getAttribute('data-share')), text: tr.textContent ?? '' })),
    );
    expect(rows.map((r) => r.channel)).toEqual(shop.channels.map((c) => c.id));
    expect(rows.reduce((s, r) => s + r.share, 0)).toBeCloseTo(1, 6);
    const shownPercents = rows.map((r) => Number(/(\d+(?:\.\d+)?)%/.exec(r.text)![1]));
    expect(Math.abs(shownPercents.reduce((s, v) => s + v, 0) - 100)).toBeLessThan(0.5);
    expect(await page.textContent('#allocation-summary')).toMatch(/^Why: \S/);
    expect(await page.textContent('[data-field="status"]')).toMatch(/\w/);

    // Marginal ROI with its interval next to each curve.
    for (const channel of shop.channels) {
      const text = await page.textContent(`.roi[data-roi="${channel.id}"]`);
      expect(text, channel.id).toMatch(/^Marginal ROI \d+\.\d\d \(90% interval \d+\.\d\d – \d+\.\d\d\) at the current spend of /);
    }
    expect(await page.textContent('#history-latest')).toMatch(/^Latest bucket, \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    // Readable on a laptop: nothing wider than the window; the selector has its label.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(VIEWPORT.width);
    expect(await page.$eval('label[for="portfolio"]', (l) => l.textContent)).toBe('Portfolio');

    mkdirSync(dirname(ARTIFACT), { recursive: true });
    await page.screenshot({ path: ARTIFACT, fullPage: true });
    expect(problems).toEqual([]);
    expect(requested.filter((u) => !u.startsWith(`${base}/`))).toEqual([]);
  });

  it('updates live: a later poll shows a newer bucket without reloading', async () => {
    await page.evaluate(() => {
      window['notReloaded'] = true;
    });
    const before = await shownState(page);
    expect(before.lastBucket).not.toBeNull();
    await page.waitForFunction(
      (was) => {
        const now = document.getElementById('history-chart')!.dataset['lastBucket'];
        return now !== undefined && now > was;
      },
      before.lastBucket!,
      { timeout: 30_000 },
    );
    const after = await shownState(page);
    expect(after.polls).toBeGreaterThan(before.polls);
    expect(Date.parse(after.lastBucket!)).toBeGreaterThan(Date.parse(before.lastBucket!));
    expect(await page.evaluate(() => window['notReloaded'])).toBe(true);
    if (process.env['UPDATE_SCREENSHOT'] === '1') {
      // The README's picture: a simulated day of buckets, so the history says something.
      await page.waitForFunction(() => Number(document.getElementById('history-chart')!.dataset['points']) >= 24, null, { timeout: 60_000 });
      mkdirSync(dirname(DOCS_IMAGE), { recursive: true });
      await page.screenshot({ path: DOCS_IMAGE, fullPage: true });
    }
    expect(problems).toEqual([]);
  });

  it('pauses while the tab is hidden and catches up when it shows again', async () => {
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
        document.dispatchEvent(new Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    await page.waitForFunction(() => document.getElementById('live')!.textContent === 'Paused while this tab is hidden.', null, { timeout: 10_000 });
    const paused = await shownState(page);
    await setHidden(false);
    await page.waitForFunction((n) => Number(document.body.dataset['polls']) > n, paused.polls, { timeout: 10_000 });
    expect(await page.textContent('#live')).toMatch(/^Updated /);
    expect(problems).toEqual([]);
  });

  it('switches portfolio with the selector', async () => {
    const outdoor = app.config.portfolios.find((p) => p.id === 'demo-outdoor')!;
    await page.selectOption('#portfolio', 'demo-outdoor');
    await page.waitForFunction(
      (ids) => [...document.querySelectorAll('#allocation-table tbody tr')].map((tr) => tr.getAttribute('data-channel')).join(',') === ids,
      outdoor.channels.map((c) => c.id).join(','),
      { timeout: 10_000 },
    );
    expect(new URL(page.url()).hash).toBe('#demo-outdoor');
    await page.waitForFunction((n) => document.querySelectorAll('[data-chart="curve"]').length === n, outdoor.channels.length, { timeout: 10_000 });
    expect(problems).toEqual([]);
  });
});
