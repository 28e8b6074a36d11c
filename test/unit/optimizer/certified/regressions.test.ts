/**
 * Problems a review found wrong once (false certificate, unconverged price search, NaN, a
 * feasible ROAS problem refused, β = 0). Each must stay right.
 */
import { describe, expect, it } from 'vitest';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../../../src/model/curves/types.ts';
import { allocateBudget } from '../../../../src/optimizer/allocate.ts';
import type { AllocationProblem } from '../../../../src/optimizer/problem.ts';

const ch = (id: string, curve: CurveSpec, extra: Partial<AllocationProblem['channels'][number]> = {}) => ({ id, curve, min: 0, max: Infinity, ...extra });

/** Best Σf over a + b = budget on a fine grid, refined around the best cell (two channels). */
function bruteForceTwo(a: CurveSpec, b: CurveSpec, budget: number): number {
  const f = (x: number) => curveValue(a, x) + curveValue(b, budget - x);
  let best = -Infinity;
  let at = 0;
  const steps = 200_000;
  for (let i = 0; i <= steps; i++) {
    const x = (budget * i) / steps;
    const v = f(x);
    if (v > best) {
      best = v;
      at = x;
    }
  }
  const h = budget / steps;
  for (let i = -1000; i <= 1000; i++) best = Math.max(best, f(Math.min(budget, Math.max(0, at + (i * h) / 1000))));
  return best;
}

describe('certified allocateBudget: regressions', () => {
  it('never certifies an answer the relaxation did not prove (wide-scale S curve)', () => {
    const a: CurveSpec = { type: 'hill', beta: 0.1, k: 0.001, s: 0.3 };
    const b: CurveSpec = { type: 'hill', beta: 10, k: 20, s: 5 };
    const r = allocateBudget({ budget: 3000, channels: [ch('a', a), ch('b', b)] });
    const best = bruteForceTwo(a, b, 3000);
    expect(r.upperBound).toBeGreaterThanOrEqual(best * (1 - 1e-9));
    expect(r.objective).toBeGreaterThanOrEqual(best * (1 - 1e-4));
  });

  it('converges on a plain concave problem whose first Newton step overshoots', () => {
    const a: CurveSpec = { type: 'hill', beta: 50, k: 100, s: 0.95 };
    const b: CurveSpec = { type: 'log', beta: 20, k: 50 };
    const r = allocateBudget({ budget: 100, channels: [ch('a', a), ch('b', b)] });
    expect(r.objective).toBeGreaterThanOrEqual(bruteForceTwo(a, b, 100) * (1 - 1e-9));
    expect(r.gap).toBeLessThanOrEqual(1e-6);
    expect(r.solver).toBe('exact');
  });

  it('gives a finite answer when every marginal return underflows to 0 at the optimum', () => {
    const r = allocateBudget({ budget: 2000, channels: [ch('a', { type: 'exp', beta: 1, k: 1 })] });
    expect(r.allocation['a']).toBe(2000);
    for (const v of [r.spend, r.response, r.objective, r.upperBound, r.gap]) expect(Number.isFinite(v)).toBe(true);
    const two = allocateBudget({ budget: 5000, channels: [ch('a', { type: 'exp', beta: 1, k: 1 }), ch('b', { type: 'exp', beta: 2, k: 3 })] });
    expect(two.spend).toBeCloseTo(5000, 6);
    expect(Object.values(two.allocation).every(Number.isFinite)).toBe(true);
  });

  it('finds the feasible spend above the profit optimum when a locked low-ROAS channel needs company', () => {
    const p: AllocationProblem = {
      budget: 100,
      objective: 'profit',
      margin: 1,
      minRoas: 0.1,
      channels: [ch('a', { type: 'log', beta: 1, k: 100 }, { current: 10, locked: true }), ch('b', { type: 'exp', beta: 50, k: 100 })],
    };
    const r = allocateBudget(p);
    expect(r.allocation['a']).toBe(10);
    expect(r.response / r.spend).toBeGreaterThanOrEqual(0.1 - 1e-12);
    expect(r.upperBound).toBeGreaterThanOrEqual(r.objective);
  });

  it('treats a channel with β = 0 as returning nothing, with finite marginal ROI', () => {
    const r = allocateBudget({ budget: 100, channels: [ch('a', { type: 'hill', beta: 0, k: 10, s: 0.5 }), ch('b', { type: 'log', beta: 10, k: 10 })] });
    expect(r.allocation['a']).toBe(0);
    expect(r.marginalRoi['a']).toBe(0);
    expect(r.allocation['b']).toBeCloseTo(100, 9);
  });

  it('reports gap 0 when nothing can be gained, and no budget price when nothing can move', () => {
    const zero = allocateBudget({ budget: 100, channels: [ch('a', { type: 'exp', beta: 0, k: 1 }), ch('b', { type: 'exp', beta: 0, k: 1 })] });
    expect(zero.gap).toBe(0);
    const none = allocateBudget({ budget: 0, channels: [ch('a', { type: 'exp', beta: 5, k: 1 })] });
    expect(none.spend).toBe(0);
    expect(none.budgetPrice).toBeNull();
  });
});
