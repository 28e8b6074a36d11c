/**
 * Searching the Lagrangian dual for a tighter certificate when the bound at the solution's own
 * prices leaves a gap (ROAS floors, forced spend, profit at a corner). The dual function is convex
 * in its multipliers, so it is unimodal along the budget price π (for a fixed ROAS weight ν) and,
 * after minimising over π, along ν: nested golden-section searches find its minimum. Any point
 * searched gives a valid bound; the search only makes it smaller.
 */
import { dualAtPrice, groupDualTerm, type EnvelopeSolution } from './envelope-solve.ts';
import type { Prepared } from './prepare.ts';

export interface BoundTerms {
  readonly w: number;
  readonly c: number;
  readonly budget: number;
  readonly equality: boolean;
  /** The ROAS floor, or null. */
  readonly r: number | null;
}

const PHI = (Math.sqrt(5) - 1) / 2;

function goldenMin(f: (t: number) => number, a: number, b: number, steps: number): number {
  let x1 = b - PHI * (b - a);
  let x2 = a + PHI * (b - a);
  let f1 = f(x1);
  let f2 = f(x2);
  let best = Math.min(f1, f2);
  for (let i = 0; i < steps; i++) {
    if (f1 <= f2) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - PHI * (b - a);
      f1 = f(x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + PHI * (b - a);
      f2 = f(x2);
    }
    best = Math.min(best, f1, f2);
  }
  return best;
}

/**
 * The dual function at budget price π and ROAS weight ν, with each group's own price chosen
 * optimally (a one-dimensional convex problem per group, independent of the others).
 */
function dualAt(prep: Prepared, terms: BoundTerms, price: number, nu: number, steps: number, groupHints: Float64Array): number {
  return dualAtPrice(prep, price, { ...terms, nu, r: terms.r ?? 0 }, (j) => {
    const term = (pg: number) => groupDualTerm(prep, j, pg, price);
    const hint = groupHints[j]!;
    return Math.min(
      term(price),
      Number.isFinite(hint) && hint > 0 ? term(hint) : Infinity,
      goldenMin((t) => term(Math.exp(t)), Math.log(price) - 12, Math.log(price) + 12, steps),
    );
  });
}

export function searchDualBound(prep: Prepared, env: EnvelopeSolution, terms: BoundTerms, steps = 40): number {
  const anchor = Number.isFinite(env.price) && env.price > 0 ? env.price : 1 / Math.max(terms.w, 1e-12);
  const at = (price: number, nu: number) => dualAt(prep, terms, price, nu, steps, env.groupPrices);
  const overPrice = (nu: number) => {
    // With an inequality budget the budget multiplier must stay ≥ 0: π ≥ (c + ν·r)/(w + ν).
    const floor = terms.equality ? 0 : (terms.c + nu * (terms.r ?? 0)) / (terms.w + nu);
    const lo = Math.log(Math.max(anchor / 1e4, floor > 0 ? floor : anchor / 1e4));
    const hi = Math.log(Math.max(anchor * 1e4, floor * 10));
    const f = (t: number) => at(Math.exp(t), nu);
    return Math.min(goldenMin(f, lo, hi, steps), floor > 0 ? at(floor, nu) : Infinity, at(Math.max(anchor, floor), nu));
  };
  if (terms.r === null) return overPrice(0);
  // ν = s/(1 − s)·scale maps s ∈ [0, 1) monotonically onto [0, ∞).
  const scale = 1 + anchor;
  return Math.min(overPrice(0), goldenMin((s) => overPrice((s / (1 - s)) * scale), 0, 0.999, Math.round(steps * 0.75)));
}
