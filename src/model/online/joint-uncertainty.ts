/**
 * A channel's shape uncertainty jointly with the linear coefficients. Pure.
 *
 * The Gauss–Newton system of a channel's shape (./shape-step.ts) holds β, the baseline and the
 * other channels fixed: its inverse is a conditional covariance, far too narrow where the shape
 * trades against β or the intercept (a Hill curve seen over a narrow spend range pins only
 * β/kˢ). Here the joint Gaussian of [linear coefficients ℓ, this channel's shape φ] is formed
 * with the true precisions
 *
 *   M = [[J/σ², B], [Bᵀ, A]],   B = Σ_t w_t z_t (β_t ∂h_t/∂φ)ᵀ / σ²,
 *
 * J the block's information (precision × σ²), A the shape's Gauss–Newton information, and by the
 * Schur complement:
 *
 *   S = Cov(φ) = (A − σ²·BᵀJ⁻¹B)⁻¹,   Cov(ℓ, φ) = −σ²·J⁻¹B·S,   Cov(ℓ) = σ²J⁻¹ + σ⁴·J⁻¹B S BᵀJ⁻¹.
 *
 * Returned for the channel's β: the shape's marginal covariance S, Cov(β, φ) and what the shape
 * adds to Var(β) — enough for the delta method on any function of (β, φ) (./response.ts). The
 * other channels' shapes are left out (one channel at a time), and so are the change points'
 * extra unknowns.
 */
import { solveWithFactor } from '../linear-algebra.ts';
import type { MediaColumn } from './design.ts';
import { inverse3, priorShapeCovariance } from './shape-step.ts';

export interface ChannelUncertainty {
  /** Marginal covariance of (logit θ, ln k, ln s), row-major 3×3. */
  readonly covariance: number[];
  /** Cov(β, (logit θ, ln k, ln s)), scaled units. */
  readonly betaCross: number[];
  /** What the shape's uncertainty adds to Var(β), scaled units. */
  readonly betaExtraVariance: number;
}

export interface JointInput {
  /** The block's design over the window, column-major (column j at j·rows). */
  readonly design: Float64Array;
  readonly rows: number;
  readonly width: number;
  /** The channel's column in the design. */
  readonly column: number;
  /** Cholesky factor of the block's information J. */
  readonly factor: Float64Array;
  readonly media: MediaColumn;
  readonly beta: Float64Array;
  readonly weight: Float64Array;
  readonly noiseVariance: number;
  /** The shape's Gauss–Newton information A (data + prior), row-major 3×3. */
  readonly shapeInformation: readonly number[];
}

export function jointChannelUncertainty(input: JointInput): ChannelUncertainty {
  const { design, rows, width, column, factor, media, beta, weight, noiseVariance: s2 } = input;
  const derivatives = [media.dLogitTheta, media.dLogK, media.dLogS];
  // B (width × 3), row-major.
  const b = new Float64Array(width * 3);
  for (let k = 0; k < 3; k++) {
    const d = derivatives[k];
    if (d === undefined) continue;
    const scaled = new Float64Array(rows);
    for (let t = 0; t < rows; t++) scaled[t] = (weight[t]! * beta[t]! * d[t]!) / s2;
    for (let j = 0; j < width; j++) {
      let sum = 0;
      const at = j * rows;
      for (let t = 0; t < rows; t++) sum += design[at + t]! * scaled[t]!;
      b[j * 3 + k] = sum;
    }
  }
  // X = J⁻¹B, column by column.
  const x = new Float64Array(width * 3);
  for (let k = 0; k < 3; k++) {
    const solved = solveWithFactor(factor, Float64Array.from({ length: width }, (_, j) => b[j * 3 + k]!), width);
    for (let j = 0; j < width; j++) x[j * 3 + k] = solved[j]!;
  }
  const reduced = Array.from(input.shapeInformation);
  for (let p = 0; p < 3; p++) {
    for (let q = 0; q < 3; q++) {
      let sum = 0;
      for (let j = 0; j < width; j++) sum += b[j * 3 + p]! * x[j * 3 + q]!;
      reduced[p * 3 + q]! -= s2 * sum;
    }
  }
  const covariance = inverse3(reduced);
  if (covariance === null || !covariance.every(Number.isFinite)) return { covariance: priorShapeCovariance(), betaCross: [0, 0, 0], betaExtraVariance: 0 };
  const xc = [x[column * 3]!, x[column * 3 + 1]!, x[column * 3 + 2]!];
  const xcS = [0, 1, 2].map((q) => xc[0]! * covariance[q]! + xc[1]! * covariance[3 + q]! + xc[2]! * covariance[6 + q]!);
  return {
    covariance,
    betaCross: xcS.map((v) => -s2 * v),
    betaExtraVariance: s2 * s2 * (xcS[0]! * xc[0]! + xcS[1]! * xc[1]! + xcS[2]! * xc[2]!),
  };
}
