/**
 * Grafana's provisioning (data sources, board provider) and the boards in grafana/dashboards.
 * The boards may only query what spendflow really exports: Prometheus metric names are taken from
 * a registry that spendflow's own registration filled, InfluxDB measurements, fields and tags from
 * INFLUX_SCHEMA (src/telemetry/influx-points.ts), not from lists kept here.
 * test/integration/dashboards.test.ts runs every query against real servers.
 */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loader.ts';
import { INFLUX_SCHEMA } from '../../../src/telemetry/influx-points.ts';
import { ROOT, readYaml, repoText, type Tree } from './deploy-files.ts';
import { exportedMetrics, seriesIn, unknownNamesIn } from '../../support/exported-metrics.ts';

interface DataSource {
  readonly name: string;
  readonly uid: string;
  readonly type: string;
  readonly url: string;
  readonly isDefault?: boolean;
  readonly jsonData?: Tree;
}

type DataSourceRef = { type?: string; uid?: string };

interface Target {
  readonly refId?: string;
  readonly expr?: string;
  readonly query?: string;
  readonly rawQuery?: boolean;
  readonly datasource?: DataSourceRef;
}

interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: DataSourceRef;
  readonly targets?: readonly Target[];
  readonly panels?: readonly Panel[];
}

interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query?: string;
  readonly datasource?: DataSourceRef;
}

type Board = Tree & { panels: Panel[]; templating?: { list: Variable[] }; time?: { from: string; to: string } };

const dataSources = (): DataSource[] => readYaml('grafana/provisioning/datasources/datasources.yml')['datasources'] as DataSource[];

const boardFiles = readdirSync(`${ROOT}/grafana/dashboards`).filter((f) => f.endsWith('.json')).sort();
const board = (file: string): Board => JSON.parse(repoText(`grafana/dashboards/${file}`)) as Board;
const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
const targetsOf = (file: string) => allPanels(board(file).panels).flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, target: t })));
const influxQueries = (file: string) => targetsOf(file).filter(({ target }) => target.datasource?.uid === 'influxdb');

/** The measurement an InfluxQL statement reads (an optional `"rp".` prefix dropped), and its retention policy. */
function sourceOf(query: string): { rp: string | null; measurement: string } | null {
  const m = /\bFROM\s+(?:"([^"]+)"\.)?"([^"]+)"/i.exec(query);
  return m ? { rp: m[1] ?? null, measurement: m[2] ?? '' } : null;
}

/** The double-quoted identifiers in one clause of an InfluxQL SELECT, aliases (`AS "x"`) left out. */
function identifiers(clause: string): string[] {
  return [...clause.replace(/\bAS\s+"[^"]*"/gi, '').matchAll(/"([^"]+)"/g)].map((m) => m[1] ?? '');
}

/** Fields, filtered names and grouping tags of a SELECT, by clause. */
function clauses(query: string): { select: string[]; where: string[]; groupBy: string[] } {
  const select = /^\s*SELECT\s+(.*?)\s+FROM\s/is.exec(query)?.[1] ?? '';
  const where = /\bWHERE\s+(.*?)(?:\s+GROUP\s+BY\s|\s+ORDER\s+BY\s|\s+LIMIT\s|$)/is.exec(query)?.[1] ?? '';
  const groupBy = /\bGROUP\s+BY\s+(.*?)(?:\s+fill\(|\s+ORDER\s+BY\s|\s+LIMIT\s|$)/is.exec(query)?.[1] ?? '';
  return { select: identifiers(select), where: identifiers(where), groupBy: identifiers(groupBy) };
}

describe('grafana provisioning', () => {
  it('provides Prometheus (the default) and InfluxDB (InfluxQL, database spendflow), each by a fixed uid', () => {
    const file = readYaml('grafana/provisioning/datasources/datasources.yml');
    expect(file['apiVersion']).toBe(1);
    const byUid = new Map(dataSources().map((s) => [s.uid, s]));
    expect(byUid.get('prometheus')).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', isDefault: true });
    expect(byUid.get('influxdb')).toMatchObject({
      type: 'influxdb',
      url: 'http://influxdb:8086',
      jsonData: { version: 'InfluxQL', dbName: loadConfig({ env: {} }).influx.database },
    });
    expect(dataSources().filter((s) => s.isDefault === true)).toHaveLength(1);
    expect(new Set(dataSources().map((s) => s.uid)).size).toBe(dataSources().length);
  });

  it('loads boards from one file provider', () => {
    const file = readYaml('grafana/provisioning/dashboards/dashboards.yml');
    expect(file['apiVersion']).toBe(1);
    const providers = file['providers'] as { type: string; options: { path: string } }[];
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
  });
});

describe('grafana/dashboards', () => {
  it('holds the operations and marketing boards', () => {
    expect(boardFiles).toEqual(expect.arrayContaining(['marketing.json', 'operations.json']));
  });

  it.each(boardFiles)('%s has a unique uid, a title and panels with unique ids', (file) => {
    const b = board(file);
    expect(b['uid']).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(typeof b['title']).toBe('string');
    const panels = allPanels(b.panels);
    expect(panels.length).toBeGreaterThan(0);
    const ids = panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const others = boardFiles.filter((f) => f !== file).map((f) => board(f)['uid']);
    expect(others).not.toContain(b['uid']);
  });

  it.each(boardFiles)('%s: every panel and target names a provisioned data source by uid, and targets have unique refIds', (file) => {
    const provisioned = new Map(dataSources().map((s) => [s.uid, s.type]));
    const check = (ref: DataSourceRef | undefined, what: string) => {
      expect(ref?.uid, `${what} has no data source uid`).toBeDefined();
      expect(provisioned.has(ref?.uid ?? ''), `${what}: data source ${ref?.uid} is not provisioned`).toBe(true);
      expect(ref?.type, what).toBe(provisioned.get(ref?.uid ?? ''));
    };
    for (const p of allPanels(board(file).panels).filter((x) => x.type !== 'row')) {
      check(p.datasource, `panel "${p.title}"`);
      expect((p.targets ?? []).length, `panel "${p.title}" has no query`).toBeGreaterThan(0);
      for (const t of p.targets ?? []) {
        check(t.datasource, `panel "${p.title}" ${t.refId}`);
        expect(t.datasource?.uid, `panel "${p.title}" ${t.refId} mixes data sources`).toBe(p.datasource?.uid);
      }
      const refIds = (p.targets ?? []).map((t) => t.refId);
      expect(new Set(refIds).size, `panel "${p.title}" refIds`).toBe(refIds.length);
    }
    for (const v of board(file).templating?.list ?? []) if (v.type === 'query') check(v.datasource, `variable ${v.name}`);
  });

  it.each(boardFiles)('%s queries only metrics spendflow exports, and rates over $__rate_interval or a fixed window', async (file) => {
    const exported = await exportedMetrics();
    const exprs = targetsOf(file).map(({ target }) => target.expr ?? '').filter((e) => e !== '');
    const series = exprs.flatMap((e) => seriesIn(e).map((s) => s.series));
    expect(series.length).toBeGreaterThan(0);
    expect(exprs.flatMap((e) => unknownNamesIn(e, exported))).toEqual([]);
    for (const e of exprs) {
      for (const m of e.matchAll(/\b(rate|irate)\([^[]*\[([^\]]+)\]/g)) expect(m[2], e).toBe('$__rate_interval');
      for (const m of e.matchAll(/\bincrease\([^[]*\[([^\]]+)\]/g)) expect(m[1], e).toMatch(/^(\$__rate_interval|\d+[mhd])$/);
    }
  });

  it.each(boardFiles)('%s: InfluxQL reads only measurements, fields and tags of INFLUX_SCHEMA, from spendflow\'s retention policy', (file) => {
    const schema = INFLUX_SCHEMA as Readonly<Record<string, { readonly tags: readonly string[]; readonly fields: readonly string[] }>>;
    const rp = loadConfig({ env: {} }).influx.retentionPolicy;
    const queries = [
      ...influxQueries(file).map(({ panel, target }) => ({ what: `panel "${panel.title}" ${target.refId}`, query: target.query ?? '', raw: target.rawQuery })),
      ...(board(file).templating?.list ?? []).filter((v) => v.datasource?.uid === 'influxdb').map((v) => ({ what: `variable ${v.name}`, query: v.query ?? '', raw: true })),
    ];
    for (const { what, query, raw } of queries) {
      expect(raw, `${what} is not a raw InfluxQL query`).toBe(true);
      const source = sourceOf(query);
      const measurement = schema[source?.measurement ?? ''];
      expect(measurement, `${what} reads unknown measurement ${source?.measurement}: ${query}`).toBeDefined();
      if (!measurement) continue;
      const show = /^\s*SHOW\s+TAG\s+VALUES\b.*\bWITH\s+KEY\s*=\s*"([^"]+)"/is.exec(query);
      if (show) {
        expect(measurement.tags, `${what}: ${query}`).toContain(show[1]);
        continue;
      }
      // Grafana queries the database's default policy unless told; spendflow writes to its own,
      // which is not the default when the database existed before (as in docker-compose.yml).
      expect(source?.rp, `${what} must read retention policy "${rp}": ${query}`).toBe(rp);
      const { select, where, groupBy } = clauses(query);
      expect(select.length, `${what} selects no field: ${query}`).toBeGreaterThan(0);
      for (const f of select) expect(measurement.fields, `${what}: ${f} is not a field of ${source?.measurement}`).toContain(f);
      for (const n of where) expect([...measurement.tags, ...measurement.fields], `${what}: ${n} in WHERE`).toContain(n);
      for (const t of groupBy) expect(measurement.tags, `${what}: ${t} in GROUP BY is not a tag`).toContain(t);
      expect(query, what).toContain('$timeFilter');
      if (/GROUP\s+BY\s+time\(/i.test(query)) expect(query, what).toContain('GROUP BY time($__interval)');
    }
  });

  it('the operations board covers ingest, lag, reoptimization, the model, delivery, errors and the process', () => {
    const exprs = targetsOf('operations.json').map(({ target }) => target.expr ?? '').join('\n');
    for (const name of [
      'spendflow_events_consumed_total',
      'spendflow_consumer_lag_records',
      'spendflow_dead_letters_total',
      'spendflow_late_events_total',
      'spendflow_duplicate_events_total',
      'spendflow_reoptimizations_total',
      'spendflow_reoptimization_duration_seconds_bucket',
      'spendflow_optimizer_gap_ratio_bucket',
      'spendflow_reallocations_published_total',
      'spendflow_model_updates_total',
      'spendflow_model_update_duration_seconds_bucket',
      'spendflow_model_rmse_ratio_bucket',
      'spendflow_drift_detections_total',
      'spendflow_guardrail_interventions_total',
      'spendflow_transactions_committed_total',
      'spendflow_transaction_aborts_total',
      'spendflow_bucket_close_to_commit_seconds_bucket',
      'spendflow_state_invalid_total',
      'spendflow_influx_write_failures_total',
      'spendflow_influx_points_dropped_total',
      'spendflow_influx_buffer_points',
      'spendflow_process_cpu_seconds_total',
      'spendflow_process_resident_memory_bytes',
      'spendflow_nodejs_eventloop_lag_p99_seconds',
      'spendflow_nodejs_gc_duration_seconds_sum',
    ]) {
      expect(exprs).toContain(name);
    }
  });

  it('the marketing board picks a portfolio from InfluxDB and filters every InfluxDB query by it', () => {
    const b = board('marketing.json');
    expect(b['uid']).toBe('spendflow-marketing');
    const variable = b.templating?.list.find((v) => v.name === 'portfolio');
    expect(variable).toMatchObject({ type: 'query', datasource: { uid: 'influxdb' }, query: 'SHOW TAG VALUES FROM "portfolio" WITH KEY = "portfolio"' });
    const queries = influxQueries('marketing.json');
    expect(queries.length).toBeGreaterThan(0);
    for (const { panel, target } of queries) expect(target.query, `panel "${panel.title}"`).toContain('"portfolio" =~ /^$portfolio$/');
    for (const { panel, target } of targetsOf('marketing.json').filter((x) => x.target.datasource?.uid === 'prometheus')) {
      expect(target.expr, `panel "${panel.title}"`).toContain('portfolio="$portfolio"');
    }
    const measurements = new Set(queries.map(({ target }) => sourceOf(target.query ?? '')?.measurement));
    expect([...measurements].sort()).toEqual(Object.keys(INFLUX_SCHEMA).sort());
  });

  it("the marketing board's default range covers the compose demo's simulated history (event time)", () => {
    const env = (readYaml('docker-compose.yml')['services'] as Record<string, { environment?: Record<string, string> }>)['spendflow']?.environment ?? {};
    const start = /^-(\d+)([dhm])$/.exec(env['SPENDFLOW_SIMULATOR_START'] ?? '');
    expect(start, 'docker-compose.yml starts the simulator at a relative time such as -7d').not.toBeNull();
    const from = /^now-(\d+)([dhm])$/.exec(board('marketing.json').time?.from ?? '');
    const minutes = (n: string | undefined, unit: string | undefined) => Number(n) * ({ d: 1440, h: 60, m: 1 }[unit ?? 'm'] ?? 1);
    expect(from).not.toBeNull();
    expect(minutes(from?.[1], from?.[2])).toBeGreaterThanOrEqual(minutes(start?.[1], start?.[2]));
    expect(board('marketing.json').time?.to).toBe('now');
  });
});
