/**
 * The InfluxDB adapter of HistoryTarget against a real influxd (Debian's 1.6, started on free
 * loopback ports by test/support/influxdb.ts, or SPENDFLOW_TEST_INFLUX_URL): the shared contract
 * the in-memory fake also keeps, the database and retention policy prepare() creates, and a
 * HistoryWriter that rides out InfluxDB being down. Each test has its own database, dropped after.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loader.ts';
import { HistoryWriter } from '../../src/telemetry/history-writer.ts';
import type { HistoryPoint } from '../../src/telemetry/influx-points.ts';
import { InfluxTarget } from '../../src/telemetry/influx-target.ts';
import { recordingStats } from '../support/fake-history-target.ts';
import { describeHistoryTargetContract, type ReadPoint } from '../support/history-target-contract.ts';
import { influxQuery, startInfluxDB, type LocalServer } from '../support/influxdb.ts';
import { uniqueName, waitFor } from '../support/kafka.ts';
import { freePort } from '../support/kafka-broker.ts';

let influx: LocalServer | null = null;
beforeAll(async () => {
  influx = await startInfluxDB();
});
afterAll(async () => {
  await influx?.stop();
});
const server = () => {
  if (!influx) throw new Error('influxd did not start');
  return influx;
};

/** Database names allow only [A-Za-z0-9_-]. */
const databaseName = () => uniqueName('history').replace(/[^A-Za-z0-9_-]/g, '_');

function targetFor(url: string, database: string, influxOverrides: Record<string, unknown> = {}) {
  const config = loadConfig({ overrides: { influx: { url, database, ...influxOverrides } } });
  return { config, target: new InfluxTarget({ ...config.influx, url }) };
}

/** An InfluxQL statement that changes something (POST), failing on an error answer. */
async function command(q: string): Promise<void> {
  const res = await fetch(`${server().url}/query?${new URLSearchParams({ q }).toString()}`, { method: 'POST', signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as { error?: string; results?: { error?: string }[] };
  const error = body.error ?? body.results?.find((r) => r.error)?.error;
  if (!res.ok || error) throw new Error(`${q}: HTTP ${res.status} ${error ?? ''}`);
}

/** Every point of a measurement in the database's policy, tags and fields apart (GROUP BY *). */
async function readPoints(database: string, policy: string, measurement: string): Promise<ReadPoint[]> {
  const res = await influxQuery(server().url, database, `SELECT * FROM "${database}"."${policy}"."${measurement}" GROUP BY *`);
  const statement = res.results[0];
  if (res.error || statement?.error) throw new Error(`reading ${measurement}: ${res.error ?? statement?.error}`);
  const out: ReadPoint[] = [];
  for (const series of statement?.series ?? []) {
    // GROUP BY * names every tag key of the measurement; "" is a key this series does not have.
    const tags = Object.fromEntries(Object.entries(series.tags ?? {}).filter(([, v]) => v !== ''));
    for (const row of series.values ?? []) {
      const fields: Record<string, number | string> = {};
      series.columns.forEach((column, i) => {
        const v = row[i];
        if (i > 0 && (typeof v === 'number' || typeof v === 'string')) fields[column] = v;
      });
      out.push({ time: row[0] as number, tags, fields });
    }
  }
  return out;
}

async function policies(database: string) {
  const res = await influxQuery(server().url, database, `SHOW RETENTION POLICIES ON "${database}"`);
  const series = res.results[0]?.series?.[0];
  if (!series) throw new Error(`no retention policies on ${database}: ${JSON.stringify(res)}`);
  return (series.values ?? []).map((row) => Object.fromEntries(series.columns.map((c, i) => [c, row[i]])) as { name: string; duration: string; default: boolean });
}

async function databases(): Promise<string[]> {
  const res = await influxQuery(server().url, '', 'SHOW DATABASES');
  return (res.results[0]?.series?.[0]?.values ?? []).map((row) => String(row[0]));
}

describeHistoryTargetContract('InfluxTarget on a real influxd', async () => {
  const database = databaseName();
  const { config, target } = targetFor(server().url, database);
  return {
    target,
    read: (measurement) => readPoints(database, config.influx.retentionPolicy, measurement),
    cleanup: () => command(`DROP DATABASE "${database}"`),
  };
});

describe('InfluxTarget.prepare', () => {
  const created: string[] = [];
  afterEach(async () => {
    for (const db of created.splice(0)) await command(`DROP DATABASE "${db}"`);
  });
  const fresh = () => {
    const db = databaseName();
    created.push(db);
    return db;
  };

  it('creates the database and the retention policy (30d = 720h0m0s), as the default of a new database', async () => {
    const database = fresh();
    const { target } = targetFor(server().url, database);
    expect(await databases()).not.toContain(database);
    await target.prepare();
    expect(await databases()).toContain(database);
    const spendflow = (await policies(database)).find((p) => p.name === 'spendflow');
    expect(spendflow).toMatchObject({ duration: '720h0m0s', default: true });
    await target.prepare();
    expect((await policies(database)).filter((p) => p.name === 'spendflow')).toHaveLength(1);
  });

  it('adds the policy to an existing database as its default, and leaves an existing policy as it is', async () => {
    const existing = fresh();
    await command(`CREATE DATABASE "${existing}"`);
    await targetFor(server().url, existing, { retentionDuration: '12w' }).target.prepare();
    expect((await policies(existing)).map((p) => [p.name, p.duration, p.default])).toEqual([
      ['autogen', '0s', false],
      ['spendflow', '2016h0m0s', true],
    ]);

    const tuned = fresh();
    await command(`CREATE DATABASE "${tuned}"`);
    await command(`CREATE RETENTION POLICY "spendflow" ON "${tuned}" DURATION 2d REPLICATION 1`);
    await targetFor(server().url, tuned).target.prepare();
    expect((await policies(tuned)).map((p) => [p.name, p.duration, p.default])).toEqual([
      ['autogen', '0s', true],
      ['spendflow', '48h0m0s', false],
    ]);
  });
});

/** A TCP port that refuses connections until `open()`, then forwards to `to` (InfluxDB "coming up" on it). */
async function laterPort(to: URL): Promise<{ port: number; open(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let listening: Server | null = null;
  return {
    port,
    open: () =>
      new Promise((resolve, reject) => {
        const proxy = createServer((client) => {
          const upstream = connect(Number(to.port), to.hostname);
          for (const s of [client, upstream]) {
            sockets.add(s);
            s.on('close', () => sockets.delete(s));
            s.on('error', () => {
              client.destroy();
              upstream.destroy();
            });
          }
          client.pipe(upstream).pipe(client);
        });
        proxy.once('error', reject);
        proxy.listen(port, '127.0.0.1', () => resolve());
        listening = proxy;
      }),
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        if (listening) listening.close(() => resolve());
        else resolve();
      }),
  };
}

describe('HistoryWriter on an InfluxTarget while InfluxDB is down', () => {
  it('buffers within its bound, counts failures and dropped points, and delivers the buffer once InfluxDB is up', async () => {
    const later = await laterPort(new URL(server().url));
    const database = databaseName();
    const { config, target } = targetFor(`http://127.0.0.1:${later.port}`, database);
    const { counts, stats } = recordingStats();
    const writer = new HistoryWriter({ target, batchSize: 10, flushIntervalMs: 20, maxBufferPoints: 50, maxRetries: 1_000, stats, initialBackoffMs: 10, maxBackoffMs: 50 });
    const base = Math.floor(Date.now() / 3_600_000) * 3_600_000 - 2 * 3_600_000;
    const points: HistoryPoint[] = Array.from({ length: 80 }, (_, i) => ({ measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: i, spend: 1 }, timestamp: base + i * 60_000 }));
    try {
      writer.start();
      for (let chunk = 0; chunk < 8; chunk++) {
        const failedBefore = counts.failed;
        expect(() => writer.add(points.slice(chunk * 10, chunk * 10 + 10))).not.toThrow();
        expect(writer.pending()).toBeLessThanOrEqual(50);
        await waitFor(() => counts.failed, (n) => n > failedBefore, 10_000, (n) => `${n} failed writes`);
      }
      expect(writer.pending()).toBe(50);
      expect(counts).toMatchObject({ written: 0, buffered: 50, dropped: { buffer_full: 30 } });
      expect(counts.maxBuffered).toBeLessThanOrEqual(50);
      expect(await databases()).not.toContain(database);

      await later.open();
      await waitFor(() => counts.written, (n) => n === 50, 30_000, (n) => `${n} points written`);
      expect(writer.pending()).toBe(0);
      expect(counts.buffered).toBe(0);
      expect(counts.dropped).toEqual({ buffer_full: 30 });
      // prepare() ran again once the server answered: the database and policy exist, and hold the points.
      expect((await policies(database)).find((p) => p.name === 'spendflow')).toMatchObject({ duration: '720h0m0s', default: true });
      const stored = await readPoints(database, config.influx.retentionPolicy, 'bucket');
      expect(stored).toHaveLength(50);
      const revenues = stored.map((p) => p.fields['revenue'] as number);
      expect(new Set(revenues).size).toBe(50);
      // Room is made at the old end: the last chunk added survived whole.
      for (let i = 70; i < 80; i++) expect(revenues).toContain(i);
      for (const p of stored) expect(p).toEqual({ time: points[p.fields['revenue'] as number]!.timestamp, tags: { portfolio: 'p' }, fields: { revenue: p.fields['revenue'], spend: 1 } });
    } finally {
      await writer.stop(1_000);
      await later.close();
      await command(`DROP DATABASE "${database}"`).catch(() => {});
    }
  });
});
