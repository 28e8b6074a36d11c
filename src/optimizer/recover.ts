/**
 * From the envelope optimum to a good true allocation when some curves are S-shaped. The
 * envelope solution may leave a channel part-way along a straight stretch, where the envelope
 * overstates the curve. Each such channel is rounded down (to its box bottom) or up (onto its
 * concave side of its inflection), the problem is re-solved exactly with those choices, single flips are tried, and
 * the best true allocation wins — the envelope point itself (always feasible) included. A final
 * pairwise polish moves money between channels of the same group (or between ungrouped ones),
 * which keeps every constraint and only ever raises the objective.
 */
import { curveInflection, curveValue } from '../model/curves/registry.ts';
import { channelShape } from './channel-shape.ts';
import { solveEnvelope } from './envelope-solve.ts';
import { polishMembers } from './polish.ts';
import type { Prepared } from './prepare.ts';

const MAX_FLIPS = 12;
/** The polish costs O(rounds × class size); past this size the relaxation gap is tiny anyway. */
const MAX_POLISH_CLASS = 200;

export function trueValue(prep: Prepared, x: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += curveValue(prep.shapes[i]!.curve, x[i]!);
  return s;
}

/** Channels sitting strictly inside a straight envelope stretch. */
export function fractionalChannels(prep: Prepared, x: Float64Array): number[] {
  const out: number[] = [];
  prep.shapes.forEach((sh, i) => {
    if (sh.kind === 'concave') return;
    const eps = 1e-9 * Math.max(1, sh.knee);
    if (x[i]! > sh.lo + eps && x[i]! < sh.knee - eps) out.push(i);
  });
  return out;
}

/** The same problem with some channel boxes narrowed; null when a group can no longer be met. */
export function withBoxes(prep: Prepared, boxes: ReadonlyMap<number, readonly [number, number]>): Prepared | null {
  const shapes = prep.shapes.slice();
  const lo = Float64Array.from(prep.lo);
  const hi = Float64Array.from(prep.hi);
  for (const [i, [a, b]] of boxes) {
    lo[i] = a;
    hi[i] = b;
    shapes[i] = channelShape(prep.shapes[i]!.curve, a, b);
  }
  let minSpend = 0;
  let maxSpend = 0;
  for (const i of prep.ungrouped) {
    minSpend += lo[i]!;
    maxSpend += hi[i]!;
  }
  const groups = [];
  for (const g of prep.groups) {
    const sumLo = g.members.reduce((s, i) => s + lo[i]!, 0);
    const sumHi = g.members.reduce((s, i) => s + hi[i]!, 0);
    const lower = Math.max(g.statedMin, sumLo);
    const upper = Math.min(g.statedMax, sumHi);
    if (lower > upper + 1e-9 * Math.max(1, upper)) return null;
    groups.push({ ...g, lower, upper });
    minSpend += lower;
    maxSpend += upper;
  }
  return { ...prep, shapes, lo, hi, groups, minSpend, maxSpend };
}

/** Rounds a channel down (to its box bottom) or up (onto the concave side of its inflection). */
function withChoices(prep: Prepared, choices: ReadonlyMap<number, boolean>): Prepared | null {
  const boxes = new Map<number, readonly [number, number]>();
  for (const [i, up] of choices) {
    const sh = prep.shapes[i]!;
    boxes.set(i, up ? [Math.min(sh.hi, Math.max(sh.lo, curveInflection(sh.curve))), sh.hi] : [sh.lo, sh.lo]);
  }
  return withBoxes(prep, boxes);
}

function solveWith(prep: Prepared, choices: ReadonlyMap<number, boolean>, total: number, price: number): Float64Array | null {
  const p = withChoices(prep, choices);
  const tol = 1e-9 * Math.max(1, total);
  if (!p || total < p.minSpend - tol || total > p.maxSpend + tol) return null;
  return solveEnvelope(p, total, price).x;
}

export function recoverAllocation(prep: Prepared, envelopeX: Float64Array, total: number, price: number): { x: Float64Array; resolves: number } {
  let best: Float64Array = Float64Array.from(envelopeX);
  let bestValue = trueValue(prep, best);
  const fractional = fractionalChannels(prep, envelopeX);
  let resolves = 0;
  if (fractional.length > 0) {
    const fraction = (i: number) => {
      const sh = prep.shapes[i]!;
      return (envelopeX[i]! - sh.lo) / (sh.knee - sh.lo);
    };
    const choices = new Map(fractional.map((i) => [i, fraction(i) >= 0.5]));
    const consider = (c: ReadonlyMap<number, boolean>) => {
      resolves++;
      const x = solveWith(prep, c, total, price);
      if (!x) return false;
      const v = trueValue(prep, x);
      if (v > bestValue) {
        best = x;
        bestValue = v;
        return true;
      }
      return false;
    };
    consider(choices);
    const order = [...fractional].sort((a, b) => Math.abs(fraction(a) - 0.5) - Math.abs(fraction(b) - 0.5));
    // Each flip is a full re-solve: many for small problems, where one channel matters, few for
    // large ones, where the relaxation gap is spread thin anyway.
    const flips = prep.shapes.length <= 200 ? MAX_FLIPS : 2;
    for (const i of order.slice(0, flips)) {
      const flipped = new Map(choices);
      flipped.set(i, !choices.get(i));
      if (consider(flipped)) choices.set(i, !choices.get(i));
    }
  }
  return { x: polishWithinClasses(prep, best), resolves };
}

/**
 * Moves money from the lowest to the highest marginal return within each class (a group, or
 * all ungrouped channels), halving the step when no move helps. Class totals, boxes and hence
 * every constraint stay as they were; each accepted move raises Σf.
 */
export function polishWithinClasses(prep: Prepared, start: Float64Array): Float64Array {
  const x = Float64Array.from(start);
  const curves = prep.shapes.map((sh) => sh.curve);
  const classes = [prep.ungrouped, ...prep.groups.map((g) => g.members)].filter((c) => c.length > 1 && c.length <= MAX_POLISH_CLASS);
  for (const members of classes) {
    const scale = Math.max(members.reduce((s, i) => s + x[i]!, 0), 1);
    polishMembers(curves, prep.lo, prep.hi, x, members, { firstStep: scale * 0.01, minStep: 1e-12 * scale, rounds: 400 });
  }
  return x;
}
