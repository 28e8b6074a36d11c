/**
 * An independent reference for `allocateBudget`: exhaustive dynamic programming over a spend grid.
 * It shares nothing with the solver but the problem types and the curve formulas (`curveValue`).
 *
 * Method. Spend is measured in grid units of `step` (h): x = u·h, u an integer. The budget must be
 * a grid point: budget = N·h.
 *  1. Each channel's effective box [lo, hi] = [min, max] ∩ maxChange band (when it has `current`)
 *     ∩ {current} (when locked), converted to units (lo rounded up, hi rounded down; an end within
 *     1e-7 units of a grid point counts as on it). An infinite max is capped at N (no channel can
 *     spend more than the budget). Candidate spends: every grid point in [lo, hi]; box ends are on
 *     the grid when `aligned` is true.
 *  2. Within each group: a knapsack DP over its channels gives G(t) = best Σf of the group for each
 *     group total t (units), set to −∞ outside [group min, group max].
 *  3. Across groups and ungrouped channels: the same DP gives V(b) = best Σf over grid allocations
 *     meeting every box and group bound with Σu = b, for b = 0..N (−∞ when no allocation has that
 *     total).
 *  4. Revenue: V(N). Revenue with minRoas r: max V(b) over 1 ≤ b ≤ N with V(b) ≥ r·b·h (spend 0
 *     never meets a ROAS floor: Σf/Σx is undefined there). Profit: max margin·V(b) − b·h over
 *     0 ≤ b ≤ N (b ≥ 1 and V(b) ≥ r·b·h when minRoas is set).
 *
 * Exactness. Every grid allocation the DP considers satisfies all constraints exactly, so whenever
 * `aligned` holds the reference value is attained by a feasible allocation: value ≤ OPT.
 * Discretisation error: OPT − value ≤ Σᵢ Lᵢ·h·(#channels) roughly, where Lᵢ bounds |fᵢ′| on the box
 * (moving the continuous optimum to a grid point with the same total shifts each spend by < h per
 * channel, with at most one correction per channel); for smooth interior optima it is O(h²·|f″|).
 * With N = 200–400 this is well under 1e-4 relative for the problems in random-problems.ts, but
 * the comparisons in the tests only rely on the one-sided value ≤ OPT.
 * Infeasibility: without a ROAS floor the constraints are a box, one sum and a laminar family of
 * group sums with integer (grid) data — a totally unimodular system — so "no grid point" ⇔ "no real
 * point". With a ROAS floor "no grid point" is only trustworthy when the floor is clearly out of
 * reach (see `roasUpperBound`).
 */
import type { AllocationProblem, ChannelProblem } from '../../../../src/optimizer/problem.ts';
import { curveValue } from '../../../../src/model/curves/registry.ts';

export interface ReferenceResult {
  readonly feasible: boolean;
  /** The best objective on the grid (−Infinity when infeasible). */
  readonly value: number;
  readonly allocation: Readonly<Record<string, number>>;
  readonly spend: number;
  readonly response: number;
  /** Whether every box end and group bound fell on the grid (then the reference is exact on corners). */
  readonly aligned: boolean;
  readonly step: number;
}

/** The grid's response profile: best[b] = best Σf with total spend b·step (−Infinity if none). */
export interface ResponseProfile {
  readonly step: number;
  readonly units: number;
  readonly best: Float64Array;
  readonly aligned: boolean;
  /** Allocation (id → spend) attaining best[b]. */
  allocationAt(b: number): Record<string, number>;
}

const NONE = -Infinity;

interface Box {
  readonly lo: number;
  readonly hi: number;
}

/** [min, max] ∩ band ∩ lock, in real units (hi may be Infinity); lo > hi means empty. */
export function channelBox(c: ChannelProblem, maxChange: number | null | undefined): Box {
  if (c.locked) {
    const cur = c.current ?? NaN;
    return { lo: Math.max(c.min, cur), hi: Math.min(c.max, cur) };
  }
  let lo = c.min;
  let hi = c.max;
  if (maxChange !== undefined && maxChange !== null && c.current !== undefined) {
    lo = Math.max(lo, c.current * (1 - maxChange));
    hi = Math.min(hi, c.current * (1 + maxChange));
  }
  return { lo, hi };
}

function toUnits(x: number, step: number, round: 'up' | 'down'): { u: number; onGrid: boolean } {
  const q = x / step;
  const r = Math.round(q);
  if (Math.abs(q - r) <= 1e-7) return { u: r, onGrid: true };
  return { u: round === 'up' ? Math.ceil(q) : Math.floor(q), onGrid: false };
}

/** One DP stage: an item (channel or group) with a value for each number of units it may take. */
interface Item {
  readonly values: Float64Array;
}

/**
 * Knapsack over items: table[k][b] = best sum of the first k+1 items with total b; pick[k][b] = the
 * units item k takes there.
 */
function knapsack(items: readonly Item[], units: number): { best: Float64Array; picks: Int32Array[] } {
  let prev = new Float64Array(units + 1).fill(NONE);
  prev[0] = 0;
  const picks: Int32Array[] = [];
  for (const item of items) {
    const next = new Float64Array(units + 1).fill(NONE);
    const pick = new Int32Array(units + 1).fill(-1);
    for (let u = 0; u <= units; u++) {
      const g = item.values[u]!;
      if (g === NONE) continue;
      for (let a = 0; a + u <= units; a++) {
        const p = prev[a]!;
        if (p === NONE) continue;
        const v = p + g;
        if (v > next[a + u]!) {
          next[a + u] = v;
          pick[a + u] = u;
        }
      }
    }
    picks.push(pick);
    prev = next;
  }
  return { best: prev, picks };
}

/** Walks the picks back from total b: the units of each item. */
function backtrack(picks: readonly Int32Array[], b: number): number[] {
  const out = new Array<number>(picks.length).fill(0);
  let rest = b;
  for (let k = picks.length - 1; k >= 0; k--) {
    const u = picks[k]![rest]!;
    if (u < 0) throw new Error(`reference backtrack failed at item ${k}, total ${rest}`);
    out[k] = u;
    rest -= u;
  }
  if (rest !== 0) throw new Error('reference backtrack did not end at 0');
  return out;
}

export function responseProfile(problem: AllocationProblem, step: number): ResponseProfile {
  const unitsReal = problem.budget / step;
  const units = Math.round(unitsReal);
  if (Math.abs(unitsReal - units) > 1e-7 || units < 1) throw new Error(`budget ${problem.budget} is not a grid point of step ${step}`);
  let aligned = true;

  const channelValues = problem.channels.map((c) => {
    const box = channelBox(c, problem.maxChange);
    const lo = toUnits(box.lo, step, 'up');
    const hi = Number.isFinite(box.hi) ? toUnits(box.hi, step, 'down') : { u: units, onGrid: true };
    aligned &&= lo.onGrid && hi.onGrid;
    const values = new Float64Array(units + 1).fill(NONE);
    for (let u = Math.max(0, lo.u); u <= Math.min(units, hi.u); u++) values[u] = curveValue(c.curve, u * step);
    return values;
  });

  // Blocks: one per group (with its members), one per ungrouped channel.
  interface Block {
    readonly members: number[];
    readonly item: Item;
    readonly picks: Int32Array[] | null;
  }
  const blocks: Block[] = [];
  const groupIds = new Set((problem.groups ?? []).map((g) => g.id));
  for (const g of problem.groups ?? []) {
    const members = problem.channels.flatMap((c, i) => (c.group === g.id ? [i] : []));
    const { best, picks } = knapsack(members.map((i) => ({ values: channelValues[i]! })), units);
    const gmin = toUnits(g.min ?? 0, step, 'up');
    const gmax = g.max === undefined || !Number.isFinite(g.max) ? { u: units, onGrid: true } : toUnits(g.max, step, 'down');
    aligned &&= gmin.onGrid && gmax.onGrid;
    const values = new Float64Array(units + 1).fill(NONE);
    for (let t = Math.max(0, gmin.u); t <= Math.min(units, gmax.u); t++) values[t] = best[t]!;
    blocks.push({ members, item: { values }, picks });
  }
  problem.channels.forEach((c, i) => {
    if (c.group !== undefined && !groupIds.has(c.group)) throw new Error(`channel ${c.id} names unknown group ${c.group}`);
    if (c.group === undefined) blocks.push({ members: [i], item: { values: channelValues[i]! }, picks: null });
  });
  const { best, picks } = knapsack(blocks.map((b) => b.item), units);

  return {
    step,
    units,
    best,
    aligned,
    allocationAt(b: number) {
      const blockUnits = backtrack(picks, b);
      const alloc: Record<string, number> = {};
      blocks.forEach((block, k) => {
        const t = blockUnits[k]!;
        const memberUnits = block.picks === null ? [t] : backtrack(block.picks, t);
        block.members.forEach((i, j) => {
          alloc[problem.channels[i]!.id] = memberUnits[j]! * step;
        });
      });
      return alloc;
    },
  };
}

/** Solves `problem` on the grid of `step` (budget must be a multiple of it). */
export function referenceSolve(problem: AllocationProblem, step: number): ReferenceResult {
  const profile = responseProfile(problem, step);
  const { best, units } = profile;
  const objective = problem.objective ?? 'revenue';
  const r = problem.minRoas ?? null;
  const margin = problem.margin ?? null;
  if (objective === 'profit' && margin === null) throw new Error('profit needs a margin');

  let bestB = -1;
  let bestValue = -Infinity;
  if (objective === 'revenue' && r === null) {
    if (best[units]! !== NONE) {
      bestB = units;
      bestValue = best[units]!;
    }
  } else {
    for (let b = r === null ? 0 : 1; b <= units; b++) {
      const v = best[b]!;
      if (v === NONE) continue;
      if (r !== null && v < r * b * step) continue;
      const obj = objective === 'revenue' ? v : margin! * v - b * step;
      if (obj > bestValue) {
        bestValue = obj;
        bestB = b;
      }
    }
  }
  if (bestB < 0) {
    return { feasible: false, value: -Infinity, allocation: {}, spend: NaN, response: NaN, aligned: profile.aligned, step };
  }
  return {
    feasible: true,
    value: bestValue,
    allocation: profile.allocationAt(bestB),
    spend: bestB * step,
    response: best[bestB]!,
    aligned: profile.aligned,
    step,
  };
}

/**
 * A rigorous upper bound on Σf/Σx over every allocation with Σx > 0 in the channels' boxes: by the
 * mediant inequality Σf/Σx ≤ maxᵢ sup fᵢ(x)/x over x ∈ [loᵢ, hiᵢ], x > 0 (channels at 0 add nothing
 * to either sum). On a piece [a, b] of a partition, f(x)/x ≤ f(b)/a because f is increasing. Near 0:
 * exp, log and hill with s = 1 have f(x)/x ≤ f′(0) = β/k (concave, f(0) = 0); hill with s > 1 has
 * f(x)/x ≤ β·x^(s−1)/k^s ≤ β·ε^(s−1)/k^s on (0, ε]; hill with s < 1 is unbounded (Infinity).
 */
export function roasUpperBound(problem: AllocationProblem, pieces = 20000): number {
  let bound = 0;
  for (const c of problem.channels) {
    const box = channelBox(c, problem.maxChange);
    const hi = Math.min(box.hi, problem.budget);
    if (hi <= 0 || box.lo > hi) continue;
    let lo = box.lo;
    if (lo <= 0) {
      const curve = c.curve;
      if (curve.type !== 'hill' || curve.s === 1) {
        bound = Math.max(bound, curve.beta / curve.k);
        continue;
      }
      if (curve.s < 1) return Infinity;
      lo = hi * 1e-6;
      bound = Math.max(bound, (curve.beta * Math.pow(lo, curve.s - 1)) / Math.pow(curve.k, curve.s));
    }
    // Geometric partition of [lo, hi] with ratio ρ per piece: f(b)/a ≤ ρ·f(b)/b, tight as ρ → 1.
    const ratio = Math.pow(hi / lo, 1 / pieces);
    let a = lo;
    for (let j = 0; j < pieces; j++) {
      const b = j === pieces - 1 ? hi : a * ratio;
      bound = Math.max(bound, curveValue(c.curve, b) / a);
      a = b;
    }
  }
  return bound;
}
