/** `spendflow optimize` and `spendflow frontier` on problem files: output, errors, exit codes. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runSpendflow } from '../../support/cli.ts';
import { curveValue } from '../../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../../src/model/curves/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'spendflow-optimize-'));
function file(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

const cli = runSpendflow;

const EXAMPLE = {
  budget: 100000,
  objective: 'revenue',
  channels: [
    { id: 'search', curve: { type: 'hill', beta: 90000, k: 30000, s: 1.0 }, min: 0, max: 60000, current: 25000, group: 'paid' },
    { id: 'social', curve: { type: 'hill', beta: 120000, k: 60000, s: 2.2 } },
    { id: 'display', curve: { type: 'exp', beta: 40000, k: 15000 }, locked: false },
    { id: 'promo', curve: { type: 'log', beta: 20000, k: 5000 }, min: 5000 },
  ],
  groups: [{ id: 'paid', max: 50000 }],
  maxChange: 0.3,
  minRoas: null,
  margin: null,
};

describe('spendflow optimize', () => {
  it('prints a certified allocation for the example problem', async () => {
    const res = await cli(['optimize', file('example.json', EXAMPLE)]);
    expect(res.code, res.err).toBe(0);
    const r = JSON.parse(res.out) as {
      allocation: Record<string, number>;
      spend: number;
      response: number;
      objective: number;
      upperBound: number;
      gap: number;
      marginalRoi: Record<string, number>;
      binding: string[];
      solver: string;
    };
    const total = Object.values(r.allocation).reduce((s, v) => s + v, 0);
    expect(total).toBeCloseTo(100000, 4);
    expect(r.allocation['search']!).toBeGreaterThanOrEqual(25000 * 0.7 - 1e-6);
    expect(r.allocation['search']!).toBeLessThanOrEqual(25000 * 1.3 + 1e-6);
    expect(r.allocation['promo']!).toBeGreaterThanOrEqual(5000);
    // The response is what the curves give at the allocation.
    const curves = Object.fromEntries(EXAMPLE.channels.map((c) => [c.id, c.curve as CurveSpec]));
    const response = Object.entries(r.allocation).reduce((s, [id, x]) => s + curveValue(curves[id]!, x), 0);
    expect(r.response).toBeCloseTo(response, 6);
    expect(r.upperBound).toBeGreaterThanOrEqual(r.objective);
    expect(r.gap).toBeGreaterThanOrEqual(0);
    expect(r.gap).toBeLessThanOrEqual(1e-4);
    expect(r.binding).toContain('budget');
    expect(['exact', 'envelope']).toContain(r.solver);
  });

  it('names every bad field and exits 2', async () => {
    const res = await cli(['optimize', file('bad.json', { budget: -1, channels: [{ id: 'a', curve: { type: 'exp', beta: 1, k: 0 } }, { id: 'a', curve: { type: 'wave' } }] })]);
    expect(res.code).toBe(2);
    expect(res.err).toContain('budget');
    expect(res.err).toContain('channels[0].curve.k');
    expect(res.err).toContain('channels[1].id');
    expect(res.err).toContain('channels[1].curve.type');
  });

  it('exits 2 for a file that is not JSON, and for a missing file', async () => {
    expect((await cli(['optimize', file('garbage.json', '{"budget": ')])).code).toBe(2);
    expect((await cli(['optimize', join(dir, 'nope.json')])).code).toBe(2);
  });

  it('says why a problem is infeasible and exits 3', async () => {
    const minimums = await cli(['optimize', file('min.json', { budget: 100, channels: [{ id: 'a', curve: { type: 'exp', beta: 100, k: 50 }, min: 80 }, { id: 'b', curve: { type: 'log', beta: 100, k: 50 }, min: 40 }] })]);
    expect(minimums.code).toBe(3);
    expect(minimums.err).toContain('minimums add up to 120, above the budget 100');
    const group = await cli(['optimize', file('group.json', { budget: 100, channels: [{ id: 'a', curve: { type: 'exp', beta: 100, k: 50 }, max: 10, group: 'g' }, { id: 'b', curve: { type: 'exp', beta: 100, k: 50 } }], groups: [{ id: 'g', min: 30 }] })]);
    expect(group.code).toBe(3);
    expect(group.err).toContain('group "g"');
    const roas = await cli(['optimize', file('roas.json', { budget: 100, minRoas: 50, channels: [{ id: 'a', curve: { type: 'exp', beta: 100, k: 50 }, min: 10 }] })]);
    expect(roas.code).toBe(3);
    expect(roas.err).toContain('ROAS floor 50');
  });
});

describe('spendflow frontier', () => {
  it('prints the efficient frontier: response rises with budget, marginal ROI falls (concave curves)', async () => {
    // With an S-shaped channel the frontier is not concave (its marginal ROI can rise where the
    // channel switches on), so this test uses concave curves only.
    const concave = { ...EXAMPLE, maxChange: null, channels: EXAMPLE.channels.map((c) => (c.id === 'social' ? { ...c, curve: { type: 'hill', beta: 120000, k: 60000, s: 0.9 } } : c)) };
    const res = await cli(['frontier', file('frontier.json', concave), '--from', '0.5', '--to', '2', '--steps', '6']);
    expect(res.code, res.err).toBe(0);
    const f = JSON.parse(res.out) as { points: { scale: number; budget: number; response: number; spend: number; marginalRoi: number | null; gap: number }[] };
    expect(f.points.map((p) => p.scale)).toEqual([0.5, 0.8, 1.1, 1.4, 1.7, 2]);
    for (let i = 1; i < f.points.length; i++) {
      expect(f.points[i]!.response).toBeGreaterThan(f.points[i - 1]!.response);
      expect(f.points[i]!.marginalRoi!).toBeLessThanOrEqual(f.points[i - 1]!.marginalRoi! + 1e-9);
    }
    for (const p of f.points) {
      expect(p.spend).toBeCloseTo(p.budget, 4);
      expect(p.gap).toBeLessThanOrEqual(1e-4);
    }
  });

  it('marks budgets below the minimums as infeasible instead of failing', async () => {
    const res = await cli(['frontier', file('front-min.json', { budget: 100, channels: [{ id: 'a', curve: { type: 'exp', beta: 100, k: 50 }, min: 60 }, { id: 'b', curve: { type: 'log', beta: 100, k: 50 } }] }), '--from', '0.5', '--to', '1', '--steps', '2']);
    expect(res.code).toBe(0);
    const f = JSON.parse(res.out) as { points: { budget: number; infeasible?: string }[] };
    expect(f.points[0]!.infeasible).toContain('above the budget 50');
    expect(f.points[1]!.infeasible).toBeUndefined();
  });
});
