/**
 * The fit's parameters live on unconstrained variables u and are mapped into range by fixed
 * transforms, the same in the graph (tensors, ./graph.ts) and outside it (plain numbers, here):
 *
 *   θ (geometric decay)        = sigmoid(u)                       ∈ (0, 1)
 *   Weibull shape              = SHAPE_MIN + SHAPE_SPAN·sigmoid(u) ∈ (0.2, 5)
 *   Weibull scale (periods)    = SCALE_MIN + 2L·sigmoid(u)         ∈ (0.25, 0.25 + 2L)
 *   k (half saturation, scale) = exp(u)                            (scaled spend units)
 *   s (Hill shape)             = exp(u)
 *   β                          = softplus(u)
 *
 * Bounded Weibull parameters keep every exponent in the weights finite in float32.
 */
export const WEIBULL_SHAPE_MIN = 0.2;
export const WEIBULL_SHAPE_SPAN = 4.8;
export const WEIBULL_SCALE_MIN = 0.25;

export function sigmoid(u: number): number {
  return 1 / (1 + Math.exp(-u));
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

export function softplus(u: number): number {
  return u > 30 ? u : Math.log1p(Math.exp(u));
}

export function softplusInverse(y: number): number {
  return y > 30 ? y : Math.log(Math.expm1(y));
}

export function weibullScaleSpan(maxLag: number): number {
  return 2 * Math.max(1, maxLag);
}

/** Unconstrained value of a Weibull shape (clamped just inside its range). */
export function weibullShapeToU(shape: number): number {
  const p = (shape - WEIBULL_SHAPE_MIN) / WEIBULL_SHAPE_SPAN;
  return logit(Math.min(1 - 1e-6, Math.max(1e-6, p)));
}

export function weibullShapeFromU(u: number): number {
  return WEIBULL_SHAPE_MIN + WEIBULL_SHAPE_SPAN * sigmoid(u);
}

/** Unconstrained value of a Weibull scale in periods (clamped just inside its range). */
export function weibullScaleToU(scale: number, maxLag: number): number {
  const p = (scale - WEIBULL_SCALE_MIN) / weibullScaleSpan(maxLag);
  return logit(Math.min(1 - 1e-6, Math.max(1e-6, p)));
}

export function weibullScaleFromU(u: number, maxLag: number): number {
  return WEIBULL_SCALE_MIN + weibullScaleSpan(maxLag) * sigmoid(u);
}
