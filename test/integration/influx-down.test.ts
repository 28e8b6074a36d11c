/**
 * The service with InfluxDB unreachable: it keeps deciding and publishing, /ready stays 200, and
 * the history it cannot write is counted (failures, the bounded buffer, dropped points) rather
 * than held in memory without limit or blocking the pipeline.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import { createLogger } from '../../src/log.ts';
import { waitFor } from '../support/kafka.ts';

/** A loopback port nobody listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let app: App;
const MAX_BUFFER = 200;

beforeAll(async () => {
  const config = loadConfig({
    overrides: {
      service: { logLevel: 'silent' },
      state: { dir: null },
      simulator: { enabled: 'on', speed: 7200 },
      influx: { url: `http://127.0.0.1:${await closedPort()}`, flushIntervalMs: 50, maxBufferPoints: MAX_BUFFER, maxRetries: 2, timeoutMs: 500 },
    },
  });
  app = await buildApp(config, createLogger('silent'));
  await app.start();
});

afterAll(async () => {
  await app?.stop();
});

/** The sum of a metric's series (all labels). */
const metric = async (name: string) =>
  (await app.registry.metrics())
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((s, l) => s + Number(l.split(' ').pop()), 0);

describe('InfluxDB down', () => {
  it('keeps publishing reallocations while history failures and drops are counted within the buffer bound', async () => {
    const published = await waitFor(() => metric('spendflow_reallocations_published_total'), (n) => n >= 20, 60_000, (n) => `published ${n}`);
    expect(published).toBeGreaterThanOrEqual(20);
    const failures = await waitFor(() => metric('spendflow_influx_write_failures_total'), (n) => n >= 3, 30_000, (n) => `failures ${n}`);
    expect(failures).toBeGreaterThanOrEqual(3);
    // Points keep coming (a bucket every 0.5 s of wall time): the buffer fills and the oldest go.
    const dropped = await waitFor(() => metric('spendflow_influx_points_dropped_total'), (n) => n > 0, 30_000, (n) => `dropped ${n}`);
    expect(dropped).toBeGreaterThan(0);
    expect(await metric('spendflow_influx_points_written_total')).toBe(0);
    const buffered = await metric('spendflow_influx_buffer_points');
    expect(buffered).toBeGreaterThan(0);
    expect(buffered).toBeLessThanOrEqual(MAX_BUFFER);
    // The pipeline did not wait: decisions still flow, and the service is ready.
    const later = await waitFor(() => metric('spendflow_reallocations_published_total'), (n) => n > published + 10, 30_000, (n) => `published ${n}`);
    expect(later).toBeGreaterThan(published);
    expect((await app.server.inject({ url: '/ready' })).statusCode).toBe(200);
    expect((await app.server.inject({ url: '/v1/portfolios/demo-shop/allocation' })).statusCode).toBe(200);
  });
});
