/**
 * docs/metrics.md and the registry agree: every metric spendflow registers is documented, and
 * every `spendflow_*` name the document mentions exists (so a rename cannot leave the docs, and
 * the alerts copied from them, pointing at nothing).
 */
import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { SignalBus } from '../../../src/pipeline/signals.ts';
import { registerHistoryMetrics, registerPipelineMetrics } from '../../../src/telemetry/metrics.ts';

const doc = readFileSync(new URL('../../../docs/metrics.md', import.meta.url), 'utf8');

async function names(fill: (r: Registry) => void): Promise<Map<string, string>> {
  const registry = new Registry();
  fill(registry);
  const metrics = await registry.getMetricsAsJSON();
  return new Map(metrics.map((m) => [m.name, String(m.type)]));
}

describe('docs/metrics.md', () => {
  it('documents every metric spendflow registers, in a table row of its own', async () => {
    const all = await names((r) => {
      registerPipelineMetrics(r, new SignalBus(), { processMetrics: false, portfolios: ['p'] });
      registerHistoryMetrics(r);
    });
    expect(all.size).toBeGreaterThan(30);
    const undocumented = [...all.keys()].filter((n) => !doc.includes(`| \`${n}\` |`));
    expect(undocumented).toEqual([]);
  });

  it('names no spendflow_* metric that does not exist (histogram series and default process metrics included)', async () => {
    const all = await names((r) => {
      registerPipelineMetrics(r, new SignalBus(), { portfolios: ['p'] });
      registerHistoryMetrics(r);
    });
    const defaults = await names((r) => collectDefaultMetrics({ register: r, prefix: 'spendflow_' }));
    const known = new Set<string>();
    for (const [name, type] of [...all, ...defaults]) {
      known.add(name);
      if (type === 'histogram') for (const suffix of ['_bucket', '_count', '_sum']) known.add(name + suffix);
    }
    const mentioned = new Set([...doc.matchAll(/\bspendflow_[a-z0-9_]*[a-z0-9]\b/g)].map((m) => m[0]));
    expect(mentioned.size).toBeGreaterThan(30);
    const unknown = [...mentioned].filter((n) => !known.has(n));
    expect(unknown).toEqual([]);
  });
});
