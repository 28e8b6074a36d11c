/**
 * What the online model believes, in money: each channel's steady-state response curve (spend
 * per bucket → revenue per bucket, a Hill curve the optimizer understands), the baseline, and
 * their uncertainty; posterior draws for Thompson sampling. Pure.
 *
 * Uncertainty is the Gaussian posterior of the linear coefficients (baseline terms and β) given
 * the curve shapes: Σ = σ²·J⁻¹ from the information matrix of the last update (a Laplace
 * approximation that is exact for the linear part). The shapes' own uncertainty is not included,
 * so intervals are somewhat too narrow where the shape is poorly identified (docs/model.md).
 */
import type { HillCurve } from '../curves/types.ts';
import { choleskyFactor, inverseQuadraticForm, solveUpper } from '../linear-algebra.ts';
import type { Random } from '../../random.ts';
import { baselineWidth, shapeFromLogits, steadyHill, writeBaselineRow, type ChannelShape } from './design.ts';
import type { BlockState, OnlineModelState } from './types.ts';

/** Two-sided 90% interval of a normal distribution: mean ± 1.645·sd. */
export const Z90 = 1.6448536269514722;

export interface Estimate {
  readonly mean: number;
  readonly sd: number;
  /** 90% interval. */
  readonly low: number;
  readonly high: number;
}

function estimate(mean: number, sd: number, floor = -Infinity): Estimate {
  return { mean, sd, low: Math.max(floor, mean - Z90 * sd), high: mean + Z90 * sd };
}

export function channelShape(state: OnlineModelState, c: number): ChannelShape {
  return shapeFromLogits(state.shape.logitTheta[c]!, state.shape.logK[c]!, state.shape.logS[c]!);
}

interface Located {
  readonly block: BlockState;
  /** Column of the channel's β in the block. */
  readonly column: number;
}

/** The model's window length is the baseline's too; recover it from a block's width. */
function widthOf(block: BlockState): number {
  return Math.round(Math.sqrt(block.information.length));
}

function locate(state: OnlineModelState, c: number): Located | undefined {
  for (const block of state.blocks) {
    const j = block.channels.indexOf(c);
    if (j >= 0) return { block, column: widthOf(block) - block.channels.length + j };
  }
  return undefined;
}

/** Whether every block has been fitted at least once (there are curves to hand out). */
export function isFitted(state: OnlineModelState): boolean {
  return state.blocks.every((b) => b.mean.length > 0 && b.mean.length * b.mean.length === b.information.length);
}

function curveWithBeta(state: OnlineModelState, c: number, beta: number): HillCurve {
  const shape = channelShape(state, c);
  return { type: 'hill', beta: Math.max(0, beta) * state.revenueScale, k: shape.k * state.spendScale[c]!, s: shape.s };
}

/** Each channel's mean steady-state curve (money per bucket). Requires a fitted state. */
export function modelCurves(state: OnlineModelState): Record<string, HillCurve> {
  const curves: Record<string, HillCurve> = {};
  state.channels.forEach((id, c) => {
    const at = locate(state, c);
    curves[id] = curveWithBeta(state, c, at ? at.block.mean[at.column]! : 0);
  });
  return curves;
}

/** Posterior sd of each channel's β, in money (the curve's height at saturation). */
export function betaSd(state: OnlineModelState): Record<string, number> {
  const out: Record<string, number> = {};
  state.channels.forEach((id, c) => {
    const at = locate(state, c);
    if (!at) return (out[id] = Number.NaN);
    const width = widthOf(at.block);
    const factor = choleskyFactor(at.block.information, width);
    const unit = new Float64Array(width);
    unit[at.column] = 1;
    out[id] = factor === null ? Number.NaN : Math.sqrt(at.block.noiseVariance * inverseQuadraticForm(factor, unit, width)) * state.revenueScale;
  });
  return out;
}

export interface RevenueForecast {
  /** Revenue of the bucket starting at `start` at the allocation, money per bucket. */
  readonly total: Estimate;
  readonly baseline: Estimate;
  /** Per channel: its steady-state contribution at its spend (its exact Shapley value vs. zero spend). */
  readonly channels: Readonly<Record<string, Estimate>>;
}

/**
 * Expected revenue of the bucket starting at `start` if the allocation were spent steadily, with
 * 90% intervals from the parameter uncertainty (not the bucket's own noise).
 */
export function forecastRevenue(state: OnlineModelState, allocation: Readonly<Record<string, number>>, start: number): RevenueForecast {
  const season = state.season;
  const P = baselineWidth(season);
  const baselineRow = new Float64Array(P);
  writeBaselineRow(season, start, state.bucketMs, baselineRow, 0);
  const R = state.revenueScale;
  let totalMean = 0;
  let totalVar = 0;
  let baseMean = 0;
  let baseVar = 0;
  const channels: Record<string, Estimate> = {};
  for (const block of state.blocks) {
    const width = widthOf(block);
    const factor = choleskyFactor(block.information, width);
    const z = new Float64Array(width);
    const zBase = new Float64Array(width);
    z.set(baselineRow, 0);
    zBase.set(baselineRow, 0);
    block.channels.forEach((c, j) => {
      const id = state.channels[c]!;
      const x = (Object.hasOwn(allocation, id) ? allocation[id]! : 0) / state.spendScale[c]!;
      const h = steadyHill(x, channelShape(state, c));
      z[P + j] = h;
      const beta = Math.max(0, block.mean[P + j]!);
      const unit = new Float64Array(width);
      unit[P + j] = 1;
      const sdBeta = factor === null ? Number.NaN : Math.sqrt(block.noiseVariance * inverseQuadraticForm(factor, unit, width));
      channels[id] = estimate(beta * h * R, sdBeta * h * R, 0);
    });
    for (let j = 0; j < width; j++) {
      const coefficient = j >= P ? Math.max(0, block.mean[j]!) : block.mean[j]!;
      totalMean += z[j]! * coefficient * R;
      if (j < P) baseMean += z[j]! * coefficient * R;
    }
    if (factor !== null) {
      totalVar += block.noiseVariance * inverseQuadraticForm(factor, z, width) * R * R;
      baseVar += block.noiseVariance * inverseQuadraticForm(factor, zBase, width) * R * R;
    } else {
      totalVar = Number.NaN;
    }
  }
  return { total: estimate(totalMean, Math.sqrt(totalVar)), baseline: estimate(baseMean, Math.sqrt(baseVar)), channels };
}

/**
 * One draw of every channel's curve from the posterior (Thompson sampling): the linear
 * coefficients of each block drawn jointly from N(mean, σ²·J⁻¹), β kept ≥ 0.
 */
export function sampleCurves(state: OnlineModelState, random: Random): Record<string, HillCurve> {
  const curves: Record<string, HillCurve> = {};
  for (const block of state.blocks) {
    const width = widthOf(block);
    const factor = choleskyFactor(block.information, width);
    const P = width - block.channels.length;
    let draw: Float64Array = Float64Array.from(block.mean);
    if (factor !== null) {
      const z = Float64Array.from({ length: width }, () => random.normal());
      const u = solveUpper(factor, z, width); // Cov(u) = J⁻¹
      const sigma = Math.sqrt(block.noiseVariance);
      draw = Float64Array.from(block.mean, (m, j) => m + sigma * u[j]!);
    }
    block.channels.forEach((c, j) => (curves[state.channels[c]!] = curveWithBeta(state, c, draw[P + j]!)));
  }
  return curves;
}
