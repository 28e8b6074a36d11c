/**
 * The HTTP API on a running Kafka-mode service (issue 5), through app.server.inject on an
 * in-process app with api.token set: mutations without a token are refused 401 and with a wrong
 * one 403 (and change nothing); an invalid PUT body is a 400 naming the field; a valid PUT takes
 * the next version and lands on the compacted control topic; a paused portfolio still answers a
 * what-if, publishes no reallocation while paused, and publishes again after resume.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, buildMarket, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import type { Config } from '../../src/config/types.ts';
import type { ReallocationEvent } from '../../src/events/types.ts';
import { createLogger } from '../../src/log.ts';
import type { MarketSimulator } from '../../src/sim/market.ts';
import { builtInScenario } from '../../src/sim/scenarios.ts';
import { collectTopics, deleteTopicsMatching, produceRaw, testTopics, uniqueName, waitFor, type ReadRecord } from '../support/kafka.ts';

const brokers = inject('kafkaBrokers');
const prefix = uniqueName('api');
const TOKEN = 'integration-token-4f7c2a';
const HOUR = 3_600_000;
const ID = 'demo-shop';
const OTHER = 'demo-outdoor';

let config: Config;
let app: App;
let reader: { records: ReadRecord[]; close(): Promise<void> };
let market: MarketSimulator;

const auth = (token = TOKEN) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  config = loadConfig({
    overrides: {
      service: { logLevel: 'warn' },
      api: { token: TOKEN },
      kafka: {
        brokers: brokers.split(','),
        groupId: `${prefix}-group`,
        topics: testTopics(prefix),
      },
      simulator: { enabled: 'off' },
    },
  });
  app = await buildApp(config, createLogger('error'));
  await app.start();
  const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
  reader = await collectTopics(brokers, [config.kafka.topics.control, ...platforms.map((p) => `${config.kafka.topics.reallocationsPrefix}${p}`)]);
  market = buildMarket(config, builtInScenario('demo'), Math.floor(Date.now() / HOUR) * HOUR - 40 * HOUR);
}, 120_000);

afterAll(async () => {
  await reader?.close();
  await app?.stop();
  await deleteTopicsMatching(brokers, prefix);
});

describe('the API on a running Kafka-mode service', () => {
  it('refuses unauthenticated mutations, validates bodies, versions changes onto the control topic, and pauses and resumes reallocations', { timeout: 120_000 }, async () => {
    const t = config.kafka.topics;
    const metric = async (name: string, labels: Record<string, string> = {}) =>
      (await app.server.inject({ url: '/metrics' })).body
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
        .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    let produced = 0;
    /** Streams `hours` of simulated spend and sales and waits until the service consumed them. */
    const stream = async (hours: number) => {
      const records: { topic: string; key: string; value: string }[] = [];
      for (let i = 0; i < (hours * 60) / config.simulator.tickMinutes; i++) {
        for (const r of market.step()) records.push({ topic: r.topic === 'spend' ? t.spend : t.sales, key: r.key, value: JSON.stringify(r.value) });
      }
      await produceRaw(brokers, records);
      produced += records.length;
      await waitFor(() => metric('spendflow_events_consumed_total'), (n) => n >= produced, 60_000, (n) => `consumed ${n} of ${produced}`);
    };
    const realloc = () => reader.records.filter((r) => r.topic.startsWith(t.reallocationsPrefix)).map((r) => JSON.parse(r.value) as ReallocationEvent);
    const versions = (id: string) => [...new Set(realloc().filter((e) => e.portfolioId === id).map((e) => e.version))].sort((a, b) => a - b);
    /** Waits until every committed reallocation has been read back. */
    const caughtUp = () =>
      waitFor(
        async () => [realloc().length, await metric('spendflow_reallocations_published_total')] as const,
        ([read, published]) => read >= published,
        20_000,
        ([read, published]) => `read ${read} of ${published} published reallocation events`,
      );
    const get = async (id: string) => (await app.server.inject({ url: `/v1/portfolios/${id}` })).json() as { version: number; paused: boolean; pausedReason: string | null; source: string; config: { budget: number }; owned: boolean };

    await waitFor(() => app.control.get(ID)?.owned === true && app.control.get(OTHER)?.owned === true, (ok) => ok, 30_000, () => 'portfolios not owned yet');
    // Enough buckets for the model to be fitted and past the learning phase.
    await stream(10);
    await caughtUp();
    expect(versions(ID).length).toBeGreaterThan(0);
    const start = await get(ID);
    expect(start).toMatchObject({ version: 0, source: 'file', paused: false, owned: true });
    const currentConfig = app.control.get(ID)!.config;
    const goodBody = { ...currentConfig, budget: 2400 };

    // 401 without a token (with the Bearer challenge), 403 with a wrong one: on every mutating route.
    const mutations = [
      { method: 'PUT' as const, url: `/v1/portfolios/${ID}`, payload: goodBody },
      { method: 'POST' as const, url: `/v1/portfolios/${ID}/pause`, payload: { reason: 'should not happen' } },
      { method: 'POST' as const, url: `/v1/portfolios/${ID}/resume` },
      { method: 'POST' as const, url: `/v1/portfolios/${ID}/reoptimize` },
    ];
    for (const m of mutations) {
      const none = await app.server.inject({ ...m });
      expect(none.statusCode, `${m.method} ${m.url} without a token: ${none.body}`).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
      expect(none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
      const notBearer = await app.server.inject({ ...m, headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
      expect(notBearer.statusCode, `${m.method} ${m.url} with basic auth`).toBe(401);
      const wrong = await app.server.inject({ ...m, headers: auth(`${TOKEN}x`) });
      expect(wrong.statusCode, `${m.method} ${m.url} with a wrong token: ${wrong.body}`).toBe(403);
      expect(wrong.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect(wrong.body).not.toContain(TOKEN);
    }
    expect(await get(ID)).toMatchObject({ version: 0, paused: false, config: { budget: currentConfig.budget } });
    // Reads stay open (api.protectReads is off).
    expect((await app.server.inject({ url: `/v1/portfolios/${ID}/allocation` })).statusCode).toBe(200);

    // Invalid bodies: 400, the field named, nothing stored.
    for (const [body, field] of [
      [{ ...currentConfig, budget: -5 }, 'budget'],
      [{ ...currentConfig, budget: 'lots' }, 'budget'],
      [{ ...currentConfig, budget: undefined }, 'budget'],
      [{ ...currentConfig, channels: currentConfig.channels.map((c, i) => (i === 1 ? { ...c, max: -1 } : c)) }, 'channels[1].max'],
      [{ ...currentConfig, maxChange: 3 }, 'maxChange'],
    ] as const) {
      const res = await app.server.inject({ method: 'PUT', url: `/v1/portfolios/${ID}`, headers: auth(), payload: body });
      expect(res.statusCode, `${JSON.stringify(body).slice(0, 80)}: ${res.body}`).toBe(400);
      const error = (res.json() as { error: { code: string; fields: { field: string; message: string }[] } }).error;
      expect(error.fields.map((f) => f.field), res.body).toContain(field);
    }
    const idClash = await app.server.inject({ method: 'PUT', url: `/v1/portfolios/${ID}`, headers: auth(), payload: { ...goodBody, id: OTHER } });
    expect(idClash.statusCode).toBe(400);
    expect((idClash.json() as { error: { fields: { field: string }[] } }).error.fields.map((f) => f.field)).toContain('id');
    expect((await get(ID)).version).toBe(0);

    // A valid PUT: the next version, on this instance and on the control topic.
    const put = await app.server.inject({ method: 'PUT', url: `/v1/portfolios/${ID}`, headers: auth(), payload: goodBody });
    expect(put.statusCode, put.body).toBe(200);
    expect(put.headers['etag']).toBe('"1"');
    expect(put.json()).toMatchObject({ version: 1, source: 'api', paused: false, config: { id: ID, budget: 2400 } });
    expect(await get(ID)).toMatchObject({ version: 1, config: { budget: 2400 } });
    const controlRecords = () => reader.records.filter((r) => r.topic === t.control).map((r) => ({ key: r.key, ...(JSON.parse(r.value) as { id: string; version: number; paused: boolean; config: { budget: number } }) }));
    const onTopic = await waitFor(controlRecords, (rs) => rs.some((r) => r.id === ID && r.version === 1), 15_000, (rs) => `control topic: ${JSON.stringify(rs.map((r) => [r.id, r.version]))}`);
    expect(onTopic.filter((r) => r.id === ID)).toEqual([expect.objectContaining({ key: ID, id: ID, version: 1, paused: false, format: 'spendflow-control/1', config: expect.objectContaining({ budget: 2400 }) })]);
    // A stale If-Match is a conflict.
    const stale = await app.server.inject({ method: 'PUT', url: `/v1/portfolios/${ID}`, headers: { ...auth(), 'if-match': '"0"' }, payload: goodBody });
    expect(stale.statusCode).toBe(409);

    // Pause: every committed reallocation of the portfolio was decided before it.
    const paused = await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/pause`, headers: auth(), payload: { reason: 'integration test' } });
    expect(paused.statusCode, paused.body).toBe(200);
    expect(paused.json()).toMatchObject({ version: 2, paused: true, pausedReason: 'integration test' });
    await caughtUp();
    const lastBeforePause = Math.max(...versions(ID));
    const otherBeforePause = Math.max(0, ...versions(OTHER));

    // A what-if on the paused portfolio still answers, for a budget and for an allocation. It is
    // a POST and, as docs/api.md says, needs the token like every POST.
    expect((await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/what-if`, payload: { budget: 2400 } })).statusCode).toBe(401);
    const whatIf = await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/what-if`, headers: auth(), payload: { budget: 2400 } });
    expect(whatIf.statusCode, whatIf.body).toBe(200);
    expect(whatIf.json()).toMatchObject({ portfolioId: ID, paused: true, kind: 'budget' });
    const budgets = Object.fromEntries(currentConfig.channels.map((c) => [c.id, Math.max(c.min, 300)]));
    const whatIfAllocation = await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/what-if`, headers: auth(), payload: { budgets } });
    expect(whatIfAllocation.statusCode, whatIfAllocation.body).toBe(200);
    expect(whatIfAllocation.json()).toMatchObject({ paused: true, kind: 'budgets', budgets });
    const badWhatIf = await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/what-if`, headers: auth(), payload: { budget: -1 } });
    expect(badWhatIf.statusCode).toBe(400);
    expect((badWhatIf.json() as { error: { fields: { field: string }[] } }).error.fields.map((f) => f.field)).toContain('budget');

    // While paused: buckets close and the model learns, but nothing is published for it; a
    // reoptimization on request says paused. The other portfolio carries on.
    const reopt = await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/reoptimize`, headers: auth() });
    expect(reopt.statusCode, reopt.body).toBe(200);
    expect(reopt.json()).toMatchObject({ portfolioId: ID, outcome: 'paused' });
    const pausedOutcomes = await metric('spendflow_reoptimizations_total', { outcome: 'paused' });
    const bucketsBefore = await metric('spendflow_buckets_closed_total');
    await stream(5);
    await caughtUp();
    expect(await metric('spendflow_buckets_closed_total')).toBeGreaterThan(bucketsBefore + 4);
    expect(await metric('spendflow_reoptimizations_total', { outcome: 'paused' })).toBeGreaterThan(pausedOutcomes);
    expect(versions(ID).filter((v) => v > lastBeforePause), 'reallocations published while paused').toEqual([]);
    expect(Math.max(0, ...versions(OTHER))).toBeGreaterThan(otherBeforePause);
    const pausedAllocation = (await app.server.inject({ url: `/v1/portfolios/${ID}/allocation` })).json() as { version: number; status: string };
    expect(pausedAllocation).toMatchObject({ version: lastBeforePause, status: 'paused' });

    // Resume: the next buckets publish again, continuing the version line.
    const resumed = await app.server.inject({ method: 'POST', url: `/v1/portfolios/${ID}/resume`, headers: auth() });
    expect(resumed.statusCode, resumed.body).toBe(200);
    expect(resumed.json()).toMatchObject({ version: 3, paused: false, pausedReason: null });
    await stream(4);
    await caughtUp();
    const after = versions(ID).filter((v) => v > lastBeforePause);
    expect(after.length, `versions after resume (all: ${versions(ID).join(',')})`).toBeGreaterThan(0);
    const firstAfter = realloc().filter((e) => e.portfolioId === ID && e.version === after[0]);
    expect(new Set(firstAfter.map((e) => e.previousVersion))).toEqual(new Set([lastBeforePause]));
    // Published under the new budget.
    expect(firstAfter.reduce((s, e) => s + e.budget, 0)).toBeCloseTo(2400, 0);

    // The control topic holds exactly the three accepted changes of the portfolio, nothing refused.
    const finalControl = await waitFor(controlRecords, (rs) => rs.filter((r) => r.id === ID).length >= 3, 15_000, (rs) => JSON.stringify(rs.map((r) => [r.id, r.version])));
    expect(finalControl.filter((r) => r.id === ID).map((r) => [r.version, r.paused, r.config.budget])).toEqual([
      [1, false, 2400],
      [2, true, 2400],
      [3, false, 2400],
    ]);
  });
});
