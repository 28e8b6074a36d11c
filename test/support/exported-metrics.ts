/**
 * What spendflow really exports, for the tests of files that name its metrics (Grafana boards,
 * Prometheus alert rules): a registry filled by spendflow's own registration, read back with each
 * metric's type, label names and the label values it already has series for (the zero-initialised
 * ones, such as every `result` of spendflow_events_consumed_total).
 */
import { Registry } from 'prom-client';
import { SignalBus } from '../../src/pipeline/signals.ts';
import { registerHistoryMetrics, registerPipelineMetrics } from '../../src/telemetry/metrics.ts';

export interface ExportedMetric {
  readonly type: string;
  readonly labelNames: readonly string[];
  /** label → the values series exist for at start; empty for labels filled only at run time. */
  readonly labelValues: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Every metric spendflow exports, process metrics included, by name. */
export async function exportedMetrics(): Promise<Map<string, ExportedMetric>> {
  const registry = new Registry();
  const stop = registerPipelineMetrics(registry, new SignalBus(), { portfolios: ['demo-shop'] });
  registerHistoryMetrics(registry);
  const labelNames = new Map(registry.getMetricsAsArray().map((m) => [m.name, (m as unknown as { labelNames?: string[] }).labelNames ?? []]));
  const out = new Map<string, ExportedMetric>();
  for (const m of await registry.getMetricsAsJSON()) {
    const values = new Map<string, Set<string>>();
    for (const v of m.values) {
      for (const [label, value] of Object.entries(v.labels)) {
        if (label === 'le' || label === 'quantile') continue;
        let set = values.get(label);
        if (!set) values.set(label, (set = new Set()));
        set.add(String(value));
      }
    }
    out.set(m.name, { type: String(m.type), labelNames: labelNames.get(m.name) ?? [], labelValues: values });
  }
  stop();
  return out;
}

/** A series name in a PromQL expression → the metric it belongs to (histograms' _bucket, _sum and _count included), or undefined. */
export function metricOf(series: string, exported: ReadonlyMap<string, { readonly type: string }>): string | undefined {
  if (exported.has(series)) return series;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m?.[1];
  const type = base === undefined ? undefined : exported.get(base)?.type;
  return type === 'histogram' || type === 'summary' ? base : undefined;
}

/** The spendflow_* series a PromQL expression reads, each with the label matchers written after it. */
export function seriesIn(expr: string): { series: string; matchers: { label: string; op: string; value: string }[] }[] {
  return [...expr.matchAll(/\b(spendflow_[a-z0-9_]+)(\{([^}]*)\})?/g)].map((m) => ({
    series: m[1] ?? '',
    matchers: [...(m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)"/g)].map((x) => ({ label: x[1] ?? '', op: x[2] ?? '', value: x[3] ?? '' })),
  }));
}

/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = new Set(['instance', 'job']);

/**
 * What a PromQL expression gets wrong about spendflow's metrics, one message each: a series
 * spendflow does not export, a label its metric does not have, or a label value no series of it
 * can carry (checked for labels whose values exist at start; `$variables` and patterns are left alone).
 */
export function unknownNamesIn(expr: string, exported: ReadonlyMap<string, ExportedMetric>): string[] {
  const problems: string[] = [];
  for (const { series, matchers } of seriesIn(expr)) {
    const name = metricOf(series, exported);
    const metric = name === undefined ? undefined : exported.get(name);
    if (!metric) {
      problems.push(`${series} is not exported by spendflow`);
      continue;
    }
    for (const { label, op, value } of matchers) {
      if (TARGET_LABELS.has(label) || (label === 'le' && series.endsWith('_bucket'))) continue;
      if (!metric.labelNames.includes(label)) {
        problems.push(`${series} has no label ${label}`);
        continue;
      }
      const known = metric.labelValues.get(label);
      if (!known || known.size === 0 || value.includes('$') || op.startsWith('!')) continue;
      const wanted = op === '=~' ? value.split('|') : [value];
      for (const v of wanted) if (/^[\w-]+$/.test(v) && !known.has(v)) problems.push(`${series}{${label}="${v}"} never exists (known: ${[...known].join(', ')})`);
    }
  }
  return problems;
}
