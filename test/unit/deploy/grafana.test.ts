/**
 * Grafana's provisioning (data sources, board provider) and the boards in grafana/dashboards.
 * The boards may only query metrics spendflow really exports: the names are taken from a registry
 * that registerPipelineMetrics filled, not from a list kept here.
 */
import { readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SignalBus } from '../../../src/pipeline/signals.ts';
import { registerPipelineMetrics } from '../../../src/telemetry/metrics.ts';
import { ROOT, readYaml, repoText, type Tree } from './deploy-files.ts';

interface DataSource {
  readonly name: string;
  readonly uid: string;
  readonly type: string;
  readonly url: string;
  readonly isDefault?: boolean;
  readonly jsonData?: Tree;
}

interface Panel {
  readonly id?: number;
  readonly type: string;
  readonly title?: string;
  readonly datasource?: { type?: string; uid?: string };
  readonly targets?: readonly { refId?: string; expr?: string; query?: string; datasource?: { type?: string; uid?: string } }[];
  readonly panels?: readonly Panel[];
}

const dataSources = (): DataSource[] => readYaml('grafana/provisioning/datasources/datasources.yml')['datasources'] as DataSource[];

const boardFiles = readdirSync(`${ROOT}/grafana/dashboards`).filter((f) => f.endsWith('.json')).sort();
const board = (file: string): Tree & { panels: Panel[] } => JSON.parse(repoText(`grafana/dashboards/${file}`)) as Tree & { panels: Panel[] };
const allPanels = (panels: readonly Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Every metric spendflow exports, with its type, from a freshly filled registry. */
function exportedMetrics(): Map<string, string> {
  const registry = new Registry();
  const stop = registerPipelineMetrics(registry, new SignalBus());
  const metrics = new Map(registry.getMetricsAsArray().map((m) => [m.name, String((m as unknown as { type: string }).type)]));
  stop();
  return metrics;
}

/** A series name in a PromQL expression → the metric it belongs to, or undefined if none. */
function metricOf(series: string, exported: ReadonlyMap<string, string>): string | undefined {
  if (exported.has(series)) return series;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m?.[1];
  return base !== undefined && (exported.get(base) === 'histogram' || exported.get(base) === 'summary') ? base : undefined;
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
      jsonData: { version: 'InfluxQL', dbName: 'spendflow' },
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
  it('holds at least the operations board', () => {
    expect(boardFiles).toContain('operations.json');
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

  it.each(boardFiles)('%s queries only provisioned data sources', (file) => {
    const provisioned = new Map(dataSources().map((s) => [s.uid, s.type]));
    const refs = allPanels(board(file).panels).flatMap((p) => [p.datasource, ...(p.targets ?? []).map((t) => t.datasource)]);
    for (const ref of refs) {
      if (ref === undefined) continue;
      expect(provisioned.has(ref.uid ?? ''), `data source ${ref.uid}`).toBe(true);
      expect(ref.type).toBe(provisioned.get(ref.uid ?? ''));
    }
  });

  it.each(boardFiles)('%s queries only metrics spendflow exports', (file) => {
    const exported = exportedMetrics();
    const exprs = allPanels(board(file).panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    const series = exprs.flatMap((e) => [...e.matchAll(/\bspendflow_[a-z0-9_]+/g)].map((m) => m[0]));
    expect(series.length).toBeGreaterThan(0);
    for (const s of series) expect(metricOf(s, exported), `${s} is not exported by spendflow`).toBeDefined();
  });

  it('the operations board covers ingest, reoptimization and the process', () => {
    const exprs = allPanels(board('operations.json').panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? '')).join('\n');
    for (const name of [
      'spendflow_events_consumed_total',
      'spendflow_dead_letters_total',
      'spendflow_reoptimizations_total',
      'spendflow_reoptimization_duration_seconds_bucket',
      'spendflow_reallocations_published_total',
      'spendflow_model_updates_total',
      'spendflow_process_resident_memory_bytes',
    ]) {
      expect(exprs).toContain(name);
    }
  });
});
