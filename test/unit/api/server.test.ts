import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildServer } from '../../../src/api/server.ts';
import { InProcessBus } from '../../../src/bus/in-process-bus.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { SignalBus } from '../../../src/pipeline/signals.ts';
import { InProcessPublisher } from '../../../src/publish/in-process-sink.ts';
import { registerPipelineMetrics } from '../../../src/telemetry/metrics.ts';

function server(ready = true) {
  const config = loadConfig({});
  const bus = new InProcessBus();
  const publisher = new InProcessPublisher(bus, config.kafka.topics);
  const signals = new SignalBus();
  const registry = new Registry();
  registerPipelineMetrics(registry, signals, { processMetrics: false });
  const pipeline = createPipeline({ config, allocations: publisher, deadLetters: publisher, signals });
  const app = buildServer({ registry, pipeline, readiness: () => [{ name: 'source:test', ok: ready }] });
  return { app, config, pipeline, signals, registry };
}

describe('HTTP API', () => {
  it('GET /health answers ok', async () => {
    const res = await server().app.inject({ url: '/health' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('GET /ready is 503 with the failing check until the source is ready', async () => {
    const notReady = await server(false).app.inject({ url: '/ready' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ ready: false, checks: [{ name: 'source:test', ok: false }] });
    expect((await server(true).app.inject({ url: '/ready' })).statusCode).toBe(200);
  });

  it('GET /v1/portfolios/:id/allocation shows the initial allocation before any data', async () => {
    const { app, config } = server();
    const res = await app.inject({ url: '/v1/portfolios/demo-shop/allocation' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { version: number; status: string; budget: number; channels: { channelId: string; budget: number; share: number }[] };
    const shop = config.portfolios.find((p) => p.id === 'demo-shop')!;
    expect(body.version).toBe(0);
    expect(body.status).toBe('initial');
    expect(body.channels.map((c) => c.channelId)).toEqual(shop.channels.map((c) => c.id));
    expect(body.channels.reduce((s, c) => s + c.budget, 0)).toBeCloseTo(shop.budget, 2);
    expect(body.channels.reduce((s, c) => s + c.share, 0)).toBeCloseTo(1, 9);
  });

  it('unknown portfolio → 404 with a stable code and the known ids', async () => {
    const res = await server().app.inject({ url: '/v1/portfolios/nope/allocation' });
    expect(res.statusCode).toBe(404);
    const body = res.json() as { error: { code: string; retriable: boolean; fields: { field: string; message: string }[] } };
    expect(body.error.code).toBe('PORTFOLIO_NOT_FOUND');
    expect(body.error.retriable).toBe(false);
    expect(body.error.fields[0]!.message).toContain('demo-shop');
  });

  it('GET /metrics exposes the pipeline counters in Prometheus text format', async () => {
    const { app, signals } = server();
    signals.emit({ type: 'dead_letter.sent', reason: 'malformed_json' });
    signals.emit({ type: 'event.consumed', kind: 'spend', result: 'invalid' });
    signals.emit({ type: 'reoptimized', portfolioId: 'demo-shop', outcome: 'published', solver: 'annealing', durationSeconds: 0.01 });
    signals.emit({ type: 'reallocation.published', portfolioId: 'demo-shop', platform: 'meta', count: 2 });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.body).toContain('spendflow_invalid_events_total{reason="malformed_json"} 1');
    expect(res.body).toContain('spendflow_events_consumed_total{kind="spend",result="invalid"} 1');
    expect(res.body).toContain('spendflow_reoptimizations_total{outcome="published"} 1');
    expect(res.body).toContain('spendflow_reallocations_published_total{platform="meta"} 2');
    expect(res.body).toContain('spendflow_reoptimization_duration_seconds_count 1');
    // Series that have not happened yet are exported as 0, so dashboards and alerts see them.
    expect(res.body).toContain('spendflow_invalid_events_total{reason="unknown_portfolio"} 0');
    expect(res.body).toContain('spendflow_reoptimizations_total{outcome="held"} 0');
  });

  it('unknown routes are 404 in the same error shape', async () => {
    const res = await server().app.inject({ url: '/v1/nothing?x=1' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toEqual({ error: { code: 'ROUTE_NOT_FOUND', message: 'no route GET /v1/nothing', retriable: false, fields: [] } });
  });
});
