/**
 * Every query of every Grafana board, run against real servers fed by a running spendflow: a real
 * InfluxDB (the history spendflow writes) and a real Prometheus (scraping spendflow's /metrics
 * every second), with spendflow in Kafka mode on the shared broker and its simulator on, plus a
 * few broken records so the dead-letter series exist. Each panel target and template variable
 * query must parse and return at least one series with a value: a panel that would show
 * "No data" on a healthy, busy system is the failure this test exists to catch.
 *
 * Template variables are substituted as Grafana would: `$portfolio` by every value the variable's
 * own query returns, `$timeFilter` by a range computed from the data (the simulator runs far
 * ahead of the wall clock, so InfluxDB's event time is not "now"), `$__interval`,
 * `$__rate_interval` and `$__range` by what Grafana derives from the range and scrape interval.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { buildApp, type App } from '../../src/app.ts';
import { loadConfig } from '../../src/config/loader.ts';
import type { Config } from '../../src/config/types.ts';
import { createLogger } from '../../src/log.ts';
import { INFLUX_SCHEMA } from '../../src/telemetry/influx-points.ts';
import { influxQuery, startInfluxDB, type InfluxStatement, type LocalServer } from '../support/influxdb.ts';
import { freePort } from '../support/kafka-broker.ts';
import { deleteTopicsMatching, produceRaw, testTopics, uniqueName, waitFor } from '../support/kafka.ts';
import { REPO } from '../support/processes.ts';
import { metricOf, seriesIn } from '../support/exported-metrics.ts';
import { givenPrometheus, promQueryRange, promRules, promSampleCount, startPrometheus, type PromAnswer, type PromRule } from '../support/prometheus.ts';

const brokers = inject('kafkaBrokers');
const prefix = uniqueName('dashboards');
/** Prometheus scrapes every second (test/support/prometheus.ts), so Grafana's $__rate_interval is 4 s at a 2 s step. */
const SCRAPE_SEC = 1;
const STEP_SEC = 2;

interface Target {
  readonly refId: string;
  readonly expr?: string;
  readonly query?: string;
  readonly datasource?: { uid?: string };
}
interface Panel {
  readonly type: string;
  readonly title?: string;
  readonly datasource?: { uid?: string };
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string;
  readonly datasource?: { uid?: string };
}
interface Board {
  readonly file: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  readonly templating?: { list: readonly Variable[] };
}

const boardsDir = join(REPO, 'grafana/dashboards');
const boards: Board[] = readdirSync(boardsDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({ file, ...(JSON.parse(readFileSync(join(boardsDir, file), 'utf8')) as Omit<Board, 'file'>) }));
const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const variablesOf = (b: Board) => b.templating?.list ?? [];

let influx: LocalServer | undefined;
let prometheus: LocalServer | undefined;
let app: App | undefined;
let config: Config;
let database: string;
/** When Prometheus started scraping: the start of every PromQL range. */
let promStartedAt = Date.now();

beforeAll(async () => {
  influx = await startInfluxDB();
  // A Prometheus of our own scrapes the port we pick; one given by SPENDFLOW_TEST_PROMETHEUS_URL
  // must already scrape 127.0.0.1:SPENDFLOW_TEST_SERVICE_PORT (default 8080).
  const port = givenPrometheus() ? Number(process.env['SPENDFLOW_TEST_SERVICE_PORT'] ?? 8080) : await freePort();
  prometheus = await startPrometheus([`127.0.0.1:${port}`], { ruleFiles: [join(REPO, 'prometheus/alerts.yml')] });
  promStartedAt = Date.now();
  // Our own InfluxDB is empty, so spendflow creates the default database; a shared one gets a
  // database of this run's own (dropped afterwards), so runs cannot see each other's points.
  database = influx.own ? 'spendflow' : prefix.replace(/[^A-Za-z0-9_]/g, '_');
  const portfolios = loadConfig({ overrides: {} }).portfolios.map((p) => p.id);
  config = loadConfig({
    overrides: {
      service: { logLevel: 'warn' },
      state: { dir: null },
      kafka: { brokers: brokers.split(','), groupId: `${prefix}-group`, topics: testTopics(prefix) },
      // A week back, as in docker-compose.yml; at 3600x an hour of event time passes every second.
      simulator: { enabled: 'on', speed: 3600, start: '-7d' },
      influx: { url: influx.url, database, flushIntervalMs: 200 },
      metrics: { portfolios },
    },
  });
  app = await buildApp(config, createLogger('warn'));
  await app.start();
  await app.server.listen({ host: '127.0.0.1', port });
}, 180_000);

afterAll(async () => {
  await app?.stop();
  if (influx && !influx.own) await fetch(`${influx.url}/query?${new URLSearchParams({ q: `DROP DATABASE "${database}"` })}`, { method: 'POST' }).catch(() => {});
  await prometheus?.stop();
  await influx?.stop();
  await deleteTopicsMatching(brokers, prefix);
});

/** Regex-escapes a value the way Grafana does inside an InfluxQL `/.../`. */
const escapeRegex = (v: string) => v.replace(/[\\^$*+?.()|[\]{}/-]/g, '\\$&');

/** A Grafana duration: the largest whole unit. */
function duration(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${Math.max(1, Math.round(ms / 1000))}s`;
}

interface Range {
  readonly fromMs: number;
  readonly toMs: number;
  readonly intervalMs: number;
}

function substitute(query: string, vars: Record<string, string>, range: Range, influxQl: boolean): string {
  const rangeMs = range.toMs - range.fromMs;
  const rateMs = Math.max(range.intervalMs + SCRAPE_SEC * 1000, 4 * SCRAPE_SEC * 1000);
  let q = query
    .replaceAll('$timeFilter', `time >= ${range.fromMs}ms and time <= ${range.toMs}ms`)
    .replaceAll('$__rate_interval', duration(rateMs))
    .replaceAll('$__interval_ms', String(range.intervalMs))
    .replaceAll('$__interval', duration(range.intervalMs))
    .replaceAll('$__range_s', String(Math.round(rangeMs / 1000)))
    .replaceAll('$__range_ms', String(rangeMs))
    .replaceAll('$__range', duration(rangeMs));
  for (const [name, value] of Object.entries(vars)) {
    // Inside an InfluxQL regex literal, Grafana escapes the value; elsewhere it goes in as is.
    if (influxQl) q = q.replace(new RegExp(`/([^/]*)\\$${name}\\b([^/]*)/`, 'g'), (_m, a: string, b: string) => `/${a}${escapeRegex(value)}${b}/`);
    q = q.replace(new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g'), value);
  }
  return q;
}

/** The first value column of InfluxDB's answer that holds a non-null value, or a reason why none does. */
function influxProblem(status: number, error: string | undefined, results: readonly InfluxStatement[]): string | null {
  if (status !== 200 || error) return `HTTP ${status}: ${error ?? ''}`;
  const statementError = results.find((r) => r.error)?.error;
  if (statementError) return statementError;
  const series = results.flatMap((r) => r.series ?? []);
  if (series.length === 0) return 'no series';
  const hasValue = series.some((s) => (s.values ?? []).some((row) => row.some((v, i) => s.columns[i] !== 'time' && v !== null)));
  return hasValue ? null : `${series.length} series, all values null`;
}

function promProblem(answer: PromAnswer): string | null {
  if (answer.status !== 'success') return `${answer.errorType ?? 'error'}: ${answer.error ?? ''}`;
  const series = answer.data?.result ?? [];
  if (series.length === 0) return 'no series';
  const finite = series.some((s) => s.values.some(([, v]) => Number.isFinite(Number(v))));
  return finite ? null : `${series.length} series, no finite value (NaN only)`;
}

const show = (v: unknown) => JSON.stringify(v).slice(0, 600);

/** The time range the InfluxDB points span (event time), with a bucket's margin either side. */
async function influxDataRange(): Promise<Range> {
  const times: number[] = [];
  for (const measurement of Object.keys(INFLUX_SCHEMA)) {
    for (const order of ['ASC', 'DESC']) {
      const res = await influxQuery(influx!.url, database, `SELECT * FROM "${config.influx.retentionPolicy}"."${measurement}" ORDER BY time ${order} LIMIT 1`);
      const t = res.results[0]?.series?.[0]?.values?.[0]?.[0];
      if (typeof t === 'number') times.push(t);
    }
  }
  const margin = config.ingest.bucketMinutes * 60_000;
  const fromMs = Math.min(...times) - margin;
  const toMs = Math.max(...times) + margin;
  // As Grafana: about one point per pixel of a wide panel, in whole minutes here.
  return { fromMs, toMs, intervalMs: Math.max(60_000, Math.round((toMs - fromMs) / 500 / 60_000) * 60_000) };
}

interface Check {
  readonly board: string;
  readonly panel: string;
  readonly refId: string;
  readonly query: string;
  readonly problem: string | null;
}

/** Runs every variable and panel query of every board; returns one check per query run. */
async function runBoards(): Promise<{ checks: Check[]; variables: Record<string, string[]> }> {
  const promRange: Range = { fromMs: promStartedAt, toMs: Date.now(), intervalMs: STEP_SEC * 1000 };
  const influxRange = await influxDataRange();
  const checks: Check[] = [];
  const variables: Record<string, string[]> = {};
  for (const b of boards) {
    // Template variables first: their values feed the panels.
    for (const v of variablesOf(b)) {
      if (v.type !== 'query') continue;
      expect(v.datasource?.uid, `${b.file} variable ${v.name}`).toBe('influxdb');
      const query = substitute(v.query ?? '', {}, influxRange, true);
      const res = await influxQuery(influx!.url, database, query);
      const values = res.results.flatMap((r) => r.series ?? []).flatMap((s) => (s.values ?? []).map((row) => String(row[s.columns.indexOf('value')])));
      variables[v.name] = [...new Set(values)].sort();
      checks.push({ board: b.file, panel: `variable $${v.name}`, refId: '-', query, problem: influxProblem(res.status, res.error, res.results) });
    }
    const names = variablesOf(b).map((v) => v.name);
    const combos: Record<string, string>[] = names.length === 0 ? [{}] : (variables[names[0]!] ?? []).map((value) => ({ [names[0]!]: value }));
    expect(names.length, `${b.file}: this test substitutes at most one template variable`).toBeLessThanOrEqual(1);
    for (const vars of combos) {
      for (const p of allPanels(b.panels)) {
        for (const t of p.targets ?? []) {
          const uid = t.datasource?.uid ?? p.datasource?.uid;
          const at = Object.entries(vars).map(([k, v]) => ` [${k}=${v}]`).join('');
          if (uid === 'prometheus') {
            const query = substitute(t.expr ?? '', vars, promRange, false);
            const answer = await promQueryRange(prometheus!.url, query, promRange.fromMs / 1000, promRange.toMs / 1000, STEP_SEC);
            const problem = promProblem(answer);
            checks.push({ board: b.file, panel: `${p.title}${at}`, refId: t.refId, query, problem: problem && `${problem}; answer ${show(answer)}` });
          } else if (uid === 'influxdb') {
            const query = substitute(t.query ?? '', vars, influxRange, true);
            const res = await influxQuery(influx!.url, database, query);
            const problem = influxProblem(res.status, res.error, res.results);
            checks.push({ board: b.file, panel: `${p.title}${at}`, refId: t.refId, query, problem: problem && `${problem}; answer ${show(res)}` });
          } else {
            checks.push({ board: b.file, panel: `${p.title}${at}`, refId: t.refId, query: '', problem: `unknown data source ${uid}` });
          }
        }
      }
    }
  }
  return { checks, variables };
}

describe('the Grafana boards on real InfluxDB and Prometheus', () => {
  it('every variable and panel query of every board returns data from a running spendflow', async () => {
    const t = config.kafka.topics;
    // Enough for rates and histogram quantiles: buckets closing for a while, scraped many times,
    // and the model predicting (the InfluxDB `bucket` points carry `predicted`).
    const bucketsWithPrediction = async () => {
      const res = await influxQuery(influx!.url, database, `SELECT count("predicted") FROM "${config.influx.retentionPolicy}"."bucket"`);
      return Number(res.results[0]?.series?.[0]?.values?.[0]?.[1] ?? 0);
    };
    await waitFor(
      async () => [await promSampleCount(prometheus!.url, 'spendflow_buckets_closed_total'), await bucketsWithPrediction()] as const,
      ([samples, predicted]) => samples >= 10 && predicted >= 5,
      120_000,
      ([samples, predicted]) => `${samples} samples of spendflow_buckets_closed_total in Prometheus, ${predicted} bucket points with predicted in InfluxDB`,
    );

    // Broken records, so the dead-letter series exist: malformed JSON, an unknown portfolio, and
    // a record far older than the allowed lateness (the event-time watermark is well past it by now).
    const old = new Date(Date.now() - 60 * 86_400_000).toISOString();
    const spend = (eventId: string, portfolioId: string, ts: string) =>
      JSON.stringify({ eventId, portfolioId, channelId: 'search', platform: 'google-ads', ts, amount: 10, currency: 'EUR' });
    await produceRaw(brokers, [
      { topic: t.spend, key: 'demo-shop', value: '{"eventId": "broken", "amount": ' },
      { topic: t.spend, key: 'nobody', value: spend(`${prefix}-stranger`, 'nobody', new Date().toISOString()) },
      { topic: t.spend, key: 'demo-shop', value: spend(`${prefix}-late`, 'demo-shop', old) },
    ]);
    const deadLetters = async () => (await app!.registry.getSingleMetric('spendflow_dead_letters_total')?.get())?.values.reduce((s, v) => s + v.value, 0) ?? 0;
    await waitFor(deadLetters, (n) => n >= 3, 60_000, (n) => `${n} dead letters counted`);

    // Now every query; a query that fails is retried with the rest (data may still be arriving,
    // e.g. a rate needs two scrapes after the dead letters) until all pass or time runs out.
    const startedAt = Date.now();
    let last: Awaited<ReturnType<typeof runBoards>> = { checks: [], variables: {} };
    try {
      await waitFor(
        async () => (last = await runBoards()),
        (r) => r.checks.length > 0 && r.checks.every((c) => c.problem === null),
        60_000,
        () => 'some queries return no data',
      );
    } catch {
      // reported below, query by query
    }
    const failed = last.checks.filter((c) => c.problem !== null).map((c) => `${c.board} / "${c.panel}" ${c.refId}\n  query: ${c.query}\n  answer: ${c.problem}`);
    const passed = last.checks.length - failed.length;
    console.info(`dashboards: ${last.checks.length} queries checked, ${passed} returned data, in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (after ${((startedAt - promStartedAt) / 1000).toFixed(1)} s of data)`);
    expect(failed).toEqual([]);

    // The portfolio variable lists every configured portfolio, and each was checked.
    expect(last.variables['portfolio']).toEqual(config.portfolios.map((p) => p.id).sort());
    const targets = boards.flatMap((b) => allPanels(b.panels).flatMap((p) => p.targets ?? []));
    expect(last.checks.length).toBeGreaterThanOrEqual(targets.length);
  }, 300_000);

  it('every spendflow_* metric a board names is in the running app\'s registry', async () => {
    const metrics = await app!.registry.getMetricsAsJSON();
    const types = new Map(metrics.map((m) => [m.name, { type: String(m.type) }]));
    const named = new Set(boards.flatMap((b) => allPanels(b.panels).flatMap((p) => (p.targets ?? []).flatMap((t) => seriesIn(t.expr ?? '').map((x) => x.series)))));
    expect(named.size).toBeGreaterThan(0);
    expect([...named].filter((name) => metricOf(name, types) === undefined)).toEqual([]);
  });

  it('the alert rules load in real Prometheus, evaluate against the running service without error, and none fires', async () => {
    const expected = [...readFileSync(join(REPO, 'prometheus/alerts.yml'), 'utf8').matchAll(/^\s*- alert: (\S+)/gm)].map((m) => m[1]);
    expect(expected.length).toBeGreaterThanOrEqual(10);
    // Evaluated every second once loaded; wait for a round after the service has been scraped.
    const since = Date.now();
    const rules = await waitFor(
      () => promRules(prometheus!.url),
      (rs) => rs.length === expected.length && rs.every((r) => Date.parse(r.lastEvaluation) > since),
      30_000,
      (rs) =>
        rs.length === 0
          ? `Prometheus at ${prometheus!.url} has no rules loaded${givenPrometheus() ? ' (a given Prometheus must load prometheus/alerts.yml)' : ''}`
          : `rules: ${rs.map((r) => `${r.name} ${r.lastEvaluation}`).join(', ')}`,
    );
    expect(rules.map((r) => r.name).sort()).toEqual([...expected].sort());
    const unhealthy = rules.filter((r: PromRule) => r.health !== 'ok').map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`);
    expect(unhealthy).toEqual([]);
    const firing = rules.flatMap((r) => (r.alerts ?? []).filter((a) => a.state === 'firing').map((a) => `${r.name} ${JSON.stringify(a.labels)}`));
    expect(firing).toEqual([]);
  }, 60_000);

  it('spendflow created its InfluxDB database and retention policy', async () => {
    const dbs = await influxQuery(influx!.url, database, 'SHOW DATABASES');
    expect(dbs.results[0]?.series?.[0]?.values?.map((row) => row[0])).toContain(database);
    const policies = await influxQuery(influx!.url, database, `SHOW RETENTION POLICIES ON "${database}"`);
    const series = policies.results[0]?.series?.[0];
    const rows = (series?.values ?? []).map((row) => Object.fromEntries((series?.columns ?? []).map((c, i) => [c, row[i]])));
    const ours = rows.find((r) => r['name'] === config.influx.retentionPolicy);
    expect(ours, show(policies)).toBeDefined();
    // 30d as InfluxDB spells it; the default policy of the database spendflow created.
    expect(ours?.['duration']).toBe('720h0m0s');
    if (influx!.own) expect(ours?.['default']).toBe(true);
  });
});
