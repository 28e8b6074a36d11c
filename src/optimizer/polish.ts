import { curveDerivative, curveValue } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';

/**
 * Deterministic finish: within `members`, repeatedly move money from the channel with the lowest
 * marginal return (that can give) to the one with the highest (that can take), halving the step
 * when no move improves. The members' total and every box stay as they were; each accepted move
 * raises Σf. Converges to equal marginal returns on concave curves. Changes `x` in place.
 */
export function polishMembers(
  curves: readonly CurveSpec[],
  lo: ArrayLike<number>,
  hi: ArrayLike<number>,
  x: Float64Array,
  members: readonly number[],
  limits: { readonly firstStep: number; readonly minStep: number; readonly rounds: number },
): void {
  let step = limits.firstStep;
  for (let round = 0; round < limits.rounds && step > limits.minStep; round++) {
    let giver = -1;
    let taker = -1;
    let dGiver = Infinity;
    let dTaker = -Infinity;
    for (const i of members) {
      const d = curveDerivative(curves[i]!, x[i]!);
      if (x[i]! > lo[i]! && d < dGiver) {
        giver = i;
        dGiver = d;
      }
      if (x[i]! < hi[i]! && d > dTaker) {
        taker = i;
        dTaker = d;
      }
    }
    if (giver < 0 || taker < 0 || giver === taker) break;
    const delta = Math.min(step, x[giver]! - lo[giver]!, hi[taker]! - x[taker]!);
    const cg = curves[giver]!;
    const ct = curves[taker]!;
    const gain = curveValue(cg, x[giver]! - delta) - curveValue(cg, x[giver]!) + curveValue(ct, x[taker]! + delta) - curveValue(ct, x[taker]!);
    if (delta > 0 && gain > 0) {
      x[giver] = x[giver]! - delta;
      x[taker] = x[taker]! + delta;
    } else step /= 2;
  }
}
