import type { AllocationProblem } from './problem.ts';

export interface EffectiveBounds {
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** Budget that can actually be spent: the stated budget, or Σ hi when the caps are lower. */
  readonly budget: number;
  readonly relaxations: string[];
  /** Which limit makes each bound: 'min' | 'max' | 'maxChange'. */
  readonly loKind: ('min' | 'maxChange')[];
  readonly hiKind: ('max' | 'maxChange')[];
}

/**
 * The box each channel's spend must stay in: [min, max] intersected with the max-change band
 * around its current spend. The hard limits (budget, min, max) are never relaxed; when the band
 * makes the budget impossible to meet exactly, the band is dropped and that is reported. When
 * Σ max < budget, the caps win and the budget is under-spent (never over-spent).
 */
export function effectiveBounds(problem: AllocationProblem): EffectiveBounds {
  const n = problem.channels.length;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const loKind: ('min' | 'maxChange')[] = [];
  const hiKind: ('max' | 'maxChange')[] = [];
  const relaxations: string[] = [];
  const band = problem.maxChange;
  problem.channels.forEach((c, i) => {
    lo[i] = c.min;
    hi[i] = c.max;
    loKind[i] = 'min';
    hiKind[i] = 'max';
    if (band !== undefined && c.current !== undefined) {
      const down = c.current * (1 - band);
      const up = c.current * (1 + band);
      if (down > lo[i]!) {
        lo[i] = Math.min(down, hi[i]!);
        loKind[i] = 'maxChange';
      }
      if (up < hi[i]!) {
        hi[i] = Math.max(up, lo[i]!);
        hiKind[i] = 'maxChange';
      }
    }
  });
  const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);
  if (band !== undefined && (sum(lo) > problem.budget || sum(hi) < problem.budget)) {
    relaxations.push(`maxChange ±${Math.round(band * 100)}% dropped: the budget cannot be met within it`);
    problem.channels.forEach((c, i) => {
      lo[i] = c.min;
      hi[i] = c.max;
      loKind[i] = 'min';
      hiKind[i] = 'max';
    });
  }
  let budget = problem.budget;
  if (sum(hi) < budget) {
    budget = sum(hi);
    relaxations.push(`budget under-spent: channel caps allow only ${budget.toFixed(2)} of ${problem.budget.toFixed(2)}`);
  }
  if (sum(lo) > problem.budget) {
    relaxations.push(`channel minimums (${sum(lo).toFixed(2)}) exceed the budget; minimums scaled down to fit`);
    const scale = problem.budget / sum(lo);
    for (let i = 0; i < n; i++) lo[i] = lo[i]! * scale;
    budget = problem.budget;
  }
  return { lo, hi, budget, relaxations, loKind, hiKind };
}

/**
 * Euclidean projection of x onto {lo ≤ x ≤ hi, Σx = budget}: xᵢ = clamp(xᵢ + τ), with the shift τ
 * found by bisection (Σ clamp(x + τ) is non-decreasing in τ). Assumes Σlo ≤ budget ≤ Σhi.
 */
export function projectOntoBudget(x: ArrayLike<number>, lo: Float64Array, hi: Float64Array, budget: number): Float64Array {
  const n = lo.length;
  const clampSum = (tau: number) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.min(hi[i]!, Math.max(lo[i]!, (x[i] ?? 0) + tau));
    return s;
  };
  let a = -budget - 1;
  let b = budget + 1;
  for (let i = 0; i < n; i++) {
    a = Math.min(a, lo[i]! - (x[i] ?? 0));
    if (Number.isFinite(hi[i]!)) b = Math.max(b, hi[i]! - (x[i] ?? 0));
  }
  for (let iter = 0; iter < 200 && b - a > 1e-12 * (1 + Math.abs(budget)); iter++) {
    const mid = (a + b) / 2;
    if (clampSum(mid) < budget) a = mid;
    else b = mid;
  }
  const tau = (a + b) / 2;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.min(hi[i]!, Math.max(lo[i]!, (x[i] ?? 0) + tau));
  // Put the bisection's tiny residual on a channel with room, so Σ = budget to rounding.
  const residual = budget - out.reduce((s, v) => s + v, 0);
  for (let i = 0; i < n && residual !== 0; i++) {
    const v = out[i]! + residual;
    if (v >= lo[i]! && v <= hi[i]!) {
      out[i] = v;
      break;
    }
  }
  return out;
}
