/**
 * Splitting a total T among items (channels, or groups of channels) so that each item's marginal
 * envelope return equals one price π: find π with Σ demandᵢ(π) = T. Demand is non-increasing in
 * π, so π is bracketed and found by Illinois steps on log π (bisection when they stall). Where the
 * total jumps over T at π (straight envelope parts, or a clamped group), the remainder goes to the
 * items that jump. For concave curves this is the exact optimum (equal marginal returns, KKT);
 * with envelopes it is the optimum of the concave relaxation.
 */
/**
 * The items of a pool, by index. An interface over indices rather than one object per item, so a
 * solve allocates nothing per channel (closures are costly here: this is the hot loop).
 */
export interface Pool {
  readonly size: number;
  /** Spend of item i at price π; `up` picks the top of a flat stretch. */
  demand(i: number, price: number, up: boolean): number;
  /** d demand/d π of item i at the price of its last `demand` call (≤ 0; 0 where it jumps or is clamped). */
  slope(i: number, price: number): number;
  lower(i: number): number;
  upper(i: number): number;
  /** Prices where some item's demand jumps (straight envelope stretches), ascending. */
  readonly jumps: Float64Array;
}

/** Index of the first element ≥ v in an ascending array. */
function lowerBound(a: Float64Array, v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PoolSolution {
  readonly price: number;
  /** Total assigned to each item; sums to T. */
  readonly totals: Float64Array;
  readonly iterations: number;
}

const RELATIVE = 1e-13;

function totalDemand(items: Pool, price: number, up: boolean, out?: Float64Array): number {
  let s = 0;
  for (let i = 0; i < items.size; i++) {
    const d = items.demand(i, price, up);
    if (out) out[i] = d;
    s += d;
  }
  return s;
}

function totalSlope(items: Pool, price: number): number {
  let s = 0;
  for (let i = 0; i < items.size; i++) s += items.slope(i, price);
  return s;
}

/**
 * Assumes Σ lower ≤ T ≤ Σ upper (checked by the caller). Safeguarded Newton on log π: Newton
 * steps (demand slopes from the curves' curvature) while they stay inside the bracket known so
 * far, bracket expansion or Illinois/bisection steps otherwise.
 */
export function solvePool(items: Pool, target: number, startPrice = 1): PoolSolution {
  const n = items.size;
  const totals = new Float64Array(n);
  let lowerSum = 0;
  let upperSum = 0;
  for (let i = 0; i < n; i++) {
    lowerSum += items.lower(i);
    upperSum += items.upper(i);
  }
  const tol = RELATIVE * Math.max(1, Math.abs(target));
  const start = startPrice > 0 && Number.isFinite(startPrice) ? startPrice : 1;
  // At a bound, report a finite price that supports it (every item wants no more / no less),
  // so the dual bound built from it stays finite and tight.
  if (target <= lowerSum + tol) {
    for (let i = 0; i < n; i++) totals[i] = items.lower(i);
    let p = start;
    let k = 0;
    while (totalDemand(items, p, true) > lowerSum + tol && k++ < 80) p *= 16;
    return { price: p, totals: spread(items, totals, target), iterations: k };
  }
  if (target >= upperSum - tol) {
    for (let i = 0; i < n; i++) totals[i] = items.upper(i);
    let p = start;
    let k = 0;
    while (totalDemand(items, p, false) < upperSum - tol && k++ < 80) p /= 16;
    return { price: p, totals: spread(items, totals, target), iterations: k };
  }

  // Bracket in log-price: g(la) > 0 (demand above T), g(lb) < 0.
  let la = -Infinity;
  let lb = Infinity;
  let ga = NaN;
  let gb = NaN;
  let side = 0;
  let t = Math.log(start);
  let iterations = 0;
  let exact = false;
  const last = new Float64Array(n);
  for (; iterations < 200; ) {
    const price = Math.exp(t);
    const g = totalDemand(items, price, false, last) - target;
    iterations++;
    if (!Number.isFinite(g)) {
      // Demand without limit (a price so low that uncapped channels take everything): the root
      // lies above this price.
      la = t;
      ga = NaN;
      t = Number.isFinite(lb) ? (t + lb) / 2 : t + Math.log(16);
      continue;
    }
    if (Math.abs(g) <= tol) {
      // Converged on a smooth stretch: the last demands are the answer, up to rounding.
      for (let i = 0; i < n; i++) totals[i] = last[i]!;
      return { price, totals: spread(items, totals, target), iterations };
    }
    if (g > 0) {
      la = t;
      ga = g;
      if (side === 1) gb /= 2;
      side = 1;
    } else {
      if (totalDemand(items, price, true) - target >= 0) {
        // T falls inside the jump at this price: exact.
        la = lb = t;
        exact = true;
        break;
      }
      lb = t;
      gb = g;
      if (side === -1) ga /= 2;
      side = -1;
    }
    if (Number.isFinite(la) && Number.isFinite(lb) && lb - la <= 1e-15 * Math.max(1, Math.abs(lb))) break;
    const slope = totalSlope(items, price);
    let next = slope < 0 ? t - g / (price * slope) : NaN;
    // While one side of the bracket is still open, a Newton step may not leap further than a
    // bracket-expansion step would (it can overshoot to a price of 0 on flat curves).
    if (!Number.isFinite(la) || !Number.isFinite(lb)) next = Math.min(t + Math.log(16), Math.max(t - Math.log(16), next));
    // Demand jumps at known prices: while the bracket holds some, try the middle one exactly —
    // either T lies in its jump (done) or half of them leave the bracket. Without jumps inside,
    // demand is smooth there and Newton converges.
    if (Number.isFinite(la) && Number.isFinite(lb) && items.jumps.length > 0) {
      const from = lowerBound(items.jumps, Math.exp(la) * (1 + 1e-15));
      const to = lowerBound(items.jumps, Math.exp(lb));
      if (to > from) next = Math.log(items.jumps[(from + to) >> 1]!);
    }
    if (!(next > la && next < lb)) {
      if (!Number.isFinite(lb)) next = t + Math.log(16);
      else if (!Number.isFinite(la)) next = t - Math.log(16);
      else {
        next = (la * gb - lb * ga) / (gb - ga);
        if (!(next > la && next < lb) || iterations % 6 === 5) next = (la + lb) / 2;
      }
    }
    // Prices below e^−700 underflow to 0, where nothing is defined: stay above.
    t = Math.max(next, -700);
  }
  const price = Math.exp(Number.isFinite(lb) ? lb : t);
  // Allocation at the high-price end (demand ≤ T); the rest goes to items that take more at the
  // low end of the bracket (or at the top of their flat stretch), in proportion to what they take.
  const base = new Float64Array(n);
  const more = new Float64Array(n);
  const sumBase = totalDemand(items, price, false, base);
  const priceLow = exact || !Number.isFinite(la) ? price : Math.exp(la);
  totalDemand(items, priceLow, true, more);
  let room = 0;
  for (let i = 0; i < n; i++) {
    more[i] = Math.max(0, more[i]! - base[i]!);
    room += more[i]!;
  }
  const rest = target - sumBase;
  // What an item can take is capped at what is left to place: at a price near 0 an uncapped
  // channel "takes" infinitely much, and ∞/∞ must not turn into NaN.
  room = 0;
  for (let i = 0; i < n; i++) {
    more[i] = Math.min(more[i]!, Math.max(rest, 0));
    room += more[i]!;
  }
  for (let i = 0; i < n; i++) totals[i] = base[i]! + (room > 0 && rest > 0 ? (rest * more[i]!) / room : 0);
  return { price, totals: spread(items, totals, target), iterations };
}

/** Puts whatever rounding left between Σ totals and the target on items with room. */
function spread(items: Pool, totals: Float64Array, target: number): Float64Array {
  let rest = target;
  for (let i = 0; i < totals.length; i++) rest -= totals[i]!;
  for (let pass = 0; pass < 2 && rest !== 0; pass++) {
    for (let i = 0; i < totals.length && rest !== 0; i++) {
      const v = Math.min(items.upper(i), Math.max(items.lower(i), totals[i]! + rest));
      rest -= v - totals[i]!;
      totals[i] = v;
    }
  }
  return totals;
}
