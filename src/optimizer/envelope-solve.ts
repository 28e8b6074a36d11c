/**
 * The relaxation every answer is measured against: maximise Σ envelopeᵢ(xᵢ) for a total spend T,
 * with channel boxes and group bounds, by equal marginal returns — one price for the whole
 * problem, and for each group a price of its own when its bounds bind (nested pools). For concave
 * curves it is the exact optimum. Its prices also give the Lagrangian dual bound.
 */
import { bestNetValue, demand, demandSlope, type ChannelShape } from './channel-shape.ts';
import type { Prepared } from './prepare.ts';
import { solvePool, type Pool } from './price-pool.ts';

export interface EnvelopeSolution {
  /** Spend per channel: optimal for the envelopes (true curves where they coincide). */
  readonly x: Float64Array;
  /** The price of spend in the whole problem (marginal envelope return). */
  readonly price: number;
  /** Each group's own price (= price when its bounds do not bind). */
  readonly groupPrices: Float64Array;
  readonly iterations: number;
}

/** Channels (by index into the prepared problem) as a pool. */
/** Ascending prices at which these channels' demand jumps: the slopes of straight stretches. */
function jumpPrices(shapes: readonly ChannelShape[], members: Iterable<number>): Float64Array {
  const out: number[] = [];
  for (const i of members) {
    const sh = shapes[i]!;
    if (sh.kind !== 'concave' && sh.slope > 0 && Number.isFinite(sh.slope)) out.push(sh.slope);
  }
  return Float64Array.from(out).sort();
}

class ChannelPool implements Pool {
  readonly size: number;
  readonly jumps: Float64Array;
  private readonly xs: Float64Array;
  constructor(
    private readonly shapes: readonly ChannelShape[],
    private readonly members: readonly number[],
  ) {
    this.size = members.length;
    this.xs = new Float64Array(members.length);
    this.jumps = jumpPrices(shapes, members);
  }
  demand(i: number, price: number, up: boolean): number {
    const x = demand(this.shapes[this.members[i]!]!, price, up);
    this.xs[i] = x;
    return x;
  }
  slope(i: number, price: number): number {
    return demandSlope(this.shapes[this.members[i]!]!, price, this.xs[i]!);
  }
  lower(i: number): number {
    return this.shapes[this.members[i]!]!.lo;
  }
  upper(i: number): number {
    return this.shapes[this.members[i]!]!.hi;
  }
}

/** The whole problem as a pool: ungrouped channels, then each group as one item, clamped to its bounds. */
class OuterPool implements Pool {
  readonly size: number;
  private readonly ungrouped: number;
  /** Last demand per channel (by channel index), and whether each group was clamped. */
  private readonly xs: Float64Array;
  private readonly clamped: Uint8Array;
  readonly jumps: Float64Array;
  constructor(private readonly prep: Prepared) {
    this.ungrouped = prep.ungrouped.length;
    this.size = this.ungrouped + prep.groups.length;
    this.xs = new Float64Array(prep.shapes.length);
    this.clamped = new Uint8Array(prep.groups.length);
    // Every channel's jumps: a group's clamped total can also jump where its channels do.
    this.jumps = jumpPrices(prep.shapes, prep.shapes.keys());
  }
  demand(i: number, price: number, up: boolean): number {
    const { shapes, ungrouped, groups } = this.prep;
    if (i < this.ungrouped) {
      const c = ungrouped[i]!;
      return (this.xs[c] = demand(shapes[c]!, price, up));
    }
    const j = i - this.ungrouped;
    const g = groups[j]!;
    let s = 0;
    for (const m of g.members) s += this.xs[m] = demand(shapes[m]!, price, up);
    this.clamped[j] = s < g.lower || s > g.upper ? 1 : 0;
    return Math.min(g.upper, Math.max(g.lower, s));
  }
  slope(i: number, price: number): number {
    const { shapes, ungrouped, groups } = this.prep;
    if (i < this.ungrouped) {
      const c = ungrouped[i]!;
      return demandSlope(shapes[c]!, price, this.xs[c]!);
    }
    const j = i - this.ungrouped;
    if (this.clamped[j]) return 0;
    let s = 0;
    for (const m of groups[j]!.members) s += demandSlope(shapes[m]!, price, this.xs[m]!);
    return s;
  }
  lower(i: number): number {
    return i < this.ungrouped ? this.prep.shapes[this.prep.ungrouped[i]!]!.lo : this.prep.groups[i - this.ungrouped]!.lower;
  }
  upper(i: number): number {
    return i < this.ungrouped ? this.prep.shapes[this.prep.ungrouped[i]!]!.hi : this.prep.groups[i - this.ungrouped]!.upper;
  }
}

export function solveEnvelope(prep: Prepared, total: number, startPrice = 1): EnvelopeSolution {
  const n = prep.shapes.length;
  const outer = solvePool(new OuterPool(prep), total, startPrice);
  const x = new Float64Array(n);
  prep.ungrouped.forEach((i, k) => (x[i] = outer.totals[k]!));
  const groupPrices = new Float64Array(prep.groups.length);
  let iterations = outer.iterations;
  const basePrice = Number.isFinite(outer.price) && outer.price > 0 ? outer.price : 1;
  prep.groups.forEach((g, j) => {
    const target = outer.totals[prep.ungrouped.length + j]!;
    const inner = solvePool(new ChannelPool(prep.shapes, g.members), target, basePrice);
    iterations += inner.iterations;
    g.members.forEach((i, k) => (x[i] = inner.totals[k]!));
    // A group at its upper total has a price at least the outer one (its cap binds, or its
    // channels are all at their own caps, where the outer price is as good); at its lower total
    // at most the outer one; in between, the outer price.
    const atUpper = target >= g.upper - 1e-12 * Math.max(1, g.upper);
    const atLower = target <= g.lower + 1e-12 * Math.max(1, g.lower);
    groupPrices[j] = atUpper ? Math.max(outer.price, inner.price) : atLower ? Math.min(outer.price, inner.price) : outer.price;
  });
  return { x, price: outer.price, groupPrices, iterations };
}

/**
 * An upper bound on max w·Σfᵢ(xᵢ) − c·Σxᵢ over the feasible set (any budget total in
 * [Σx = budget] or [Σx ≤ budget], groups, boxes, and Σf − r·Σx ≥ 0 with weight ν), by weak
 * duality: (w+ν)·[Σᵢ maxₓ (fᵢ(x) − πᵢ·x) + Σ_G (α_G·upper_G − β_G·lower_G)] + λ·budget, where
 * πᵢ is the price of i's group (or the overall price π), α/β the group price above/below π and
 * λ = (w+ν)·π − c − ν·r the budget's multiplier. Returns Infinity when the prices do not give a
 * valid bound (λ < 0 with an inequality budget, or an unbounded channel).
 */
export interface DualTerms {
  readonly w: number;
  readonly c: number;
  readonly budget: number;
  readonly equality: boolean;
  readonly nu: number;
  readonly r: number;
}

/**
 * The dual function at budget price π, with group j's price chosen by `groupPrice(j)`: one
 * group's contribution is Σ_{i∈G} maxₓ (fᵢ(x) − p·x) + (p − π)⁺·upper − (π − p)⁺·lower.
 */
export function dualAtPrice(prep: Prepared, price: number, terms: DualTerms, groupTerm: (j: number) => number): number {
  if (!Number.isFinite(price)) return Infinity;
  const weight = terms.w + terms.nu;
  let lambda = weight * price - terms.c - terms.nu * terms.r;
  if (!terms.equality && lambda < 0) {
    // Rounding can leave λ a hair below 0 where it is 0 in exact arithmetic.
    if (lambda < -1e-12 * Math.max(1, weight * price)) return Infinity;
    lambda = 0;
  }
  let inner = 0;
  for (const i of prep.ungrouped) inner += bestNetValue(prep.shapes[i]!, price);
  for (let j = 0; j < prep.groups.length; j++) inner += groupTerm(j);
  const bound = weight * inner + lambda * terms.budget;
  return Number.isNaN(bound) ? Infinity : bound;
}

/** One group's part of the dual function at group price `pg` and budget price `price`. */
export function groupDualTerm(prep: Prepared, j: number, pg: number, price: number): number {
  const g = prep.groups[j]!;
  let t = 0;
  for (const i of g.members) t += bestNetValue(prep.shapes[i]!, pg);
  if (pg > price) t += (pg - price) * g.upper;
  if (pg < price) t -= (price - pg) * g.lower;
  return Number.isNaN(t) ? Infinity : t;
}

export function dualBound(prep: Prepared, prices: { readonly price: number; readonly groupPrices: Float64Array }, terms: DualTerms): number {
  return dualAtPrice(prep, prices.price, terms, (j) => groupDualTerm(prep, j, prices.groupPrices[j]!, prices.price));
}
