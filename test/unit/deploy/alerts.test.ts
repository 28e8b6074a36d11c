/**
 * prometheus/alerts.yml: the rules load in Debian's real promtool, read only what spendflow
 * exports, say what to do, and behave as prometheus/alerts.test.yml expects (`promtool test
 * rules`). A missing promtool fails these tests with the package to install; it never skips them.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findBinary } from '../../support/influxdb.ts';
import { readYaml, repoText, type Tree } from './deploy-files.ts';
import { exportedMetrics, unknownNamesIn } from '../../support/exported-metrics.ts';

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Record<string, string>;
  readonly annotations?: Record<string, string>;
}

interface ExpectedAlert {
  exp_labels?: Record<string, string>;
  exp_annotations?: Record<string, string>;
}

interface AlertCase {
  readonly eval_time: string;
  readonly alertname: string;
  exp_alerts?: ExpectedAlert[];
}

interface TestGroup {
  readonly name?: string;
  readonly alert_rule_test?: AlertCase[];
}

const rulesText = repoText('prometheus/alerts.yml');
const ruleList: Rule[] = ((parse(rulesText) as { groups: { rules: Rule[] }[] }).groups ?? []).flatMap((g) => g.rules);
const alertList = ruleList.filter((r): r is Rule & { alert: string } => typeof r.alert === 'string');
const testFile = (): Tree & { tests: TestGroup[] } => parse(repoText('prometheus/alerts.test.yml')) as Tree & { tests: TestGroup[] };

function promtool(args: string[], cwd?: string): { status: number | null; output: string } {
  const res = spawnSync(findBinary('promtool'), args, { cwd, encoding: 'utf8', timeout: 120_000 });
  if (res.error) throw res.error;
  return { status: res.status, output: `${res.stdout}\n${res.stderr}` };
}

/**
 * alerts.test.yml with each expected alert's description filled in from alerts.yml, next to
 * `rulesYaml` as alerts.yml in a fresh directory; `promtool test rules` on it.
 */
function runRuleTests(rulesYaml: string): { status: number | null; output: string } {
  const descriptions = new Map(alertList.map((a) => [a.alert, a.annotations?.['description'] ?? '']));
  const file = testFile();
  for (const group of file.tests) {
    for (const c of group.alert_rule_test ?? []) {
      for (const e of c.exp_alerts ?? []) e.exp_annotations = { ...e.exp_annotations, description: descriptions.get(c.alertname) ?? '' };
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'spendflow-alerts-'));
  writeFileSync(join(dir, 'alerts.yml'), rulesYaml);
  writeFileSync(join(dir, 'alerts.test.yml'), stringify(file, { lineWidth: 0 }));
  return promtool(['test', 'rules', 'alerts.test.yml'], dir);
}

describe('prometheus/alerts.yml', () => {
  it('passes promtool check rules, every rule an alert', () => {
    const res = promtool(['check', 'rules', 'prometheus/alerts.yml'], join(import.meta.dirname, '../../..'));
    expect(res.status, res.output).toBe(0);
    expect(res.output).toContain(`SUCCESS: ${ruleList.length} rules found`);
    expect(alertList.length).toBe(ruleList.length);
    expect(alertList.length).toBeGreaterThanOrEqual(10);
  });

  it('gives every alert a unique name, a severity of page or ticket, a summary and a fixed description', () => {
    const names = alertList.map((a) => a.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const a of alertList) {
      expect(['page', 'ticket'], a.alert).toContain(a.labels?.['severity']);
      expect(a.annotations?.['summary'], a.alert).toMatch(/\S/);
      const description = a.annotations?.['description'] ?? '';
      expect(description.length, `${a.alert} description`).toBeGreaterThan(80);
      expect(description, `${a.alert}: templates belong in the summary`).not.toContain('{{');
      expect(description, `${a.alert} says what to check first`).toMatch(/First check:/);
    }
  });

  it('reads only metrics, labels and label values spendflow exports, and the job prometheus.yml scrapes', async () => {
    const exported = await exportedMetrics();
    const problems = alertList.flatMap((a) => unknownNamesIn(a.expr, exported).map((p) => `${a.alert}: ${p}`));
    expect(problems).toEqual([]);
    const jobs = ((readYaml('prometheus/prometheus.yml')['scrape_configs'] ?? []) as { job_name: string }[]).map((j) => j.job_name);
    for (const a of alertList) for (const m of a.expr.matchAll(/\bjob\s*=\s*"([^"]*)"/g)) expect(jobs, a.alert).toContain(m[1]);
  });

  it('is listed in docs/metrics.md#alerts, alert for alert, with the same severity', () => {
    const doc = repoText('docs/metrics.md');
    const section = doc.slice(doc.indexOf('## Alerts'), doc.indexOf('\n## ', doc.indexOf('## Alerts') + 1));
    const rows = new Map([...section.matchAll(/^\| `(\w+)` \| (\w+) \|/gm)].map((m) => [m[1], m[2]]));
    expect(Object.fromEntries(rows)).toEqual(Object.fromEntries(alertList.map((a) => [a.alert, a.labels?.['severity']])));
  });

  it('has, for every alert, a test where it fires and one where it stays quiet', () => {
    const cases = testFile().tests.flatMap((g) => g.alert_rule_test ?? []);
    for (const a of alertList) {
      const mine = cases.filter((c) => c.alertname === a.alert);
      expect(mine.some((c) => (c.exp_alerts ?? []).length > 0), `${a.alert} never expected to fire`).toBe(true);
      expect(mine.some((c) => (c.exp_alerts ?? []).length === 0), `${a.alert} never expected to stay quiet`).toBe(true);
    }
    const known = new Set(alertList.map((a) => a.alert));
    expect(cases.map((c) => c.alertname).filter((n) => !known.has(n))).toEqual([]);
  });

  it('behaves as prometheus/alerts.test.yml expects (promtool test rules)', () => {
    const res = runRuleTests(rulesText);
    expect(res.status, res.output).toBe(0);
    expect(res.output).toContain('SUCCESS');
  });

  it('has tests that fail when an alert never fires: every alert is named in the failures', () => {
    // Every expression replaced by one that is never true: each alert's firing case must fail.
    const silenced = rulesText.replace(/^( *)expr: .*(\n\1 {2}.*)*$/gm, '$1expr: vector(0) > 1');
    expect((parse(silenced) as { groups: { rules: Rule[] }[] }).groups[0]?.rules.every((r) => r.expr === 'vector(0) > 1')).toBe(true);
    const res = runRuleTests(silenced);
    expect(res.status).not.toBe(0);
    for (const a of alertList) expect(res.output, a.alert).toContain(`alertname: ${a.alert},`);
  });
});

describe('the metric-name check the boards and alerts share', () => {
  it('flags a misspelt metric, an unknown label and a label value that never exists', async () => {
    const exported = await exportedMetrics();
    expect(unknownNamesIn('rate(spendflow_events_consumed_total{result="accepted"}[5m])', exported)).toEqual([]);
    expect(unknownNamesIn('histogram_quantile(0.9, rate(spendflow_reoptimization_duration_seconds_bucket{le="1"}[5m]))', exported)).toEqual([]);
    expect(unknownNamesIn('spendflow_event_consumed_total', exported)).toHaveLength(1);
    expect(unknownNamesIn('spendflow_events_consumed_total{outcome="held"}', exported)).toEqual(['spendflow_events_consumed_total has no label outcome']);
    expect(unknownNamesIn('spendflow_events_consumed_total{result=~"accepted|acepted"}', exported)).toHaveLength(1);
    expect(unknownNamesIn('spendflow_events_consumed_total{job="spendflow", result!="bogus"}', exported)).toEqual([]);
  });
});
