/**
 * The whole pipeline on a real Kafka broker, in process: simulated spend and sales events plus
 * broken ones go in on Kafka; reallocations come out on per-platform topics, and every broken
 * record lands on the DLQ with its reason while the service stays up.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, buildMarket, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import type { Config } from '../../src/config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../../src/events/types.ts';
import { createLogger } from '../../src/log.ts';
import { builtInScenario } from '../../src/sim/scenarios.ts';
import { collectTopics, deleteTopicsMatching, produceRaw, testTopics, uniqueName, waitFor, type ReadRecord } from '../support/kafka.ts';
import { checkReallocations } from '../support/reallocations.ts';

const brokers = inject('kafkaBrokers');
const prefix = uniqueName('pipeline');
let config: Config;
let app: App;
let reader: { records: ReadRecord[]; close(): Promise<void> };

const HOURS = 14;
const START = Date.parse('2026-03-02T00:00:00Z');

beforeAll(async () => {
  config = loadConfig({
    overrides: {
      service: { logLevel: 'warn' },
      kafka: {
        brokers: brokers.split(','),
        groupId: `${prefix}-group`,
        topics: testTopics(prefix),
      },
      simulator: { enabled: 'off' },
    },
  });
  app = await buildApp(config, createLogger('warn'));
  await app.start();
  const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
  reader = await collectTopics(brokers, [config.kafka.topics.dlq, ...platforms.map((p) => `${config.kafka.topics.reallocationsPrefix}${p}`)]);
});

afterAll(async () => {
  await reader?.close();
  await app?.stop();
  await deleteTopicsMatching(brokers, prefix);
});

describe('spendflow on Kafka', () => {
  it('turns simulated events into reallocations within budget and bounds, and dead-letters bad records', async () => {
    const t = config.kafka.topics;
    const market = buildMarket(config, builtInScenario('demo'), START);
    const records: { topic: string; key: string | null; value: string }[] = [];
    const ticks = (HOURS * 60) / config.simulator.tickMinutes;
    for (let i = 0; i < ticks; i++) {
      for (const r of market.step()) records.push({ topic: r.topic === 'spend' ? t.spend : t.sales, key: r.key, value: JSON.stringify(r.value) });
    }
    const ts = new Date(START + 30 * 60_000).toISOString();
    const bad = [
      { topic: t.spend, key: 'demo-shop', value: '{"eventId": "broken", "amount": ' },
      { topic: t.spend, key: 'demo-shop', value: JSON.stringify({ eventId: 'no-amount', portfolioId: 'demo-shop', channelId: 'search', platform: 'google-ads', ts, currency: 'EUR' }) },
      { topic: t.spend, key: 'demo-shop', value: JSON.stringify({ eventId: 'negative', portfolioId: 'demo-shop', channelId: 'search', platform: 'google-ads', ts, amount: -12.5, currency: 'EUR' }) },
      { topic: t.sales, key: 'nobody', value: JSON.stringify({ eventId: 'stranger', portfolioId: 'nobody', ts, revenue: 10, orders: 1 }) },
    ];
    // Bad records go in early, between good ones: the service must carry on past them.
    await produceRaw(brokers, [...records.slice(0, 40), ...bad, ...records.slice(40)]);

    const realloc = () => reader.records.filter((r) => r.topic.startsWith(t.reallocationsPrefix));
    const versionsOf = (pid: string) => new Set(realloc().map((r) => JSON.parse(r.value) as ReallocationEvent).filter((e) => e.portfolioId === pid).map((e) => e.version));
    const metric = async (name: string) =>
      (await app.server.inject({ url: '/metrics' })).body
        .split('\n')
        .filter((l) => l.startsWith(name))
        .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    // Every record consumed, and every published reallocation read back: only then is the
    // picture complete (a decision spans several topics, so a snapshot taken earlier can hold
    // part of one).
    await waitFor(
      async () => [await metric('spendflow_events_consumed_total'), await metric('spendflow_reallocations_published_total'), realloc().length, reader.records.filter((r) => r.topic === t.dlq).length],
      ([consumed, published, read, dlq]) => consumed === records.length + bad.length && read === published && dlq! >= 4,
      90_000,
      ([consumed, published, read, dlq]) => `consumed ${consumed} of ${records.length + bad.length}, published ${published}, read ${read}, dead letters ${dlq}`,
    );
    expect(versionsOf('demo-shop').size).toBeGreaterThanOrEqual(3);
    expect(versionsOf('demo-outdoor').size).toBeGreaterThanOrEqual(3);

    // Reallocations: complete versions, budgets summing to the portfolio budget, bounds and max change kept.
    const events = realloc().map((r) => {
      expect(r.key).toBe((JSON.parse(r.value) as ReallocationEvent).portfolioId);
      expect(r.topic).toBe(`${t.reallocationsPrefix}${(JSON.parse(r.value) as ReallocationEvent).platform}`);
      return JSON.parse(r.value) as ReallocationEvent;
    });
    const report = checkReallocations(config, events);
    expect(report.problems).toEqual([]);
    expect(report.versions).toBeGreaterThanOrEqual(6);
    expect(events.some((e) => e.solver === 'exact' && e.budget !== e.previousBudget)).toBe(true);

    // Dead letters: one per bad record, each with its reason and the original payload.
    const letters = reader.records.filter((r) => r.topic === t.dlq).map((r) => JSON.parse(r.value) as DeadLetter);
    expect(letters).toHaveLength(4);
    const byPayload = new Map(letters.map((l) => [l.payload, l]));
    expect(byPayload.get(bad[0]!.value)?.reason).toBe('malformed_json');
    expect(byPayload.get(bad[1]!.value)).toMatchObject({ reason: 'invalid', fields: [{ field: 'amount', message: 'is required' }] });
    expect(byPayload.get(bad[2]!.value)?.reason).toBe('invalid');
    expect(byPayload.get(bad[2]!.value)?.fields[0]?.field).toBe('amount');
    expect(byPayload.get(bad[3]!.value)?.reason).toBe('unknown_portfolio');
    for (const l of letters) expect(l.source.topic === t.spend || l.source.topic === t.sales).toBe(true);

    // Still serving, and the counters say what happened.
    expect((await app.server.inject({ url: '/health' })).statusCode).toBe(200);
    expect((await app.server.inject({ url: '/ready' })).statusCode).toBe(200);
    expect(await metric('spendflow_invalid_events_total')).toBe(4);
    expect(await metric('spendflow_reoptimizations_total')).toBeGreaterThan(0);
    expect(await metric('spendflow_reallocations_published_total')).toBe(events.length);
    const allocation = (await app.server.inject({ url: '/v1/portfolios/demo-shop/allocation' })).json() as { version: number; channels: { budget: number }[] };
    expect(allocation.version).toBe(Math.max(...versionsOf('demo-shop')));
  });
});
