/**
 * Broker restart mid-stream (issue 5): spendflow in process, in Kafka mode, against a broker of
 * this test's own (test/support/kafka-broker.ts, not the shared one). While simulated spend and
 * sales stream in, the broker is stopped with SIGTERM for several seconds and started again on
 * the same port and data directory. The service is not restarted: it must recover by itself and
 * lose nothing. Afterwards every produced event is accounted for in /metrics (accepted once,
 * duplicates ignored, nothing late or invalid), and a fresh read_committed consumer sees
 * reallocations that went on after the restart, with an unbroken previousVersion chain per
 * portfolio and exactly one set of channel events per version.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import kafkajs, { type Producer } from 'kafkajs';
import { buildApp, buildMarket, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import type { Config } from '../../src/config/types.ts';
import type { ReallocationEvent } from '../../src/events/types.ts';
import { createLogger } from '../../src/log.ts';
import { builtInScenario } from '../../src/sim/scenarios.ts';
import { createPrivateBroker, type PrivateBroker } from '../support/kafka-broker.ts';
import { collectTopics, testTopics, uniqueName, waitFor } from '../support/kafka.ts';
import { checkReallocations } from '../support/reallocations.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;
const prefix = uniqueName('restart');
const HOUR = 3_600_000;
// How long the broker stays down (SPENDFLOW_TEST_OUTAGE_MS overrides, e.g. to try one longer than ingest.idleStreamSeconds).
const OUTAGE_MS = Number(process.env['SPENDFLOW_TEST_OUTAGE_MS'] ?? 7_000);
const SESSION_MS = 6_000;

let broker: PrivateBroker;
let config: Config;
let app: App;
let brokers: string;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  broker = await createPrivateBroker();
  await broker.start();
  brokers = broker.brokers;
  config = loadConfig({
    overrides: {
      service: { logLevel: 'warn' },
      kafka: {
        brokers: [brokers],
        groupId: `${prefix}-group`,
        topics: testTopics(prefix),
        // The broker's minimum; shorter than the outage, so /ready must notice it.
        sessionTimeoutMs: SESSION_MS,
      },
      simulator: { enabled: 'off' },
    },
  });
  app = await buildApp(config, createLogger(process.env['SPENDFLOW_TEST_LOG'] === '1' ? 'info' : 'error'));
  await app.start();
}, 120_000);

afterAll(async () => {
  // The app first (it talks to the broker), then the broker and its directory.
  const t = Date.now();
  await Promise.race([app?.stop(), sleep(30_000)]);
  console.info(`broker-restart: app.stop() took ${Date.now() - t} ms`);
  await broker?.destroy();
});

describe('a broker restart mid-stream', () => {
  it('recovers by itself and loses nothing: every event counted once, reallocations carry on without gaps or duplicates', { timeout: 120_000 }, async () => {
    const t = config.kafka.topics;
    const platforms = [...new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)))];
    const reallocationTopics = platforms.map((p) => `${t.reallocationsPrefix}${p}`);
    const metrics = async () => (await app.server.inject({ url: '/metrics' })).body;
    const metric = async (name: string, labels: Record<string, string> = {}) =>
      (await metrics())
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
        .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
        .reduce((s, l) => s + Number(l.split(' ').pop()), 0);
    await waitFor(async () => (await app.server.inject({ url: '/ready' })).statusCode, (s) => s === 200, 30_000, (s) => `/ready ${s}`);

    // A producer that retries through the outage (idempotent, so its own retries add nothing;
    // a send that fails for good is sent again, which may add duplicates the service must drop).
    const kafka = new Kafka({ clientId: `${prefix}-producer`, brokers: [brokers], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 2_000 } });
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();

    const market = buildMarket(config, builtInScenario('demo'), Math.floor(Date.now() / HOUR) * HOUR - 48 * HOUR);
    const eventIds = new Set<string>();
    let sendFailures = 0;
    let producing = true;
    let ticks = 0;
    const stream = (async () => {
      while (producing) {
        const records = market.step();
        for (const r of records) eventIds.add(r.value.eventId);
        const topicMessages = [
          { topic: t.spend, messages: records.filter((r) => r.topic === 'spend').map((r) => ({ key: r.key, value: JSON.stringify(r.value) })) },
          { topic: t.sales, messages: records.filter((r) => r.topic === 'sales').map((r) => ({ key: r.key, value: JSON.stringify(r.value) })) },
        ];
        for (;;) {
          try {
            await producer.sendBatch({ acks: -1, topicMessages });
            break;
          } catch {
            sendFailures++;
            await sleep(500);
          }
        }
        ticks++;
        await sleep(60);
      }
    })();

    // Stream until reallocations are flowing, then note what was read before the outage.
    await waitFor(() => metric('spendflow_reallocations_published_total'), (n) => n >= 3 * 7, 40_000, (n) => `reallocation events published before the outage: ${n}`);
    const live = await collectTopics(brokers, reallocationTopics);
    const publishedBefore = await metric('spendflow_reallocations_published_total');
    await waitFor(() => live.records.length, (n) => n >= publishedBefore, 15_000, (n) => `read ${n} of ${publishedBefore} before the outage`);
    const versionsBefore = new Map<string, number>();
    for (const r of live.records) {
      const e = JSON.parse(r.value) as ReallocationEvent;
      versionsBefore.set(e.portfolioId, Math.max(versionsBefore.get(e.portfolioId) ?? 0, e.version));
    }
    await live.close();
    const ticksBefore = ticks;

    // The outage: a controlled shutdown (SIGTERM), a pause, and the same broker started again.
    const stopAt = Date.now();
    const code = await broker.stop('SIGTERM');
    const stoppedMs = Date.now() - stopAt;
    const healthDuringOutage = (await app.server.inject({ url: '/health' })).statusCode;
    // /ready is polled through the outage: it must turn 503 once the coordinator has been
    // silent for a session timeout (what an orchestrator's readiness probe would see).
    const readyDuring: number[] = [];
    while (Date.now() - stopAt < stoppedMs + OUTAGE_MS) {
      readyDuring.push((await app.server.inject({ url: '/ready' })).statusCode);
      await sleep(200);
    }
    const readyDuringOutage = readyDuring.includes(503) ? 503 : 200;
    const restartAt = Date.now();
    await broker.start();
    const restartMs = Date.now() - restartAt;
    const backAt = Date.now();
    const consumedAtRestart = await metric('spendflow_events_consumed_total');
    let resumedMs = -1;
    void waitFor(() => metric('spendflow_events_consumed_total'), (n) => n > consumedAtRestart, 60_000, () => '').then(() => (resumedMs = Date.now() - backAt), () => {});

    // The control plane follows the control topic through the outage too: a record another
    // instance (or an operator's tool) writes right after the restart must be applied here.
    const controlled = config.portfolios[0]!.id;
    const entry = app.control.get(controlled)!;
    const record = { format: 'spendflow-control/1', id: controlled, version: entry.version + 1, config: entry.config, paused: false, pausedReason: null, updatedAt: new Date().toISOString() };
    await producer.send({ topic: t.control, acks: -1, messages: [{ key: controlled, value: JSON.stringify(record) }] });
    const controlWrittenAt = Date.now();
    let controlMs = -1;
    const controlApplied = waitFor(() => app.control.get(controlled)!.version, (v) => v === record.version, 15_000, (v) => `control record v${record.version} written after the restart not applied (still v${v})`).then(() => (controlMs = Date.now() - controlWrittenAt));

    // Keep streaming a while after the restart, then stop and let the service catch up.
    await waitFor(() => ticks, (n) => n >= ticksBefore + 120, 60_000, (n) => `ticks produced after the restart: ${n - ticksBefore}`);
    producing = false;
    await stream;
    await producer.disconnect();
    await controlApplied;
    const recoveredAt = Date.now();

    // Every record on the input topics consumed: the topics' end offsets (no transactions
    // upstream, so offsets count records) against the service's consumed counters.
    const admin = kafka.admin();
    await admin.connect();
    let onTopics = 0;
    for (const topic of [t.spend, t.sales]) for (const o of await admin.fetchTopicOffsets(topic)) onTopics += Number(o.high) - Number(o.low);
    await admin.disconnect();
    const counts = async () => ({
      accepted: await metric('spendflow_events_consumed_total', { result: 'accepted' }),
      duplicate: await metric('spendflow_events_consumed_total', { result: 'duplicate' }),
      late: await metric('spendflow_events_consumed_total', { result: 'late' }),
      invalid: await metric('spendflow_events_consumed_total', { result: 'invalid' }),
    });
    const final = await waitFor(
      counts,
      (c) => c.accepted + c.duplicate + c.late + c.invalid >= onTopics,
      45_000,
      (c) => `consumed ${JSON.stringify(c)} of ${onTopics} records on the input topics (${eventIds.size} distinct events)`,
    );
    const caughtUpMs = Date.now() - recoveredAt;
    expect(final.accepted + final.duplicate + final.late + final.invalid).toBe(onTopics);
    if (final.late + final.invalid > 0) {
      // Say which: the dead letters name the records and why.
      const dlq = await collectTopics(brokers, [t.dlq]);
      await waitFor(() => dlq.records.length, (n) => n >= final.late + final.invalid, 15_000, (n) => `read ${n} dead letters`).catch(() => {});
      await dlq.close();
      const summary = new Map<string, number>();
      for (const r of dlq.records) {
        const l = JSON.parse(r.value) as { reason: string; error: string; source: { topic: string; partition?: number }; payload: string };
        const e = JSON.parse(l.payload) as { portfolioId?: string; ts?: string };
        const k = `${l.reason} ${l.source.topic.slice(prefix.length)}/${l.source.partition} ${e.portfolioId} ts ${e.ts?.slice(0, 13)}: ${l.error.slice(0, 110)}`;
        summary.set(k, (summary.get(k) ?? 0) + 1);
      }
      console.error(`broker-restart: dead letters\n${[...summary].map(([k, n]) => `${n} × ${k}`).join('\n')}`);
    }
    expect(final.late, 'late events are lost to the model').toBe(0);
    expect(final.invalid).toBe(0);
    expect(final.accepted, 'every distinct event accepted exactly once').toBe(eventIds.size);
    expect(final.duplicate).toBe(onTopics - eventIds.size);
    expect(await metric('spendflow_dead_letters_total')).toBe(0);

    if (stoppedMs + OUTAGE_MS > SESSION_MS + 1_000) expect(readyDuringOutage, `/ready during the outage: ${readyDuring.join(',')}`).toBe(503);

    // Healthy again without a restart of the app.
    expect((await app.server.inject({ url: '/health' })).statusCode).toBe(200);
    const ready = await app.server.inject({ url: '/ready' });
    expect(ready.statusCode, ready.body).toBe(200);

    // The committed reallocations, read afresh (read_committed) until nothing more arrives.
    const reader = await collectTopics(brokers, [...reallocationTopics, t.dlq]);
    await waitFor(
      async () => {
        const n = reader.records.length;
        await sleep(2_000);
        return [n, reader.records.length, await metric('spendflow_reallocations_published_total')] as const;
      },
      ([a, b, published]) => a === b && b >= published,
      30_000,
      ([a, b, published]) => `reallocation reader: ${a} → ${b} records, ${published} published`,
    );
    await reader.close();
    expect(reader.records.filter((r) => r.topic === t.dlq)).toEqual([]);
    const events = reader.records.map((r) => JSON.parse(r.value) as ReallocationEvent);
    const problems: string[] = [];
    for (const p of config.portfolios) {
      const mine = events.filter((e) => e.portfolioId === p.id);
      const byVersion = new Map<number, ReallocationEvent[]>();
      for (const e of mine) byVersion.set(e.version, [...(byVersion.get(e.version) ?? []), e]);
      const versions = [...byVersion.keys()].sort((a, b) => a - b);
      let previous = 0;
      for (const v of versions) {
        const group = byVersion.get(v)!;
        const channels = group.map((e) => e.channelId).sort();
        if (group.length !== p.channels.length || new Set(channels).size !== p.channels.length) problems.push(`${p.id} v${v}: ${group.length} events (${channels.join(',')}) for ${p.channels.length} channels`);
        const prevs = new Set(group.map((e) => e.previousVersion));
        if (prevs.size !== 1 || !prevs.has(previous)) problems.push(`${p.id} v${v}: previousVersion ${[...prevs].join('/')}, expected ${previous}`);
        previous = v;
      }
      const after = versions.filter((v) => v > (versionsBefore.get(p.id) ?? 0));
      if (after.length < 2) problems.push(`${p.id}: only ${after.length} version(s) after the restart (last before: ${versionsBefore.get(p.id)}, all: ${versions.join(',')})`);
    }
    expect(problems).toEqual([]);
    expect(checkReallocations(config, events).problems).toEqual([]);
    expect(await metric('spendflow_reallocations_published_total')).toBeLessThanOrEqual(events.length);
    const allocation = (await app.server.inject({ url: `/v1/portfolios/${config.portfolios[0]!.id}/allocation` })).json() as { version: number };
    expect(allocation.version).toBe(Math.max(...events.filter((e) => e.portfolioId === config.portfolios[0]!.id).map((e) => e.version)));

    const aborts = await metric('spendflow_transaction_aborts_total');
    const restores = await metric('spendflow_state_restores_total');
    console.info(
      `broker-restart: broker exit ${code} after ${stoppedMs} ms (SIGTERM), down ${OUTAGE_MS} ms, restarted in ${restartMs} ms; /health during the outage ${healthDuringOutage}, /ready ${readyDuringOutage}; ` +
        `consuming again ${resumedMs} ms after the broker was back; a control record written then applied after ${controlMs} ms; ` +
        `${eventIds.size} events, ${onTopics} records on topics, ${sendFailures} failed sends retried; ${final.duplicate} duplicates; caught up ${caughtUpMs} ms after the stream ended; ` +
        `${events.length} reallocation events; aborts ${aborts}, restores ${restores}`,
    );
  });
});
