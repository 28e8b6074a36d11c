/**
 * The true best split of a budget over channels with known (ground-truth) response curves, used
 * to judge spendflow's allocations against the truth. Curves may be S-shaped (Hill with s > 1), so
 * the objective is not concave: the solver runs from two starts (the clamped even split and a
 * greedy that buys the chunk with the best average return), refines each with exhaustive pairwise
 * transfers on a grid of budget/10000, and keeps the better result.
 */
import { SpendflowError } from '../errors.ts';
import { curveValue } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';

export interface OracleProblem {
  readonly curves: readonly CurveSpec[];
  readonly budget: number;
  /** Per channel, same order as `curves`. */
  readonly min: readonly number[];
  readonly max: readonly number[];
}

/** Transfers smaller than budget / REFINE_STEPS are not searched. */
const REFINE_STEPS = 10_000;
/** Greedy chunks are multiples of budget / GREEDY_STEPS. */
const GREEDY_STEPS = 400;
const MAX_SWEEPS = 200;

/**
 * Σ clamp(λ, minᵢ, maxᵢ) = budget, solved for λ by bisection: an even split that respects the
 * bounds, with what a capped channel cannot take spread evenly over the others.
 */
export function evenSplit(budget: number, min: readonly number[], max: readonly number[]): number[] {
  checkFeasible(budget, min, max);
  const clampAt = (level: number): number[] => min.map((lo, i) => Math.min(max[i] ?? Infinity, Math.max(lo, level)));
  const total = (level: number): number => clampAt(level).reduce((s, v) => s + v, 0);
  let lo = 0;
  let hi = budget + Math.max(0, ...min);
  for (let i = 0; i < 200 && hi - lo > 1e-12 * (1 + budget); i++) {
    const mid = (lo + hi) / 2;
    if (total(mid) < budget) lo = mid;
    else hi = mid;
  }
  const x = clampAt((lo + hi) / 2);
  // Bisection leaves a tiny residual; give it to the channels strictly inside their bounds.
  const free = x.flatMap((v, i) => (v > (min[i] ?? 0) && v < (max[i] ?? Infinity) ? [i] : []));
  const residual = budget - x.reduce((s, v) => s + v, 0);
  if (free.length === 0) return x;
  const level = (x[free[0] ?? 0] ?? 0) + residual / free.length;
  for (const i of free) x[i] = level;
  return x;
}

export function totalResponse(curves: readonly CurveSpec[], x: readonly number[]): number {
  return curves.reduce((s, c, i) => s + curveValue(c, x[i] ?? 0), 0);
}

export function solveOracle(problem: OracleProblem): number[] {
  const { curves, budget, min, max } = problem;
  if (min.length !== curves.length || max.length !== curves.length) {
    throw new SpendflowError('INTERNAL', 'oracle: curves, min and max must have the same length');
  }
  checkFeasible(budget, min, max);
  const starts = [evenSplit(budget, min, max), greedyStart(problem)];
  let best: number[] | undefined;
  let bestValue = -Infinity;
  for (const start of starts) {
    const x = refinePairwise(problem, start);
    const value = totalResponse(curves, x);
    if (value > bestValue) {
      best = x;
      bestValue = value;
    }
  }
  return best ?? starts[0] ?? [];
}

function checkFeasible(budget: number, min: readonly number[], max: readonly number[]): void {
  const minSum = min.reduce((s, v) => s + v, 0);
  const maxSum = max.reduce((s, v) => s + v, 0);
  const slack = 1e-9 * Math.max(1, budget);
  const crossed = min.findIndex((lo, i) => !(lo >= 0 && lo <= (max[i] ?? Infinity)));
  if (!Number.isFinite(budget) || budget < 0 || crossed >= 0 || minSum > budget + slack || maxSum < budget - slack) {
    throw new SpendflowError(
      'PROBLEM_INFEASIBLE',
      crossed >= 0
        ? `channel ${crossed}: min ${min[crossed]} is negative or above max ${max[crossed]}`
        : `budget ${budget} is outside [Σmin ${minSum}, Σmax ${maxSum}]`,
    );
  }
}

/**
 * From the minimums, repeatedly buys the chunk (channel, size) with the best average return per
 * unit, chunk sizes being multiples of budget / GREEDY_STEPS up to what the channel can take. Looking
 * at whole chunks, not only the next increment, lets it climb over the flat start of an S-curve.
 */
function greedyStart({ curves, budget, min, max }: OracleProblem): number[] {
  const x = [...min];
  const step = budget / GREEDY_STEPS;
  let remaining = budget - min.reduce((s, v) => s + v, 0);
  while (remaining > 1e-9 * Math.max(1, budget)) {
    let bestI = -1;
    let bestH = 0;
    let bestRate = -Infinity;
    curves.forEach((curve, i) => {
      const xi = x[i] ?? 0;
      const room = Math.min(remaining, (max[i] ?? Infinity) - xi);
      if (room <= 0) return;
      const base = curveValue(curve, xi);
      for (let k = 1; ; k++) {
        const h = Math.min(k * step, room);
        const rate = (curveValue(curve, xi + h) - base) / h;
        if (rate > bestRate) {
          bestRate = rate;
          bestI = i;
          bestH = h;
        }
        if (h >= room) break;
      }
    });
    if (bestI < 0) break;
    x[bestI] = (x[bestI] ?? 0) + bestH;
    remaining -= bestH;
  }
  return x;
}

/**
 * For every pair (i, j), scans all transfers h from j to i (negative: from i to j) on the grid
 * budget/REFINE_STEPS plus the two bound-hitting extremes, and makes the best improving one. Stops
 * when a full sweep finds no improving transfer of size ≥ budget/REFINE_STEPS.
 */
function refinePairwise({ curves, budget, min, max }: OracleProblem, start: readonly number[]): number[] {
  const x = [...start];
  const delta = budget / REFINE_STEPS;
  if (delta <= 0) return x;
  const n = curves.length;
  for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
    let moved = false;
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        if (bestTransfer(curves, x, min, max, i, j, delta)) moved = true;
      }
    }
    if (!moved) break;
  }
  return x;
}

function bestTransfer(
  curves: readonly CurveSpec[],
  x: number[],
  min: readonly number[],
  max: readonly number[],
  i: number,
  j: number,
  delta: number,
): boolean {
  const ci = curves[i];
  const cj = curves[j];
  const xi = x[i] ?? 0;
  const xj = x[j] ?? 0;
  const mi = min[i] ?? 0;
  const mj = min[j] ?? 0;
  const Mi = max[i] ?? Infinity;
  const Mj = max[j] ?? Infinity;
  if (!ci || !cj) return false;
  const lo = -Math.min(xi - mi, Mj - xj);
  const hi = Math.min(Mi - xi, xj - mj);
  if (!(hi - lo > 0)) return false;
  const base = curveValue(ci, xi) + curveValue(cj, xj);
  const tolerance = 1e-12 * (Math.abs(base) + 1);
  const gainAt = (h: number): number => curveValue(ci, xi + h) + curveValue(cj, xj - h) - base;
  let bestH = 0;
  let bestGain = tolerance;
  const consider = (h: number): void => {
    if (Math.abs(h) < delta * (1 - 1e-9)) return;
    const gain = gainAt(h);
    if (gain > bestGain) {
      bestGain = gain;
      bestH = h;
    }
  };
  consider(lo);
  for (let k = Math.ceil(lo / delta); k * delta <= hi; k++) consider(k * delta);
  consider(hi);
  if (bestH === 0) return false;
  const pair = xi + xj;
  const newI = bestH === lo ? (lo === -(xi - mi) ? mi : pair - Mj) : bestH === hi ? (hi === Mi - xi ? Mi : pair - mj) : xi + bestH;
  x[i] = Math.min(Mi, Math.max(mi, newI));
  x[j] = Math.min(Mj, Math.max(mj, pair - (x[i] ?? 0)));
  return true;
}
