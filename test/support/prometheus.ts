/**
 * A real Prometheus for tests, without Docker, scraping a service under test every second. Debian's
 * `prometheus` (2.42) is started on a free loopback port with a temporary TSDB directory and a
 * generated config, and stopped by PID afterwards; a missing binary is an error, never a skip.
 *
 * SPENDFLOW_TEST_PROMETHEUS_URL points at one already running instead; that Prometheus must then
 * scrape the service itself, so a test using it has to listen where it scrapes (see the test).
 * Without the variable, a private one is always started: it is the only way to be sure what it
 * scrapes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './kafka-broker.ts';
import { externalServer, findBinary, startLocalServer, type LocalServer } from './influxdb.ts';

/** The Prometheus named by SPENDFLOW_TEST_PROMETHEUS_URL, or undefined. */
export function givenPrometheus(): string | undefined {
  return process.env['SPENDFLOW_TEST_PROMETHEUS_URL'] || undefined;
}

export interface PrometheusOptions {
  /** Rule files (absolute paths) to load and evaluate every second. */
  readonly ruleFiles?: readonly string[];
}

/** Prometheus scraping `targets` (host:port, path /metrics) every second. */
export async function startPrometheus(targets: readonly string[], options: PrometheusOptions = {}): Promise<LocalServer> {
  const given = givenPrometheus();
  if (given) return externalServer(given);
  const binary = findBinary('prometheus');
  const dir = mkdtempSync(join(tmpdir(), 'spendflow-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  // JSON is YAML: no YAML writer needed for a generated config.
  writeFileSync(
    config,
    JSON.stringify({
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: options.ruleFiles ?? [],
      scrape_configs: [{ job_name: 'spendflow', scrape_interval: '1s', scrape_timeout: '1s', metrics_path: '/metrics', static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return startLocalServer({
    binary,
    args: [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    dir,
    url,
    readyUrl: `${url}/-/ready`,
  });
}

/** One series of a range query: its labels and [unix seconds, "value"] samples. */
export interface PromSeries {
  readonly metric: Record<string, string>;
  readonly values: readonly [number, string][];
}

export interface PromAnswer {
  readonly status: string;
  readonly error?: string;
  readonly errorType?: string;
  readonly data?: { resultType: string; result: PromSeries[] };
}

/** /api/v1/query_range, with the server's whole answer (an error included). */
export async function promQueryRange(url: string, query: string, startSec: number, endSec: number, stepSec: number): Promise<PromAnswer> {
  const params = new URLSearchParams({ query, start: String(startSec), end: String(endSec), step: String(stepSec) });
  const res = await fetch(`${url}/api/v1/query_range?${params.toString()}`, { signal: AbortSignal.timeout(15_000) });
  return (await res.json().catch(() => ({ status: 'error', error: `not JSON (HTTP ${res.status})` }))) as PromAnswer;
}

/** Samples Prometheus holds for `metric` over the last `windowSec` seconds (summed over series). */
export async function promSampleCount(url: string, metric: string, windowSec = 3600): Promise<number> {
  const params = new URLSearchParams({ query: `count_over_time(${metric}[${windowSec}s])` });
  const res = await fetch(`${url}/api/v1/query?${params.toString()}`, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
  return (body.data?.result ?? []).reduce((sum, r) => sum + Number(r.value[1]), 0);
}

/** One rule as /api/v1/rules reports it. */
export interface PromRule {
  readonly name: string;
  readonly type: 'alerting' | 'recording';
  readonly health: string;
  readonly lastError?: string;
  readonly lastEvaluation: string;
  readonly state?: string;
  readonly alerts?: readonly { labels: Record<string, string>; state: string }[];
}

/** Every rule Prometheus has loaded, over all groups. */
export async function promRules(url: string): Promise<PromRule[]> {
  const res = await fetch(`${url}/api/v1/rules`, { signal: AbortSignal.timeout(15_000) });
  const body = (await res.json()) as { data?: { groups?: { rules: PromRule[] }[] } };
  return (body.data?.groups ?? []).flatMap((g) => g.rules);
}
