/**
 * Simulated annealing over budget splits, warm-started from a feasible point. A move shifts an
 * amount from one channel to another, so every state keeps Σx = budget and stays in its box;
 * worse moves are accepted with probability e^(Δ/T) while the temperature cools geometrically.
 * The best state seen is returned, and it is never worse than the start.
 */
import { curveValue } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';
import { seededRandom } from '../random.ts';
import { polishMembers } from './polish.ts';

export interface AnnealInput {
  readonly curves: readonly CurveSpec[];
  readonly lo: Float64Array;
  readonly hi: Float64Array;
  /** A feasible start: lo ≤ start ≤ hi, Σ start = budget. */
  readonly start: Float64Array;
  readonly iterations: number;
  readonly seed: number;
  /**
   * Optional class per channel: money only moves between channels of the same class, so class
   * totals (group sums) stay as in the start.
   */
  readonly classOf?: Int32Array;
}

export interface AnnealOutput {
  readonly x: Float64Array;
  readonly value: number;
  readonly startValue: number;
  readonly accepted: number;
}

function total(curves: readonly CurveSpec[], x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += curveValue(curves[i]!, x[i]!);
  return s;
}

export function anneal(input: AnnealInput): AnnealOutput {
  const { curves, lo, hi, iterations } = input;
  const n = curves.length;
  const rng = seededRandom(input.seed);
  const x = Float64Array.from(input.start);
  const startValue = total(curves, x);
  let value = startValue;
  let best: Float64Array = Float64Array.from(x);
  let bestValue = value;
  let accepted = 0;
  if (n < 2 || iterations <= 0) return { x: best, value: bestValue, startValue, accepted };

  const budget = x.reduce((s, v) => s + v, 0);
  // Temperature in units of the objective: start where a move worth 0.5% of the objective is
  // accepted with probability 1/e, cool to a millionth of that.
  const t0 = Math.max(Math.abs(startValue) * 0.005, 1e-9);
  const cooling = Math.pow(1e-6, 1 / iterations);
  let temperature = t0;
  // Step size, as a fraction of the budget, shrinks with the temperature.
  const step0 = 0.2;
  const classMembers = input.classOf ? groupByClass(input.classOf) : null;
  for (let it = 0; it < iterations; it++) {
    const i = rng.int(n);
    let j: number;
    if (classMembers) {
      const members = classMembers.get(input.classOf![i]!)!;
      if (members.length < 2) {
        temperature *= cooling;
        continue;
      }
      j = members[rng.int(members.length)]!;
      if (j === i) {
        temperature *= cooling;
        continue;
      }
    } else {
      j = rng.int(n - 1);
      if (j >= i) j++;
    }
    const room = Math.min(x[i]! - lo[i]!, hi[j]! - x[j]!);
    if (room > 0) {
      const scale = step0 * budget * Math.pow(temperature / t0, 0.5) + 1e-9 * budget;
      const delta = Math.min(room, rng.next() * scale);
      const ci = curves[i]!;
      const cj = curves[j]!;
      const gain =
        curveValue(ci, x[i]! - delta) - curveValue(ci, x[i]!) + curveValue(cj, x[j]! + delta) - curveValue(cj, x[j]!);
      if (gain >= 0 || rng.next() < Math.exp(gain / temperature)) {
        x[i] = x[i]! - delta;
        x[j] = x[j]! + delta;
        value += gain;
        accepted++;
        if (value > bestValue) {
          bestValue = value;
          best = Float64Array.from(x);
        }
      }
    }
    temperature *= cooling;
  }
  if (!classMembers) {
    const polished = polishPairwise(curves, lo, hi, best);
    const polishedValue = total(curves, polished);
    if (polishedValue > bestValue) {
      best = polished;
      bestValue = polishedValue;
    }
  }
  // Recompute exactly: the running sum drifts by rounding.
  bestValue = total(curves, best);
  if (bestValue < startValue) return { x: Float64Array.from(input.start), value: startValue, startValue, accepted };
  return { x: best, value: bestValue, startValue, accepted };
}

function groupByClass(classOf: Int32Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  classOf.forEach((c, i) => out.set(c, [...(out.get(c) ?? []), i]));
  return out;
}

/** The pairwise polish over all channels (see polish.ts), from a copy of `start`. */
export function polishPairwise(curves: readonly CurveSpec[], lo: Float64Array, hi: Float64Array, start: Float64Array): Float64Array {
  const x = Float64Array.from(start);
  const budget = x.reduce((s, v) => s + v, 0);
  polishMembers(curves, lo, hi, x, [...x.keys()], { firstStep: budget * 0.05, minStep: budget * 1e-9, rounds: 2000 });
  return x;
}
