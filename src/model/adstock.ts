/**
 * Carry-over (adstock): spend in period t keeps working in later periods. Pure functions on
 * Float64Array series; the series is taken to be zero before its first period, so the first L
 * outputs only see the history that exists (a warm-up the fit should allow for).
 *
 * Every transform here is a causal filter a_t = Σ_{l=0..L} w_l·x_{t−l}:
 *
 * - Geometric, decay θ ∈ [0, 1): w_l = θ^l. With a finite max lag L it is computed as that sum
 *   (O(n·(L+1)), exact and ≥ 0 for x ≥ 0; the subtract-the-tail recursion is O(n) but can leave
 *   tiny negative values after a burst, which a Hill curve turns into NaN). Without a max lag it
 *   is the recursion a_t = x_t + θ·a_{t−1}, O(n) and loop-based (no recursion depth).
 *   `normalize` divides by Σ_l w_l — (1 − θ^{L+1})/(1 − θ), or 1/(1 − θ) without a max lag — so a
 *   constant spend x gives adstock x at steady state. θ = 0 is the identity.
 * - Weibull, shape k > 0, scale λ > 0 (in periods), max lag L, as in Robyn and PyMC-Marketing:
 *     CDF kind: u_0 = 1, u_l = Π_{j=1..l} (1 − F(j)) = exp(−Σ_{j=1..l} (j/λ)^k)   (l ≥ 1)
 *     PDF kind: u_l = f(l + 1) ∝ (l + 1)^{k−1}·exp(−((l + 1)/λ)^k)
 *   with F, f the Weibull CDF and density. Then w_l = u_l / Σ_{m=0..L} u_m, so the weights are
 *   non-negative, sum to 1 and a constant spend maps to itself at steady state. The PDF kind may
 *   peak after lag 0 (delayed effect) when k > 1; with k = 1 it is geometric with θ = e^{−1/λ}.
 *   The PDF is taken at l + 1 (not l) so that k < 1 does not put an infinite weight at lag 0.
 *   Unlike Robyn, λ is in periods rather than a fraction of the window, and the weights are
 *   normalised to sum 1 rather than starting at 1 (CDF) or min–max scaled (PDF). Weights are
 *   computed in log space and shifted by their maximum, so extreme λ cannot make them all 0.
 *
 * `steadyStateFactor` is what a constant spend is multiplied by once the filter is full
 * (Σ_l w_l), so a fitted chain spend → adstock → saturation S becomes the steady-state response
 * curve x ↦ S(steadyStateFactor·x) that the optimizer allocates with.
 */
import { SpendflowError, type FieldProblem } from '../errors.ts';

export type WeibullKind = 'cdf' | 'pdf';

export interface GeometricAdstock {
  readonly type: 'geometric';
  /** Decay per period, in [0, 1). */
  readonly theta: number;
  /** Longest lag carried over (integer ≥ 0); unbounded when absent. */
  readonly maxLag?: number;
  /** Divide by the weights' sum, so that steady-state adstock equals the spend. */
  readonly normalize?: boolean;
}

export interface WeibullAdstock {
  readonly type: 'weibull';
  /** k > 0: below 1 fast-then-slow decay, above 1 slow-then-fast (and a delayed peak for pdf). */
  readonly shape: number;
  /** λ > 0, in periods: where the decay happens. */
  readonly scale: number;
  /** Longest lag carried over (integer ≥ 0). */
  readonly maxLag: number;
  readonly kind: WeibullKind;
}

export type AdstockSpec = GeometricAdstock | WeibullAdstock;

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function lagProblems(maxLag: unknown, required: boolean): FieldProblem[] {
  if (maxLag === undefined && !required) return [];
  if (typeof maxLag !== 'number' || !Number.isInteger(maxLag) || maxLag < 0) {
    return [{ field: 'maxLag', message: `must be an integer ≥ 0 (got ${String(maxLag)})` }];
  }
  return [];
}

/** Problems with an adstock spec's parameters (empty when valid); checks types too, for untrusted input. */
export function validateAdstock(spec: AdstockSpec): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (spec.type === 'geometric') {
    if (!isNumber(spec.theta) || spec.theta < 0 || spec.theta >= 1) {
      problems.push({ field: 'theta', message: `must be in [0, 1) (got ${String(spec.theta)})` });
    }
    problems.push(...lagProblems(spec.maxLag, false));
    if (spec.normalize !== undefined && typeof spec.normalize !== 'boolean') {
      problems.push({ field: 'normalize', message: 'must be true or false' });
    }
  } else if (spec.type === 'weibull') {
    if (!isNumber(spec.shape) || spec.shape <= 0) problems.push({ field: 'shape', message: `must be > 0 (got ${String(spec.shape)})` });
    if (!isNumber(spec.scale) || spec.scale <= 0) problems.push({ field: 'scale', message: `must be > 0 (got ${String(spec.scale)})` });
    problems.push(...lagProblems(spec.maxLag, true));
    if (spec.kind !== 'cdf' && spec.kind !== 'pdf') problems.push({ field: 'kind', message: `must be "cdf" or "pdf" (got ${JSON.stringify(spec.kind)})` });
  } else {
    problems.push({ field: 'type', message: `must be "geometric" or "weibull" (got ${JSON.stringify((spec as { type?: unknown }).type)})` });
  }
  return problems;
}

/** Throws `CURVE_INVALID` with every problem when the spec is not valid. */
export function requireValidAdstock(spec: AdstockSpec): void {
  const problems = validateAdstock(spec);
  if (problems.length > 0) throw new SpendflowError('CURVE_INVALID', `invalid ${spec.type} adstock`, { problems });
}

/** Σ_{l=0..L} θ^l, or 1/(1 − θ) for an unbounded lag. */
function geometricSum(theta: number, maxLag: number | undefined): number {
  if (theta === 0) return 1;
  return maxLag === undefined ? 1 / (1 - theta) : -Math.expm1((maxLag + 1) * Math.log(theta)) / (1 - theta);
}

/** w_l = θ^l for l = 0..L, divided by their sum when `normalize`. */
export function geometricWeights(theta: number, maxLag: number, normalize = false): Float64Array {
  requireValidAdstock({ type: 'geometric', theta, maxLag });
  const weights = new Float64Array(maxLag + 1);
  const divisor = normalize ? geometricSum(theta, maxLag) : 1;
  let power = 1;
  for (let l = 0; l <= maxLag; l++) {
    weights[l] = power / divisor;
    power *= theta;
  }
  return weights;
}

/** Weibull weights w_0..w_L (see the module comment); non-negative and summing to 1. */
export function weibullWeights(shape: number, scale: number, maxLag: number, kind: WeibullKind): Float64Array {
  requireValidAdstock({ type: 'weibull', shape, scale, maxLag, kind });
  const logU = new Float64Array(maxLag + 1);
  let cumulative = 0;
  for (let l = 0; l <= maxLag; l++) {
    let value: number;
    if (kind === 'cdf') {
      if (l > 0) cumulative += Math.pow(l / scale, shape);
      value = -cumulative;
    } else {
      const z = (l + 1) / scale;
      value = (shape - 1) * Math.log(z) - Math.pow(z, shape);
    }
    logU[l] = Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
  }
  const top = logU.reduce((m, v) => Math.max(m, v), Number.NEGATIVE_INFINITY);
  const weights = new Float64Array(maxLag + 1);
  if (top === Number.NEGATIVE_INFINITY || top === Number.POSITIVE_INFINITY) {
    weights[0] = 1;
    return weights;
  }
  let sum = 0;
  for (let l = 0; l <= maxLag; l++) {
    const u = Math.exp((logU[l] ?? Number.NEGATIVE_INFINITY) - top);
    weights[l] = u;
    sum += u;
  }
  for (let l = 0; l <= maxLag; l++) weights[l] = (weights[l] ?? 0) / sum;
  return weights;
}

/** The causal filter a_t = Σ_{l=0..min(L,t)} w_l·x_{t−l}; O(n·(L+1)). */
export function convolveWeights(x: Float64Array, weights: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  const lags = weights.length;
  for (let t = 0; t < x.length; t++) {
    let sum = 0;
    const last = Math.min(lags - 1, t);
    for (let l = 0; l <= last; l++) sum += (weights[l] ?? 0) * (x[t - l] ?? 0);
    out[t] = sum;
  }
  return out;
}

/** Geometric adstock of x (see the module comment). */
export function geometricAdstock(
  x: Float64Array,
  theta: number,
  options: { readonly maxLag?: number; readonly normalize?: boolean } = {},
): Float64Array {
  const { maxLag, normalize = false } = options;
  if (maxLag !== undefined) return convolveWeights(x, geometricWeights(theta, maxLag, normalize));
  requireValidAdstock({ type: 'geometric', theta });
  const gain = normalize ? 1 - theta : 1;
  const out = new Float64Array(x.length);
  let previous = 0;
  for (let t = 0; t < x.length; t++) {
    previous = gain * (x[t] ?? 0) + theta * previous;
    out[t] = previous;
  }
  return out;
}

/** Weibull adstock of x with normalised weights (see the module comment). */
export function weibullAdstock(
  x: Float64Array,
  shape: number,
  scale: number,
  options: { readonly maxLag: number; readonly kind: WeibullKind },
): Float64Array {
  return convolveWeights(x, weibullWeights(shape, scale, options.maxLag, options.kind));
}

/** Applies an adstock given as data. */
export function applyAdstock(x: Float64Array, spec: AdstockSpec): Float64Array {
  if (spec.type === 'weibull') return weibullAdstock(x, spec.shape, spec.scale, spec);
  const options: { maxLag?: number; normalize?: boolean } = {};
  if (spec.maxLag !== undefined) options.maxLag = spec.maxLag;
  if (spec.normalize !== undefined) options.normalize = spec.normalize;
  return geometricAdstock(x, spec.theta, options);
}

/**
 * What a constant spend x becomes at steady state, divided by x: Σ_l w_l. 1 for normalised
 * geometric and for Weibull; (1 − θ^{L+1})/(1 − θ) for plain geometric with max lag L, and
 * 1/(1 − θ) without one.
 */
export function steadyStateFactor(spec: AdstockSpec): number {
  requireValidAdstock(spec);
  if (spec.type === 'weibull' || spec.normalize === true) return 1;
  return geometricSum(spec.theta, spec.maxLag);
}
