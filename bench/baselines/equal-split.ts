/**
 * Baseline for bench/optimizer.ts: the even split budget/n per channel, clamped to each channel's
 * bounds and projected back onto the budget (Euclidean projection, see project.ts).
 */
import { curveValue } from '../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../src/model/curves/types.ts';
import { projectToBudget } from './project.ts';

export function equalSplit(curves: readonly CurveSpec[], lo: Float64Array, hi: Float64Array, budget: number): { x: Float64Array; value: number } {
  const n = curves.length;
  const share = budget / Math.max(n, 1);
  const even = new Float64Array(n);
  for (let i = 0; i < n; i++) even[i] = Math.min(hi[i]!, Math.max(lo[i]!, share));
  const x = projectToBudget(even, lo, hi, budget);
  let value = 0;
  for (let i = 0; i < n; i++) value += curveValue(curves[i]!, x[i]!);
  return { x, value };
}
