/**
 * Checks of the test machinery itself (no solver involved): the grid reference against brute-force
 * enumeration and against the equal-marginal (KKT) optimum, the independent feasibility checker on
 * the reference's own allocations, and the generator's coverage of the cases it promises.
 */
import { describe, expect, it } from 'vitest';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../../../src/model/curves/types.ts';
import type { AllocationProblem, ChannelProblem, GroupConstraint } from '../../../../src/optimizer/problem.ts';
import { seededRandom, type Random } from '../../../../src/random.ts';
import { problemJson, recompute, violations } from './check.ts';
import { feasibleKinds, generateInfeasible, generateProblem, infeasibleCauses } from './random-problems.ts';
import { referenceSolve, responseProfile, roasUpperBound } from './reference.ts';

/** Every grid allocation, checked with the independent checker: the best objective, or null. */
function bruteForce(p: AllocationProblem, step: number): number | null {
  const units = Math.round(p.budget / step);
  const n = p.channels.length;
  const u = new Array<number>(n).fill(0);
  let best: number | null = null;
  const visit = (i: number, used: number): void => {
    if (i === n) {
      const alloc = Object.fromEntries(p.channels.map((c, j) => [c.id, u[j]! * step]));
      if (violations(p, alloc, 1e-9).length > 0) return;
      const spend = used * step;
      if ((p.minRoas ?? null) !== null && spend === 0) return; // Σf/Σx undefined: never meets a floor
      const { objective } = recompute(p, alloc);
      if (best === null || objective > best) best = objective;
      return;
    }
    for (let k = 0; used + k <= units; k++) {
      u[i] = k;
      visit(i + 1, used + k);
    }
  };
  visit(0, 0);
  return best;
}

function tinyCurve(rng: Random): CurveSpec {
  switch (rng.int(4)) {
    case 0: return { type: 'exp', beta: 5 + 20 * rng.next(), k: 2 + 10 * rng.next() };
    case 1: return { type: 'log', beta: 2 + 10 * rng.next(), k: 1 + 5 * rng.next() };
    case 2: return { type: 'hill', beta: 5 + 20 * rng.next(), k: 2 + 8 * rng.next(), s: 0.5 + 0.5 * rng.next() };
    default: return { type: 'hill', beta: 5 + 20 * rng.next(), k: 2 + 8 * rng.next(), s: 1.5 + 2 * rng.next() };
  }
}

/** Tiny problems (2–3 channels, 12 grid units of 1) with every kind of constraint, feasible or not. */
function tinyProblem(rng: Random): AllocationProblem {
  const n = 2 + rng.int(2);
  const budget = 12;
  const maxChange = rng.next() < 0.3 ? 0.5 : undefined;
  const channels: ChannelProblem[] = Array.from({ length: n }, (_, i) => {
    const min = rng.next() < 0.3 ? 1 + rng.int(3) : 0;
    const max = rng.next() < 0.4 ? min + 2 + rng.int(8) : Infinity;
    const current = rng.next() < 0.4 ? 2 * (1 + rng.int(4)) : undefined;
    const locked = current !== undefined && rng.next() < 0.3;
    const group = rng.next() < 0.4 ? 'g' : undefined;
    return {
      id: `t${i}`, curve: tinyCurve(rng), min, max,
      ...(current !== undefined ? { current } : {}),
      ...(locked ? { locked } : {}),
      ...(group ? { group } : {}),
    };
  });
  const groups: GroupConstraint[] = channels.some((c) => c.group) ? [{ id: 'g', ...(rng.next() < 0.5 ? { min: 2 + rng.int(5) } : {}), ...(rng.next() < 0.6 ? { max: 3 + rng.int(6) } : {}) }] : [];
  const profit = rng.next() < 0.4;
  return {
    budget,
    channels,
    ...(groups.length ? { groups } : {}),
    ...(maxChange !== undefined ? { maxChange } : {}),
    ...(profit ? { objective: 'profit' as const, margin: 0.5 + 2 * rng.next() } : {}),
    ...(rng.next() < 0.3 ? { minRoas: 0.3 + 2 * rng.next() } : {}),
  };
}

describe('grid reference: agrees with brute-force enumeration on tiny problems', () => {
  const rng = seededRandom(4242);
  const problems = Array.from({ length: 300 }, () => tinyProblem(rng));
  it('matches every optimum and every infeasibility verdict, and its allocations pass the checker', () => {
    let feasible = 0;
    for (const p of problems) {
      const ref = referenceSolve(p, 1);
      const brute = bruteForce(p, 1);
      const ctx = problemJson(p);
      expect(ref.aligned, ctx).toBe(true);
      expect(ref.feasible, ctx).toBe(brute !== null);
      if (brute === null) continue;
      feasible++;
      expect(Math.abs(ref.value - brute), ctx).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(brute)));
      expect(violations(p, ref.allocation, 1e-9), ctx).toEqual([]);
      expect(Math.abs(recompute(p, ref.allocation).objective - ref.value), ctx).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(ref.value)));
    }
    // Both verdicts occur, so the comparison covered each.
    expect(feasible).toBeGreaterThan(100);
    expect(feasible).toBeLessThan(problems.length);
  });
});

describe('grid reference: close to the equal-marginal optimum on concave problems', () => {
  const slope = (c: CurveSpec, x: number): number => {
    if (c.type === 'exp') return (c.beta / c.k) * Math.exp(-x / c.k);
    if (c.type === 'log') return c.beta / (c.k + x);
    if (x <= 0) return Infinity;
    const r = (x / c.k) ** c.s;
    return (c.beta * c.s * r) / (x * (1 + r) ** 2);
  };
  /** Spend where a concave f has slope λ (uncapped, min 0), by bisection. */
  const spendAt = (c: CurveSpec, lambda: number, cap: number): number => {
    if (slope(c, 0) <= lambda) return 0;
    if (slope(c, cap) >= lambda) return cap;
    let a = 0;
    let b = cap;
    for (let i = 0; i < 200; i++) {
      const m = (a + b) / 2;
      if (slope(c, m) > lambda) a = m;
      else b = m;
    }
    return (a + b) / 2;
  };

  it.each(Array.from({ length: 20 }, (_, i) => i))('concave problem %i', (i) => {
    const g = generateProblem('concave', i);
    const p = g.problem;
    const curves = p.channels.map((c) => c.curve);
    const total = (lambda: number) => curves.reduce((s, c) => s + spendAt(c, lambda, p.budget), 0);
    let lo = Math.log(1e-12);
    let hi = Math.log(1e12);
    for (let k = 0; k < 200; k++) {
      const m = (lo + hi) / 2;
      if (total(Math.exp(m)) > p.budget) lo = m;
      else hi = m;
    }
    const lambda = Math.exp((lo + hi) / 2);
    const kkt = curves.reduce((s, c) => s + curveValue(c, spendAt(c, lambda, p.budget)), 0);
    const ref = referenceSolve(p, g.step);
    // A grid point is feasible: never above the optimum; and the grid is fine enough to be within 1e-3.
    expect(ref.value).toBeLessThanOrEqual(kkt * (1 + 1e-9));
    expect(ref.value).toBeGreaterThanOrEqual(kkt * (1 - 1e-3));
  });
});

describe('generated problems', () => {
  it.each(feasibleKinds.map((k) => [k]))('%s: on the grid, and the reference allocation passes the independent checker', (kind) => {
    for (let i = 0; i < 60; i++) {
      const g = generateProblem(kind, i);
      const ref = referenceSolve(g.problem, g.step);
      const ctx = `${g.label}: ${problemJson(g.problem)}`;
      expect(ref.aligned, ctx).toBe(true);
      const units = g.problem.budget / g.step;
      expect(Number.isInteger(units) && units >= 200 && units <= 400, ctx).toBe(true);
      expect(g.problem.channels.length >= 2 && g.problem.channels.length <= 5, ctx).toBe(true);
      if (!ref.feasible) continue;
      expect(violations(g.problem, ref.allocation, 1e-9 * g.problem.budget), ctx).toEqual([]);
      expect(recompute(g.problem, ref.allocation).objective).toBeCloseTo(ref.value, 6);
    }
  });

  it('cover what they promise: S-shaped and concave curves, binding and slack ROAS floors, profit optima below and at the budget, groups with min and max', () => {
    const all = feasibleKinds.flatMap((kind) => Array.from({ length: 60 }, (_, i) => ({ kind, g: generateProblem(kind, i) })));
    const of = (kind: string) => all.filter((a) => a.kind === kind).map((a) => a.g);
    expect(of('concave').every((g) => g.allConcave)).toBe(true);
    expect(of('s-shaped').every((g) => !g.allConcave)).toBe(true);
    // Every feasible kind but `groups`/`mixed` is feasible by construction.
    for (const kind of ['concave', 'concave-bounds', 's-shaped', 'max-change', 'locked', 'min-roas', 'profit']) {
      expect(of(kind).every((g) => referenceSolve(g.problem, g.step).feasible), kind).toBe(true);
    }
    let roasBinding = 0;
    let roasSlack = 0;
    for (const g of of('min-roas')) {
      const ref = referenceSolve(g.problem, g.step);
      // The same problem with a floor every positive spend meets: the best response under Σx ≤ budget.
      const free = referenceSolve({ ...g.problem, minRoas: Number.MIN_VALUE }, g.step);
      if (ref.value < free.value * (1 - 1e-12)) roasBinding++;
      else roasSlack++;
    }
    expect(roasBinding).toBeGreaterThanOrEqual(10);
    expect(roasSlack).toBeGreaterThanOrEqual(10);
    let under = 0;
    let full = 0;
    for (const g of of('profit')) {
      const ref = referenceSolve(g.problem, g.step);
      if (ref.spend < g.problem.budget) under++;
      else full++;
    }
    expect(under).toBeGreaterThanOrEqual(10);
    expect(full).toBeGreaterThanOrEqual(10);
    const groups = of('groups').flatMap((g) => g.problem.groups ?? []);
    expect(groups.some((gr) => gr.min !== undefined && gr.max !== undefined)).toBe(true);
    expect(groups.some((gr) => gr.min !== undefined && gr.max === undefined)).toBe(true);
    expect(groups.some((gr) => gr.min === undefined && gr.max !== undefined)).toBe(true);
    expect(of('groups').some((g) => (g.problem.groups ?? []).length === 2)).toBe(true);
    expect(of('max-change').every((g) => g.problem.maxChange !== undefined)).toBe(true);
    expect(of('locked').every((g) => g.problem.channels.some((c) => c.locked))).toBe(true);
    expect(of('profit').some((g) => g.problem.minRoas !== undefined)).toBe(true);
  });

  it.each(infeasibleCauses.map((c) => [c]))('infeasible %s: the reference finds no grid point', (cause) => {
    for (let i = 0; i < 10; i++) {
      const g = generateInfeasible(cause, i);
      expect(referenceSolve(g.problem, g.step).feasible, `${g.label}: ${problemJson(g.problem)}`).toBe(false);
    }
  });

  it('roasUpperBound bounds the best grid ROAS', () => {
    for (let i = 0; i < 20; i++) {
      const g = generateProblem('concave-bounds', i);
      const p = { ...g.problem, channels: g.problem.channels.map((c) => ({ ...c, min: Math.max(c.min, g.step) })) };
      const profile = responseProfile(p, g.step);
      let best = 0;
      for (let b = 1; b <= profile.units; b++) if (profile.best[b]! > -Infinity) best = Math.max(best, profile.best[b]! / (b * g.step));
      expect(roasUpperBound(p)).toBeGreaterThanOrEqual(best);
    }
  });
});
