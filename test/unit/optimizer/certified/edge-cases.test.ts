/**
 * Hand-built cases for the certified `allocateBudget`, each with its answer derived by hand in the
 * comments (KKT conditions, symmetry, convexity), independent of the solver and of the reference.
 */
import { describe, expect, it } from 'vitest';
import { SpendflowError } from '../../../../src/errors.ts';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../../../src/model/curves/types.ts';
import { allocateBudget } from '../../../../src/optimizer/allocate.ts';
import type { AllocationProblem, AllocationResult, ChannelProblem } from '../../../../src/optimizer/problem.ts';
import { nanPaths, recompute, violations } from './check.ts';

const channel = (id: string, curve: CurveSpec, extra: Partial<ChannelProblem> = {}): ChannelProblem => ({ id, curve, min: 0, max: Infinity, ...extra });
const x = (r: AllocationResult, id: string): number => r.allocation[id] ?? NaN;
const roi = (r: AllocationResult, id: string): number => r.marginalRoi[id] ?? NaN;
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

/** The checks every result must pass: feasible, self-consistent numbers, a valid certificate. */
function expectSound(p: AllocationProblem, r: AllocationResult): void {
  expect(nanPaths(r)).toEqual([]);
  expect(violations(p, r.allocation, 1e-6 * p.budget)).toEqual([]);
  const again = recompute(p, r.allocation);
  expect(Math.abs(r.objective - again.objective)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(again.objective), again.response));
  expect(Number.isFinite(r.upperBound), `upperBound ${r.upperBound}`).toBe(true);
  expect(r.upperBound).toBeGreaterThanOrEqual(r.objective - 1e-9 * Math.abs(r.objective));
  expect(r.gap).toBeGreaterThanOrEqual(0);
}

function expectInfeasible(p: AllocationProblem, mentions: RegExp): void {
  let thrown: unknown;
  try {
    const r = allocateBudget(p);
    thrown = new Error(`no error: returned ${JSON.stringify(r.allocation)}`);
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(SpendflowError);
  expect((thrown as SpendflowError).code).toBe('PROBLEM_INFEASIBLE');
  expect((thrown as SpendflowError).message).toMatch(mentions);
}

describe('certified allocateBudget: hand-built optima', () => {
  it('splits the budget evenly between two identical exp channels', () => {
    // f = 1000·(1 − e^(−x/200)) twice, Σx = 500: by symmetry and strict concavity x = 250 each.
    const f: CurveSpec = { type: 'exp', beta: 1000, k: 200 };
    const p: AllocationProblem = { budget: 500, channels: [channel('a', f), channel('b', f)] };
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.abs(x(r, 'a') - 250)).toBeLessThanOrEqual(1e-6 * 500);
    expect(Math.abs(x(r, 'b') - 250)).toBeLessThanOrEqual(1e-6 * 500);
    expect(rel(r.objective, 2000 * (1 - Math.exp(-1.25)))).toBeLessThanOrEqual(1e-9);
    expect(rel(roi(r, 'a'), 5 * Math.exp(-1.25))).toBeLessThanOrEqual(1e-6);
    expect(r.gap).toBeLessThanOrEqual(1e-6);
    expect(r.binding).toContain('budget');
  });

  it('stops a channel at its max when its marginal return stays above the others there', () => {
    // a: 1000·(1 − e^(−x/100)), max 50; b: 500·(1 − e^(−x/200)); Σx = 300.
    // At a = 50, b = 250: f′a = 10·e^(−0.5) ≈ 6.07 > f′b = 2.5·e^(−1.25) ≈ 0.72, so a sits at its cap.
    const p: AllocationProblem = {
      budget: 300,
      channels: [channel('a', { type: 'exp', beta: 1000, k: 100 }, { max: 50 }), channel('b', { type: 'exp', beta: 500, k: 200 })],
    };
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.abs(x(r, 'a') - 50)).toBeLessThanOrEqual(1e-6 * 300);
    expect(Math.abs(x(r, 'b') - 250)).toBeLessThanOrEqual(1e-6 * 300);
    expect(rel(r.objective, 1000 * (1 - Math.exp(-0.5)) + 500 * (1 - Math.exp(-1.25)))).toBeLessThanOrEqual(1e-9);
    expect(roi(r, 'a')).toBeGreaterThan(roi(r, 'b'));
    expect(r.binding).toEqual(expect.arrayContaining(['budget', 'max:a']));
    expect(r.gap).toBeLessThanOrEqual(1e-6);
  });

  it('leaves a locked channel at its current spend and splits the rest', () => {
    // a is locked at 80 (its marginal 10·e^(−0.8) ≈ 4.49 would pull more spend); b, c identical
    // 500·ln(1 + x/100) share the remaining 320 evenly: 160 each (f′ = 500/260 ≈ 1.92).
    const g: CurveSpec = { type: 'log', beta: 500, k: 100 };
    const p: AllocationProblem = {
      budget: 400,
      channels: [channel('a', { type: 'exp', beta: 1000, k: 100 }, { current: 80, locked: true }), channel('b', g), channel('c', g)],
    };
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.abs(x(r, 'a') - 80)).toBeLessThanOrEqual(1e-9 * 400);
    expect(Math.abs(x(r, 'b') - 160)).toBeLessThanOrEqual(1e-6 * 400);
    expect(Math.abs(x(r, 'c') - 160)).toBeLessThanOrEqual(1e-6 * 400);
    expect(rel(r.objective, 1000 * (1 - Math.exp(-0.8)) + 1000 * Math.log(2.6))).toBeLessThanOrEqual(1e-9);
    expect(r.binding).toContain('locked:a');
    expect(r.gap).toBeLessThanOrEqual(1e-6);
  });

  it('holds a group at its max, the group\'s marginal returns staying above those outside it', () => {
    // a, b identical 1000·(1 − e^(−x/100)) in group "search" (max 100); c = 1000·(1 − e^(−x/200))
    // outside; Σx = 400. Within the group a = b = 50 (f′ = 10·e^(−0.5) ≈ 6.07); c = 300
    // (f′ = 5·e^(−1.5) ≈ 1.12 < 6.07, so the group would take more without its cap).
    const f: CurveSpec = { type: 'exp', beta: 1000, k: 100 };
    const p: AllocationProblem = {
      budget: 400,
      channels: [channel('a', f, { group: 'search' }), channel('b', f, { group: 'search' }), channel('c', { type: 'exp', beta: 1000, k: 200 })],
      groups: [{ id: 'search', max: 100 }],
    };
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.abs(x(r, 'a') - 50)).toBeLessThanOrEqual(1e-6 * 400);
    expect(Math.abs(x(r, 'b') - 50)).toBeLessThanOrEqual(1e-6 * 400);
    expect(Math.abs(x(r, 'c') - 300)).toBeLessThanOrEqual(1e-6 * 400);
    expect(rel(r.objective, 2000 * (1 - Math.exp(-0.5)) + 1000 * (1 - Math.exp(-1.5)))).toBeLessThanOrEqual(1e-9);
    expect(rel(roi(r, 'a'), roi(r, 'b'))).toBeLessThanOrEqual(1e-6);
    expect(roi(r, 'a')).toBeGreaterThan(roi(r, 'c'));
    expect(r.binding).toEqual(expect.arrayContaining(['budget', 'groupMax:search']));
    expect(r.gap).toBeLessThanOrEqual(1e-6);
  });

  it('under-spends the budget when a ROAS floor binds (revenue objective)', () => {
    // Two identical 1000·(1 − e^(−x/100)), budget 1000, ROAS ≥ 5. Spending the budget gives ROAS
    // ≈ 1.99. For a total S the best split is even (V(S) = 2f(S/2), concave), and V(S)/S falls in S,
    // so the optimum is the largest S with V(S) = 5·S: x per channel solves 1000·(1 − e^(−x/100)) = 5x
    // (x ≈ 159, S ≈ 318 < 1000).
    const f: CurveSpec = { type: 'exp', beta: 1000, k: 100 };
    const p: AllocationProblem = { budget: 1000, minRoas: 5, channels: [channel('a', f), channel('b', f)] };
    let lo = 100; // 1000·(1 − e^(−1)) ≈ 632 > 500
    let hi = 200; // 1000·(1 − e^(−2)) ≈ 865 < 1000
    for (let i = 0; i < 200; i++) {
      const m = (lo + hi) / 2;
      if (1000 * (1 - Math.exp(-m / 100)) > 5 * m) lo = m;
      else hi = m;
    }
    const each = (lo + hi) / 2;
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(r.spend).toBeLessThan(1000 - 1);
    expect(Math.abs(r.response / r.spend - 5)).toBeLessThanOrEqual(1e-6 * 5);
    expect(Math.abs(x(r, 'a') - each)).toBeLessThanOrEqual(1e-6 * 1000);
    expect(Math.abs(x(r, 'b') - each)).toBeLessThanOrEqual(1e-6 * 1000);
    expect(rel(r.objective, 2 * curveValue(f, each))).toBeLessThanOrEqual(1e-6);
    expect(r.binding).toContain('minRoas');
    expect(r.binding).not.toContain('budget');
    expect(r.gap).toBeLessThanOrEqual(1e-6);
  });

  it('stops spending where the marginal return is 1/margin when the budget does not bind (profit)', () => {
    // margin 0.5: interior optimum where f′ = 2. a = 1000·(1 − e^(−x/100)): 10·e^(−x/100) = 2 →
    // x = 100·ln 5 ≈ 160.94. b = 300·ln(1 + x/50): 300/(50 + x) = 2 → x = 100. Σx ≈ 260.94 < 1000.
    const p: AllocationProblem = {
      budget: 1000, objective: 'profit', margin: 0.5,
      channels: [channel('a', { type: 'exp', beta: 1000, k: 100 }), channel('b', { type: 'log', beta: 300, k: 50 })],
    };
    const r = allocateBudget(p);
    expectSound(p, r);
    const xa = 100 * Math.log(5);
    expect(r.spend).toBeLessThan(1000 - 1);
    expect(rel(roi(r, 'a'), 2)).toBeLessThanOrEqual(1e-6);
    expect(rel(roi(r, 'b'), 2)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(x(r, 'a') - xa)).toBeLessThanOrEqual(1e-6 * 1000);
    expect(Math.abs(x(r, 'b') - 100)).toBeLessThanOrEqual(1e-6 * 1000);
    const best = 0.5 * (1000 * (1 - 1 / 5) + 300 * Math.log(3)) - (xa + 100);
    expect(rel(r.objective, best)).toBeLessThanOrEqual(1e-9);
    expect(r.binding).not.toContain('budget');
    expect(r.gap).toBeLessThanOrEqual(1e-6);
  });

  it('spends nothing when no channel repays its cost, without NaN (profit with a zero optimum)', () => {
    // f = 100·(1 − e^(−x/100)) has f′ ≤ f′(0) = 1, so margin·f′ ≤ 0.5 < 1: every spend loses money.
    // Optimum: x = 0, objective 0; the bound can be 0 too, so the gap must not be 0/0.
    const p: AllocationProblem = { budget: 500, objective: 'profit', margin: 0.5, channels: [channel('a', { type: 'exp', beta: 100, k: 100 })] };
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.abs(x(r, 'a'))).toBeLessThanOrEqual(1e-6 * 500);
    expect(Math.abs(r.objective)).toBeLessThanOrEqual(1e-6 * 500);
    expect(Number.isFinite(r.gap)).toBe(true);
    expect(r.gap).toBeLessThanOrEqual(1e-6);
  });

  it('gives nothing to a dead channel (β = 0) and reports no NaN', () => {
    // f_dead ≡ 0 (f′ ≡ 0); the live channel's f′ > 0 everywhere, so it takes the whole budget.
    const live: CurveSpec = { type: 'log', beta: 400, k: 100 };
    const p: AllocationProblem = { budget: 300, channels: [channel('dead', { type: 'exp', beta: 0, k: 50 }), channel('live', live)] };
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.abs(x(r, 'dead'))).toBeLessThanOrEqual(1e-6 * 300);
    expect(rel(r.objective, 400 * Math.log(4))).toBeLessThanOrEqual(1e-9);
    expect(roi(r, 'dead')).toBe(0);
  });

  it('puts a small budget entirely on one of two identical S-shaped channels', () => {
    // f = 100·x³/(x³ + 100³) is convex on [0, 100·(1/2)^(1/3) ≈ 79.4]. With Σx = 60 both spends lie
    // in [0, 60], so f(x) + f(60 − x) is convex in x and is largest at an end: (60, 0) or (0, 60),
    // worth f(60) ≈ 17.76 (an even split gives 2·f(30) ≈ 5.26).
    const f: CurveSpec = { type: 'hill', beta: 100, k: 100, s: 3 };
    const p: AllocationProblem = { budget: 60, channels: [channel('a', f), channel('b', f)] };
    const best = curveValue(f, 60);
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(Math.max(x(r, 'a'), x(r, 'b'))).toBeGreaterThanOrEqual(60 - 1e-6 * 60);
    expect(Math.min(x(r, 'a'), x(r, 'b'))).toBeLessThanOrEqual(1e-6 * 60);
    expect(r.objective).toBeGreaterThanOrEqual(best * (1 - 1e-6));
    expect(r.objective).toBeLessThanOrEqual(best * (1 + 1e-9));
    expect(r.upperBound).toBeGreaterThanOrEqual(best * (1 - 1e-9));
    expect(Math.abs(r.gap - (r.upperBound - r.objective) / Math.abs(r.upperBound))).toBeLessThanOrEqual(1e-9);
  });

  it('reports its path: exact for a concave problem, envelope for an S-shaped one', () => {
    const concave: AllocationProblem = { budget: 100, channels: [channel('a', { type: 'exp', beta: 100, k: 50 }), channel('b', { type: 'log', beta: 50, k: 20 })] };
    const sShaped: AllocationProblem = { budget: 60, channels: [channel('a', { type: 'hill', beta: 100, k: 100, s: 3 }), channel('b', { type: 'hill', beta: 100, k: 100, s: 3 })] };
    expect(allocateBudget(concave).solver).toBe('exact');
    expect(allocateBudget(sShaped).solver).toBe('envelope');
  });

  it('solves a 1000-channel concave problem to a gap of 1e-9', () => {
    // fᵢ = βᵢ·ln(1 + x/kᵢ): f′ᵢ = βᵢ/(kᵢ + x) = λ gives xᵢ = βᵢ/λ − kᵢ, and Σxᵢ = B gives
    // 1/λ = (B + Σk)/Σβ. With these parameters every xᵢ > 0, so this is the optimum (KKT, concave).
    const n = 1000;
    const beta = Array.from({ length: n }, (_, i) => 100 + 50 * (i % 7));
    const k = Array.from({ length: n }, (_, i) => 10 + 5 * (i % 13));
    const budget = 200_000;
    const inv = (budget + k.reduce((s, v) => s + v, 0)) / beta.reduce((s, v) => s + v, 0);
    const want = beta.map((b, i) => b * inv - k[i]!);
    expect(Math.min(...want)).toBeGreaterThan(0);
    const p: AllocationProblem = { budget, channels: beta.map((b, i) => channel(`c${i}`, { type: 'log', beta: b, k: k[i]! })) };
    const best = beta.reduce((s, b, i) => s + b * Math.log1p(want[i]! / k[i]!), 0);
    const r = allocateBudget(p);
    expectSound(p, r);
    expect(r.gap).toBeLessThanOrEqual(1e-9);
    expect(rel(r.objective, best)).toBeLessThanOrEqual(1e-9);
    expect(r.upperBound).toBeGreaterThanOrEqual(best * (1 - 1e-12));
    const worst = Math.max(...want.map((w, i) => Math.abs(x(r, `c${i}`) - w)));
    expect(worst).toBeLessThanOrEqual(1e-6 * budget);
  });
});

describe('certified allocateBudget: infeasible problems name their cause', () => {
  const f: CurveSpec = { type: 'exp', beta: 1000, k: 100 };
  const g: CurveSpec = { type: 'log', beta: 500, k: 100 };

  it('channel minimums above the budget', () => {
    // 600 + 500 > 1000 for revenue and for profit alike.
    expectInfeasible({ budget: 1000, channels: [channel('a', f, { min: 600 }), channel('b', g, { min: 500 })] }, /min/i);
    expectInfeasible({ budget: 1000, objective: 'profit', margin: 2, channels: [channel('a', f, { min: 600 }), channel('b', g, { min: 500 })] }, /min/i);
  });

  it('a group max below the minimums of its channels', () => {
    // Group "brand-core" may spend at most 50, but its channels must spend 40 + 30 = 70.
    expectInfeasible({
      budget: 1000,
      channels: [channel('a', f, { min: 40, group: 'brand-core' }), channel('b', g, { min: 30, group: 'brand-core' }), channel('c', g)],
      groups: [{ id: 'brand-core', max: 50 }],
    }, /brand-core/);
  });

  it('a group min above the caps of its channels', () => {
    // Group "social" must spend at least 500, but its channels are capped at 100 + 200 = 300.
    expectInfeasible({
      budget: 1000,
      channels: [channel('a', f, { max: 100, group: 'social' }), channel('b', g, { max: 200, group: 'social' }), channel('c', g)],
      groups: [{ id: 'social', min: 500 }],
    }, /social/);
  });

  it('a ROAS floor no allocation reaches', () => {
    // Concave with f(0) = 0: f(x)/x ≤ f′(0), which is 10 for a and 5 for b, so Σf/Σx ≤ 10 < 12.
    // a's min of 10 rules out spending nothing.
    expectInfeasible({ budget: 1000, minRoas: 12, channels: [channel('a', f, { min: 10 }), channel('b', g)] }, /roas/i);
    expectInfeasible({ budget: 1000, objective: 'profit', margin: 2, minRoas: 12, channels: [channel('a', f, { min: 10 }), channel('b', g)] }, /roas/i);
  });

  it('caps below the budget for revenue (which must spend it all)', () => {
    // 300 + 400 < 1000 and no ROAS floor allows under-spending.
    expectInfeasible({ budget: 1000, channels: [channel('a', f, { max: 300 }), channel('b', g, { max: 400 })] }, /max|cap/i);
  });
});
