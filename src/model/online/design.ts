/**
 * The online model's regressors, from time and spend. Pure.
 *
 * Baseline: an intercept, then Fourier terms of the time of the bucket's middle, for the calendar
 * cycles a window of these buckets can see (daily: order 3, weekly: 2, yearly: 2; a cycle is used
 * when it spans at least two buckets and at most the window). Angles come from absolute time
 * (epoch ms modulo the period), so a bucket's features never depend on where the window starts.
 *
 * Media: per channel, normalised geometric adstock over the window (a steady spend x gives
 * adstock x), a_t = θ^g·a_prev + (1 − θ)·x_t with g the buckets since the previous row (missing
 * buckets spent nothing), started at a_0 = x_0; then Hill saturation
 * h = aˢ/(aˢ + kˢ) = sigmoid(s·(ln a − ln k)). The model's response is β·h, so the steady-state
 * curve of the channel is the Hill curve (β, k, s) in spend per bucket. With `derivatives`, the
 * partial derivatives of h with respect to the unconstrained shape parameters (logit θ, ln k, ln s)
 * come too, for the Gauss–Newton steps (./shape-step.ts).
 */
const DAY_MS = 86_400_000;
const CYCLES = [
  { periodMs: DAY_MS, order: 3 },
  { periodMs: 7 * DAY_MS, order: 2 },
  { periodMs: 365.25 * DAY_MS, order: 2 },
] as const;

export interface SeasonBlock {
  readonly periodMs: number;
  readonly order: number;
}

export function seasonalityFor(bucketMs: number, windowBuckets: number): SeasonBlock[] {
  return CYCLES.filter((c) => c.periodMs >= 2 * bucketMs && c.periodMs <= windowBuckets * bucketMs).map((c) => ({ ...c }));
}

export function baselineWidth(blocks: readonly SeasonBlock[]): number {
  return 1 + 2 * blocks.reduce((s, b) => s + b.order, 0);
}

/** Writes the baseline terms of the bucket starting at `start` into `out` from `offset`. */
export function writeBaselineRow(blocks: readonly SeasonBlock[], start: number, bucketMs: number, out: Float64Array, offset: number): void {
  const mid = start + bucketMs / 2;
  out[offset] = 1;
  let j = offset + 1;
  for (const { periodMs, order } of blocks) {
    const phase = (2 * Math.PI * (((mid % periodMs) + periodMs) % periodMs)) / periodMs;
    for (let h = 1; h <= order; h++) {
      out[j++] = Math.sin(h * phase);
      out[j++] = Math.cos(h * phase);
    }
  }
}

export interface ChannelShape {
  readonly theta: number;
  readonly k: number;
  readonly s: number;
}

export function shapeFromLogits(logitTheta: number, logK: number, logS: number): ChannelShape {
  return { theta: 1 / (1 + Math.exp(-logitTheta)), k: Math.exp(logK), s: Math.exp(logS) };
}

/** Hill value and its derivatives along one channel's window. */
export interface MediaColumn {
  /** h_t for every row. */
  readonly value: Float64Array;
  /** ∂h_t/∂ logit θ, ∂h_t/∂ ln k, ∂h_t/∂ ln s (present when asked for). */
  readonly dLogitTheta?: Float64Array;
  readonly dLogK?: Float64Array;
  readonly dLogS?: Float64Array;
}

/**
 * The channel's media column over the window: `spend` scaled (spend / scale), `gaps[t]` the
 * buckets between row t−1 and row t (gaps[0] unused).
 */
export function mediaColumn(spend: Float64Array, gaps: Float64Array, shape: ChannelShape, derivatives: boolean): MediaColumn {
  const n = spend.length;
  const { theta, k, s } = shape;
  const logK = Math.log(k);
  const value = new Float64Array(n);
  const dLogitTheta = derivatives ? new Float64Array(n) : undefined;
  const dLogK = derivatives ? new Float64Array(n) : undefined;
  const dLogS = derivatives ? new Float64Array(n) : undefined;
  let a = spend[0] ?? 0;
  let da = 0; // ∂a/∂θ
  for (let t = 0; t < n; t++) {
    const x = spend[t]!;
    if (t > 0) {
      const g = gaps[t]!;
      const decay = g === 1 ? theta : Math.pow(theta, g);
      const dDecay = g === 1 ? 1 : g * Math.pow(theta, g - 1);
      const next = decay * a + (1 - theta) * x;
      da = dDecay * a + decay * da - x;
      a = next;
    }
    if (!(a > 1e-12)) continue; // no adstock: h = 0 and flat in every parameter
    if (!derivatives) {
      value[t] = 1 / (1 + Math.pow(k / a, s));
      continue;
    }
    const u = s * (Math.log(a) - logK);
    const h = u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
    value[t] = h;
    if (derivatives) {
      const slope = h * (1 - h);
      dLogitTheta![t] = slope * (s / a) * da * theta * (1 - theta);
      dLogK![t] = -slope * s;
      dLogS![t] = slope * u;
    }
  }
  return { value, ...(dLogitTheta ? { dLogitTheta, dLogK: dLogK!, dLogS: dLogS! } : {}) };
}

/** Hill value at steady state (adstock = spend), scaled units. */
export function steadyHill(x: number, shape: ChannelShape): number {
  if (!(x > 0)) return 0;
  return 1 / (1 + Math.pow(shape.k / x, shape.s));
}
