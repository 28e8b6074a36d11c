import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import type { CurveSpec } from '../../../src/model/curves/types.ts';
import { allocateBudget } from '../../../src/optimizer/allocate.ts';
import { anneal } from '../../../src/optimizer/annealing.ts';
import { projectOntoBudget } from '../../../src/optimizer/bounds.ts';
import type { AllocationProblem, AllocationResult, ChannelProblem } from '../../../src/optimizer/problem.ts';
import { seededRandom, type Random } from '../../../src/random.ts';

const { iterations, seed } = defaultConfig().optimizer;
const OPTIONS = { iterations, seed };

// Reference formulas, written out here so the reference optimum does not reuse the code under test.
function value(c: CurveSpec, x: number): number {
  if (x <= 0) return 0;
  if (c.type === 'exp') return c.beta * (1 - Math.exp(-x / c.k));
  if (c.type === 'log') return c.beta * Math.log(1 + x / c.k);
  const r = (x / c.k) ** c.s;
  return (c.beta * r) / (1 + r);
}
function slope(c: CurveSpec, x: number): number {
  if (c.type === 'exp') return (c.beta / c.k) * Math.exp(-x / c.k);
  if (c.type === 'log') return c.beta / (c.k + x);
  if (x <= 0) return c.s < 1 ? Infinity : c.s === 1 ? c.beta / c.k : 0;
  const r = (x / c.k) ** c.s;
  return (c.beta * c.s * r) / (x * (1 + r) ** 2);
}

/** For a concave f: the spend in [lo, hi] where f′ = λ (f′ is non-increasing, so bisect). */
function spendAt(c: CurveSpec, lambda: number, lo: number, hi: number): number {
  if (slope(c, lo) <= lambda) return lo;
  let top = Number.isFinite(hi) ? hi : Math.max(1, lo) * 2;
  while (!Number.isFinite(hi) && slope(c, top) > lambda) top *= 2;
  if (slope(c, top) >= lambda) return top;
  let a = lo;
  let b = top;
  for (let i = 0; i < 200; i++) {
    const m = (a + b) / 2;
    if (slope(c, m) > lambda) a = m;
    else b = m;
  }
  return (a + b) / 2;
}

/**
 * Equal-marginal-return optimum (KKT for concave curves): xᵢ(λ) = f′ᵢ⁻¹(λ) clamped to [loᵢ, hiᵢ],
 * with λ found by bisection (in log space) so that Σ xᵢ(λ) = budget; Σ xᵢ(λ) falls as λ grows.
 */
function referenceOptimum(curves: readonly CurveSpec[], lo: readonly number[], hi: readonly number[], budget: number): number[] {
  const at = (lambda: number) => curves.map((c, i) => spendAt(c, lambda, lo[i]!, hi[i]!));
  const total = (xs: number[]) => xs.reduce((s, v) => s + v, 0);
  let a = Math.log(1e-12);
  let b = Math.log(1e12);
  for (let i = 0; i < 200; i++) {
    const m = (a + b) / 2;
    if (total(at(Math.exp(m))) > budget) a = m;
    else b = m;
  }
  return at(Math.exp((a + b) / 2));
}

const objective = (curves: readonly CurveSpec[], xs: readonly number[]) => xs.reduce((s, x, i) => s + value(curves[i]!, x), 0);
const allocated = (p: AllocationProblem, r: AllocationResult) => p.channels.map((c) => r.allocation[c.id]!);

function randomConcaveCurve(rng: Random, scale: number): CurveSpec {
  const beta = scale * (0.5 + 3 * rng.next());
  const k = scale * (0.1 + rng.next());
  switch (rng.int(3)) {
    case 0: return { type: 'exp', beta, k };
    case 1: return { type: 'log', beta, k };
    default: return { type: 'hill', beta, k, s: 0.4 + 0.6 * rng.next() };
  }
}

function randomProblem(rng: Random): AllocationProblem {
  const n = 2 + rng.int(5);
  const budget = 500 + 5000 * rng.next();
  const channels: ChannelProblem[] = [];
  for (let i = 0; i < n; i++) {
    const min = rng.next() < 0.5 ? 0 : (budget / n) * 0.3 * rng.next();
    const max = rng.next() < 0.3 ? Infinity : min + (budget / n) * (0.5 + 2 * rng.next());
    channels.push({ id: `c${i}`, curve: randomConcaveCurve(rng, budget / n), min, max });
  }
  const sumMax = channels.reduce((s, c) => s + c.max, 0);
  return { budget: Math.min(budget, 0.95 * sumMax), channels };
}

function expectFeasible(p: AllocationProblem, r: AllocationResult, budget = p.budget) {
  const xs = allocated(p, r);
  expect(Math.abs(xs.reduce((s, v) => s + v, 0) - budget)).toBeLessThanOrEqual(1e-6 * budget);
  expect(Math.abs(r.spend - budget)).toBeLessThanOrEqual(1e-6 * budget);
  p.channels.forEach((c, i) => {
    expect(xs[i]!).toBeGreaterThanOrEqual(c.min - 1e-9 * budget);
    expect(xs[i]!).toBeLessThanOrEqual(c.max + 1e-9 * budget);
  });
}

describe('allocateBudget on random concave problems (seeded)', () => {
  const rng = seededRandom(20260105);
  const problems = Array.from({ length: 25 }, () => randomProblem(rng));

  it.each(problems.map((p, i) => [i, p] as const))('problem %i: feasible, never worse than its start, matches the equal-marginal optimum', (_i, p) => {
    const r = allocateBudget(p, OPTIONS);
    expectFeasible(p, r);
    const curves = p.channels.map((c) => c.curve);
    const xs = allocated(p, r);
    // Reported numbers agree with the allocation.
    expect(r.response).toBeCloseTo(objective(curves, xs), 6);
    p.channels.forEach((c, i) => expect(r.marginalRoi[c.id]).toBeCloseTo(slope(c.curve, xs[i]!), 9));
    // Never worse than the projected warm start (no `current`: an even split).
    const lo = Float64Array.from(p.channels, (c) => c.min);
    const hi = Float64Array.from(p.channels, (c) => c.max);
    const start = projectOntoBudget(p.channels.map(() => p.budget / p.channels.length), lo, hi, p.budget);
    expect(r.response).toBeGreaterThanOrEqual(objective(curves, [...start]) - 1e-9 * r.response);
    // Optimal within 1e-4 of the objective, and not above the true optimum (which checks the reference).
    const best = objective(curves, referenceOptimum(curves, p.channels.map((c) => c.min), p.channels.map((c) => c.max), p.budget));
    expect(r.response).toBeGreaterThanOrEqual(best * (1 - 1e-4));
    expect(r.response).toBeLessThanOrEqual(best * (1 + 1e-9));
    expect(r.relaxations).toEqual([]);
    expect(r.binding[0]).toBe('budget');
  });
});

describe('allocateBudget: guardrails', () => {
  const search: CurveSpec = { type: 'exp', beta: 4000, k: 800 };
  const social: CurveSpec = { type: 'log', beta: 600, k: 300 };
  const display: CurveSpec = { type: 'hill', beta: 900, k: 400, s: 0.8 };

  it('keeps each channel within the max-change band around its current spend, and finds the best point inside it', () => {
    const p: AllocationProblem = {
      budget: 1500, maxChange: 0.2,
      channels: [
        { id: 'search', curve: search, min: 0, max: 2000, current: 500 },
        { id: 'social', curve: social, min: 0, max: 2000, current: 500 },
        { id: 'display', curve: display, min: 0, max: 2000, current: 500 },
      ],
    };
    const r = allocateBudget(p, OPTIONS);
    expectFeasible(p, r);
    for (const c of p.channels) {
      expect(r.allocation[c.id]!).toBeGreaterThanOrEqual(400 - 1e-9);
      expect(r.allocation[c.id]!).toBeLessThanOrEqual(600 + 1e-9);
    }
    const curves = p.channels.map((c) => c.curve);
    const best = objective(curves, referenceOptimum(curves, [400, 400, 400], [600, 600, 600], 1500));
    expect(r.response).toBeGreaterThanOrEqual(best * (1 - 1e-4));
    expect(r.relaxations).toEqual([]);
  });

  it('drops an infeasible max-change band, says so, and still keeps budget, min and max', () => {
    const p: AllocationProblem = {
      budget: 1000, maxChange: 0.2,
      channels: [
        { id: 'search', curve: search, min: 50, max: 800, current: 300 },
        { id: 'social', curve: social, min: 100, max: 800, current: 300 },
      ],
    };
    // Band caps are 360 + 360 = 720 < 1000: no allocation meets the budget inside the band.
    expect(() => allocateBudget(p, OPTIONS)).toThrow(/absorb at most 720/);
    const r = allocateBudget(p, { ...OPTIONS, relaxMaxChange: true });
    expect(r.relaxations.some((s) => /maxChange/.test(s))).toBe(true);
    expectFeasible(p, r);
    expect(Object.values(r.allocation).some((x) => x > 360 + 1e-6)).toBe(true);
  });

  it('drops a band whose floors already exceed the budget', () => {
    const p: AllocationProblem = {
      budget: 1000, maxChange: 0.1,
      channels: [
        { id: 'search', curve: search, min: 0, max: 2000, current: 1000 },
        { id: 'social', curve: social, min: 0, max: 2000, current: 1000 },
      ],
    };
    expect(() => allocateBudget(p, OPTIONS)).toThrow(/above the budget/);
    const r = allocateBudget(p, { ...OPTIONS, relaxMaxChange: true });
    expect(r.relaxations.some((s) => /maxChange/.test(s))).toBe(true);
    expectFeasible(p, r);
  });

  it('refuses a revenue budget the caps cannot absorb, as an infeasible problem naming both amounts', () => {
    const p: AllocationProblem = {
      budget: 1000,
      channels: [
        { id: 'search', curve: search, min: 0, max: 200 },
        { id: 'social', curve: social, min: 50, max: 300 },
      ],
    };
    let error: unknown;
    try {
      allocateBudget(p, OPTIONS);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'PROBLEM_INFEASIBLE' });
    expect((error as Error).message).toContain('absorb at most 500 of the budget 1000');
  });

  it('lists exactly the binding constraints in a constructed case', () => {
    // Marginal returns at the optimum: A 1/290, E 0.02 (both pushed to their floors), C ≈ 1.03
    // (interior at 470 = 1500 − 190 − 320 − 120 − 400), B ≈ 9.7 and D ≈ 9.8 (pushed to their caps).
    // A's floor is its min (band floor 160 < 190); B's cap is its max (320 < band cap 360);
    // D's cap (120) and E's floor (400) come from the ±20% band.
    const p: AllocationProblem = {
      budget: 1500, maxChange: 0.2,
      channels: [
        { id: 'A', curve: { type: 'log', beta: 1, k: 100 }, min: 190, max: 1000, current: 200 },
        { id: 'B', curve: { type: 'exp', beta: 1e5, k: 1e4 }, min: 0, max: 320, current: 300 },
        { id: 'C', curve: { type: 'log', beta: 1000, k: 500 }, min: 0, max: 2000, current: 500 },
        { id: 'D', curve: { type: 'exp', beta: 5e4, k: 5e3 }, min: 0, max: 1000, current: 100 },
        { id: 'E', curve: { type: 'log', beta: 10, k: 100 }, min: 0, max: 2000, current: 500 },
      ],
    };
    const r = allocateBudget(p, OPTIONS);
    expectFeasible(p, r);
    const expected = { A: 190, B: 320, C: 470, D: 120, E: 400 };
    for (const [id, x] of Object.entries(expected)) expect(r.allocation[id]).toBeCloseTo(x, 3);
    expect(r.binding[0]).toBe('budget');
    expect([...r.binding].sort()).toEqual(['budget', 'max:B', 'maxChange:D', 'maxChange:E', 'min:A']);
    expect(r.relaxations).toEqual([]);
  });

  it('is deterministic for the same seed, also on an S-shaped (non-concave) problem', () => {
    const p: AllocationProblem = {
      budget: 3000,
      channels: [
        { id: 'a', curve: { type: 'hill', beta: 3000, k: 900, s: 2.5 }, min: 0, max: 3000, current: 1000 },
        { id: 'b', curve: { type: 'hill', beta: 2000, k: 500, s: 1.8 }, min: 0, max: 3000, current: 1000 },
        { id: 'c', curve: { type: 'exp', beta: 1500, k: 600 }, min: 100, max: 3000, current: 1000 },
      ],
    };
    const first = allocateBudget(p, { iterations: 2000, seed: 7 });
    const second = allocateBudget(p, { iterations: 2000, seed: 7 });
    expect(second).toEqual(first);
    expectFeasible(p, first);
    const curves = p.channels.map((c) => c.curve);
    expect(first.response).toBeGreaterThanOrEqual(objective(curves, [1000, 1000, 1000]) - 1e-9);
  });
});

describe('anneal', () => {
  it('returns its start when that is already optimal and keeps Σx', () => {
    const curves: CurveSpec[] = [{ type: 'log', beta: 100, k: 50 }, { type: 'log', beta: 100, k: 50 }];
    const out = anneal({ curves, lo: Float64Array.of(0, 0), hi: Float64Array.of(1000, 1000), start: Float64Array.of(250, 250), iterations: 500, seed: 3 });
    expect(out.value).toBeGreaterThanOrEqual(out.startValue);
    expect(out.x[0]! + out.x[1]!).toBeCloseTo(500, 9);
    expect(out.x[0]!).toBeCloseTo(250, 3);
  });
});

describe('projectOntoBudget (seeded random inputs)', () => {
  const rng = seededRandom(99);
  const cases = Array.from({ length: 200 }, () => {
    const n = 1 + rng.int(8);
    const lo = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : 100 * rng.next()));
    const hi = Float64Array.from(lo, (l) => (rng.next() < 0.2 ? Infinity : l + 200 * rng.next()));
    const sumLo = lo.reduce((s, v) => s + v, 0);
    const sumHi = hi.reduce((s, v) => s + v, 0);
    const budget = sumLo + rng.next() * (Number.isFinite(sumHi) ? sumHi - sumLo : 500);
    const x = Array.from({ length: n }, () => -50 + 450 * rng.next());
    return { lo, hi, budget, x };
  });

  it('lands on the budget and inside the bounds, as a clamp of x + τ for one shift τ', () => {
    for (const { lo, hi, budget, x } of cases) {
      const out = projectOntoBudget(x, lo, hi, budget);
      expect(Math.abs(out.reduce((s, v) => s + v, 0) - budget)).toBeLessThanOrEqual(1e-9 * (1 + budget));
      const tol = 1e-7 * (1 + budget);
      const free: number[] = [];
      out.forEach((v, i) => {
        expect(v).toBeGreaterThanOrEqual(lo[i]!);
        expect(v).toBeLessThanOrEqual(hi[i]!);
        if (v > lo[i]! + tol && v < hi[i]! - tol) free.push(v - x[i]!);
      });
      // Projection: every channel strictly inside its box moved by the same τ; those at a bound
      // would have crossed it.
      if (free.length > 0) {
        const tau = free[0]!;
        for (const d of free) expect(Math.abs(d - tau)).toBeLessThanOrEqual(tol);
        out.forEach((v, i) => {
          if (v <= lo[i]! + tol) expect(x[i]! + tau).toBeLessThanOrEqual(lo[i]! + tol);
          if (v >= hi[i]! - tol) expect(x[i]! + tau).toBeGreaterThanOrEqual(hi[i]! - tol);
        });
      }
    }
  });

  it('leaves a point already on the budget and inside the bounds where it is', () => {
    for (const { lo, hi, budget, x } of cases.slice(0, 50)) {
      const once = projectOntoBudget(x, lo, hi, budget);
      const twice = projectOntoBudget(once, lo, hi, budget);
      twice.forEach((v, i) => expect(Math.abs(v - once[i]!)).toBeLessThanOrEqual(1e-7 * (1 + budget)));
    }
  });
});
