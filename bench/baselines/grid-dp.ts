/**
 * A near-exact reference for small problems in bench/optimizer.ts: dynamic programming over the
 * channels on a spend grid (global on the grid, whatever the curve shapes), then a continuous
 * pairwise polish from the grid answer. Cost O(n · steps · steps/n·6), so only for small n. Used to
 * look for a feasible allocation above spendflow's certified upperBound on S-shaped problems,
 * where the Lagrangian bound alone cannot settle it.
 */
import { curveValue } from '../../src/model/curves/registry.ts';
import type { CurveSpec } from '../../src/model/curves/types.ts';
import { polishPairwise } from '../../src/optimizer/annealing.ts';

export function gridDp(
  curves: readonly CurveSpec[],
  lo: Float64Array,
  hi: Float64Array,
  budget: number,
  steps: number,
): { x: Float64Array; value: number } {
  const n = curves.length;
  let floor = 0;
  for (let i = 0; i < n; i++) floor += lo[i]!;
  const h = (budget - floor) / steps;
  // best[b]: the best Σ f over the channels so far with b grid steps spent above their lows.
  let best = new Float64Array(steps + 1).fill(-Infinity);
  best[0] = 0;
  const choice: Int32Array[] = [];
  for (let i = 0; i < n; i++) {
    const room = Math.min(steps, Math.floor((hi[i]! - lo[i]!) / h + 1e-9));
    const values = new Float64Array(room + 1);
    for (let m = 0; m <= room; m++) values[m] = curveValue(curves[i]!, lo[i]! + m * h);
    const next = new Float64Array(steps + 1).fill(-Infinity);
    const pick = new Int32Array(steps + 1);
    for (let b = 0; b <= steps; b++) {
      const top = Math.min(room, b);
      let v = -Infinity;
      let arg = 0;
      for (let m = 0; m <= top; m++) {
        const w = values[m]! + best[b - m]!;
        if (w > v) {
          v = w;
          arg = m;
        }
      }
      next[b] = v;
      pick[b] = arg;
    }
    choice.push(pick);
    best = next;
  }
  const grid = new Float64Array(n);
  let b = steps;
  for (let i = n - 1; i >= 0; i--) {
    const m = choice[i]![b]!;
    grid[i] = lo[i]! + m * h;
    b -= m;
  }
  const x = polishPairwise(curves, lo, hi, grid);
  let value = 0;
  for (let i = 0; i < n; i++) value += curveValue(curves[i]!, x[i]!);
  return { x, value };
}
