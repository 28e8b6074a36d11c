/**
 * Splitting a total T among items (channels, or groups of channels) so that each item's marginal
 * envelope return equals one price π: find π with Σ demandᵢ(π) = T. Demand is non-increasing in
 * π, so π is bracketed and found by Illinois steps on log π (bisection when they stall). Where the
 * total jumps over T at π (straight envelope parts, or a clamped group), the remainder goes to the
 * items that jump. For concave curves this is the exact optimum (equal marginal returns, KKT);
 * with envelopes it is the optimum of the concave relaxation.
 */
export interface PoolItem {
  /** Spend at price π; `up` picks the top of a flat stretch. */
  demand(price: number, up: boolean): number;
  readonly lower: number;
  readonly upper: number;
}

export interface PoolSolution {
  readonly price: number;
  /** Total assigned to each item; sums to T. */
  readonly totals: Float64Array;
  readonly iterations: number;
}

const RELATIVE = 1e-13;

function totalDemand(items: readonly PoolItem[], price: number, up: boolean, out?: Float64Array): number {
  let s = 0;
  for (let i = 0; i < items.length; i++) {
    const d = items[i]!.demand(price, up);
    if (out) out[i] = d;
    s += d;
  }
  return s;
}

/** Assumes Σ lower ≤ T ≤ Σ upper (checked by the caller). */
export function solvePool(items: readonly PoolItem[], target: number, startPrice = 1): PoolSolution {
  const n = items.length;
  const totals = new Float64Array(n);
  let lowerSum = 0;
  let upperSum = 0;
  for (const it of items) {
    lowerSum += it.lower;
    upperSum += it.upper;
  }
  const tol = RELATIVE * Math.max(1, Math.abs(target));
  // At a bound, report a finite price that supports it (every item wants no more / no less),
  // so the dual bound built from it stays finite and tight.
  if (target <= lowerSum + tol) {
    items.forEach((it, i) => (totals[i] = it.lower));
    let p = startPrice > 0 && Number.isFinite(startPrice) ? startPrice : 1;
    let k = 0;
    while (totalDemand(items, p, true) > lowerSum + tol && k++ < 80) p *= 16;
    return { price: p, totals: spread(items, totals, target), iterations: k };
  }
  if (target >= upperSum - tol) {
    items.forEach((it, i) => (totals[i] = it.upper));
    let p = startPrice > 0 && Number.isFinite(startPrice) ? startPrice : 1;
    let k = 0;
    while (totalDemand(items, p, false) < upperSum - tol && k++ < 80) p /= 16;
    return { price: p, totals: spread(items, totals, target), iterations: k };
  }
  // Bracket: demand(a) ≥ T ≥ demand(b), a < b, in log-price.
  let iterations = 0;
  const p = startPrice > 0 && Number.isFinite(startPrice) ? startPrice : 1;
  let a: number;
  let b: number;
  let ga: number;
  let gb: number;
  const g0 = totalDemand(items, p, false) - target;
  iterations++;
  if (g0 > 0) {
    a = p;
    ga = g0;
    b = p * 4;
    gb = totalDemand(items, b, false) - target;
    while (gb > 0 && b < 1e300) {
      a = b;
      ga = gb;
      b *= 16;
      gb = totalDemand(items, b, false) - target;
      iterations++;
    }
  } else {
    b = p;
    gb = g0;
    a = p / 4;
    ga = totalDemand(items, a, false) - target;
    while (ga < 0 && a > 1e-300) {
      b = a;
      gb = ga;
      a /= 16;
      ga = totalDemand(items, a, false) - target;
      iterations++;
    }
  }
  // Illinois on log π.
  let la = Math.log(a);
  let lb = Math.log(b);
  let side = 0;
  while (lb - la > 1e-15 * Math.max(1, Math.abs(lb)) && iterations < 300) {
    if (Math.abs(gb) <= tol) break;
    let lc = (la * gb - lb * ga) / (gb - ga);
    if (!(lc > la && lc < lb) || iterations % 8 === 7) lc = (la + lb) / 2;
    const c = Math.exp(lc);
    const gc = totalDemand(items, c, false) - target;
    iterations++;
    if (gc <= 0 && totalDemand(items, c, true) - target >= 0) {
      // T falls inside the jump at c: exact.
      la = lb = lc;
      gb = gc;
      ga = gc;
      break;
    }
    if (gc > 0) {
      la = lc;
      ga = gc;
      if (side === 1) gb /= 2;
      side = 1;
    } else {
      lb = lc;
      gb = gc;
      if (side === -1) ga /= 2;
      side = -1;
    }
  }
  const price = Math.exp(lb);
  // Allocation at the high-price end (demand ≤ T); the rest goes to items that take more at the
  // low end of the bracket (or at the top of their flat stretch), in proportion to what they take.
  const base = new Float64Array(n);
  const more = new Float64Array(n);
  const sumBase = totalDemand(items, price, false, base);
  const priceLow = Math.exp(la);
  totalDemand(items, priceLow < price ? priceLow : price, true, more);
  let room = 0;
  for (let i = 0; i < n; i++) {
    more[i] = Math.max(0, more[i]! - base[i]!);
    room += more[i]!;
  }
  const rest = target - sumBase;
  for (let i = 0; i < n; i++) totals[i] = base[i]! + (room > 0 ? (rest * more[i]!) / room : 0);
  return { price, totals: spread(items, totals, target), iterations };
}

/** Puts whatever rounding left between Σ totals and the target on items with room. */
function spread(items: readonly PoolItem[], totals: Float64Array, target: number): Float64Array {
  let rest = target;
  for (let i = 0; i < totals.length; i++) rest -= totals[i]!;
  for (let pass = 0; pass < 2 && rest !== 0; pass++) {
    for (let i = 0; i < totals.length && rest !== 0; i++) {
      const it = items[i]!;
      const v = Math.min(it.upper, Math.max(it.lower, totals[i]! + rest));
      rest -= v - totals[i]!;
      totals[i] = v;
    }
  }
  return totals;
}
