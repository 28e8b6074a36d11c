/**
 * What one member of a batched fit is: the model families it fits, the centres and strength of
 * its priors, where it starts, and how much each period counts. A batch holds K members side by
 * side in one tensor dimension (./graph.ts), so a cross-validation grid (candidates × folds), a
 * multi-start fit and a bootstrap ensemble are each a single batched fit that differ only in
 * their members.
 */
import type { CurveType } from '../curves/types.ts';
import { softplusInverse, logit, weibullScaleToU, weibullShapeToU } from './transforms.ts';

export type AdstockFamily = 'geometric' | 'weibull-cdf' | 'weibull-pdf';
export type SaturationFamily = CurveType;

export const ADSTOCK_FAMILIES: readonly AdstockFamily[] = ['geometric', 'weibull-cdf', 'weibull-pdf'];
export const SATURATION_FAMILIES: readonly SaturationFamily[] = ['hill', 'exp', 'log'];

/** Non-linear parameters in natural units, the same for every channel of a member. */
export interface ChannelShape {
  /** Geometric decay per period, in (0, 1). */
  readonly theta: number;
  /** Weibull shape, in (0.2, 5). */
  readonly weibullShape: number;
  /** Weibull scale in periods. */
  readonly weibullScale: number;
  /** Half saturation (hill) or scale (exp, log), in units of the channel's typical non-zero spend. */
  readonly k: number;
  /** Hill shape (s > 1 is S-shaped). */
  readonly s: number;
}

export interface MemberSpec {
  readonly adstock: AdstockFamily;
  readonly saturation: SaturationFamily;
  /** Prior centres. */
  readonly centre: ChannelShape;
  /** Starting point, one for all channels or one per channel (a warm start); the centre when absent. */
  readonly start?: ChannelShape | readonly ChannelShape[];
  /** Multiplies the precision of every prior on a non-linear parameter (0: no such priors). */
  readonly strength: number;
  /** Per-period observation weights (≥ 0; 0 leaves a period out); all 1 when absent. */
  readonly weights?: Float32Array;
}

/**
 * Prior standard deviations on the unconstrained values (./transforms.ts): logit θ, logit of the
 * Weibull parameters' position in their ranges, log k, log s; and, in scaled units, the linear
 * baseline terms other than the intercept and the β.
 */
export const PRIOR_SD = {
  theta: 1,
  weibullShape: 1,
  weibullScale: 1,
  k: 1,
  s: 0.5,
  linear: 3,
  beta: 3,
} as const;

export const DEFAULT_SHAPE: ChannelShape = { theta: 0.4, weibullShape: 1.5, weibullScale: 2, k: 1, s: 1.2 };

/** The unconstrained values of a shape (for centres and starts). */
export function unconstrainedShape(shape: ChannelShape, maxLag: number): Record<keyof ChannelShape, number> {
  return {
    theta: logit(Math.min(0.999, Math.max(0.001, shape.theta))),
    weibullShape: weibullShapeToU(shape.weibullShape),
    weibullScale: weibullScaleToU(shape.weibullScale, maxLag),
    k: Math.log(shape.k),
    s: Math.log(shape.s),
  };
}

export const BETA_START = softplusInverse(0.3);
