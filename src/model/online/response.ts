/**
 * What the online model believes, in money: each channel's steady-state response curve (spend
 * per bucket → revenue per bucket, a Hill curve the optimizer understands), the baseline, and
 * their uncertainty; posterior draws for Thompson sampling. Pure.
 *
 * Uncertainty is the Gaussian posterior of the linear coefficients (baseline terms and β),
 * Σ = σ²·J⁻¹ from the information matrix of the last update, widened per channel by its shape's
 * uncertainty taken jointly with the linear part (a Laplace approximation, ./joint-uncertainty.ts).
 * Thompson draws (`sampleCurves`) vary the heights β only.
 */
import { curveDerivative, curveValue } from '../curves/registry.ts';
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

/** Posterior variance σ²·(J⁻¹)_cc of each channel's β, scaled units, in channel order (one factorisation per block). */
export function betaVariances(state: OnlineModelState): Float64Array {
  const out = new Float64Array(state.channels.length).fill(Number.NaN);
  for (const block of state.blocks) {
    const width = widthOf(block);
    const factor = choleskyFactor(block.information, width);
    if (factor === null) continue;
    const P = width - block.channels.length;
    block.channels.forEach((c, j) => {
      const unit = new Float64Array(width);
      unit[P + j] = 1;
      out[c] = block.noiseVariance * inverseQuadraticForm(factor, unit, width);
    });
  }
  return out;
}

/** Posterior sd of each channel's β, in money (the curve's height at saturation). */
export function betaSd(state: OnlineModelState): Record<string, number> {
  const variances = betaVariances(state);
  return Object.fromEntries(state.channels.map((id, c) => [id, Math.sqrt(variances[c]!) * state.revenueScale]));
}

export interface RevenueForecast {
  /** Revenue of the bucket starting at `start` at the allocation, money per bucket. */
  readonly total: Estimate;
  readonly baseline: Estimate;
  /** Per channel: its steady-state contribution at its spend (its exact Shapley value vs. zero spend). */
  readonly channels: Readonly<Record<string, Estimate>>;
}

/** Value and slope of a shape's Hill curve with height β, in money, at spend x. */
function valueAndSlope(state: OnlineModelState, c: number, beta: number, logK: number, logS: number, x: number): [number, number] {
  const curve: HillCurve = { type: 'hill', beta: beta * state.revenueScale, k: Math.exp(logK) * state.spendScale[c]!, s: Math.exp(logS) };
  return [curveValue(curve, x), curveDerivative(curve, x)];
}

export interface ChannelResponse {
  /** Revenue at the spend (the channel's contribution vs zero spend). */
  readonly value: Estimate;
  /** Marginal ROI at the spend (Infinity for a curve with an unbounded slope at zero spend). */
  readonly slope: Estimate;
  /** The part of the value's variance that comes from the shape (money²). */
  readonly shapeVariance: number;
}

/**
 * A channel's steady-state revenue and marginal ROI at spend x (money) with 90% intervals, by the
 * delta method on (β, ln k, ln s) with their joint covariance: β's posterior variance (scaled
 * units) plus what the shape adds to it, Cov(β, shape) and the shape's marginal covariance
 * (./joint-uncertainty.ts; the adstock decay does not change the steady state). The shape's part
 * is what makes the contribution honest where only the local slope is well measured.
 */
export function channelResponseAt(state: OnlineModelState, c: number, beta: number, betaVariance: number, x: number): ChannelResponse {
  const logK = state.shape.logK[c]!;
  const logS = state.shape.logS[c]!;
  const [value, slope] = valueAndSlope(state, c, beta, logK, logS, x);
  if (!(x > 0)) {
    // Nothing spent, nothing earned; the slope there is exact (possibly unbounded) and shown bare.
    return { value: estimate(0, 0, 0), slope: { mean: slope, sd: Number.isFinite(slope) ? 0 : Number.NaN, low: slope, high: slope }, shapeVariance: 0 };
  }
  const [unitValue, unitSlope] = valueAndSlope(state, c, 1, logK, logS, x);
  const eps = 1e-4;
  const grad = (dk: number, ds: number) => {
    const up = valueAndSlope(state, c, beta, logK + dk, logS + ds, x);
    const down = valueAndSlope(state, c, beta, logK - dk, logS - ds, x);
    return [(up[0] - down[0]) / (2 * eps), (up[1] - down[1]) / (2 * eps)] as const;
  };
  const [valueK, slopeK] = grad(eps, 0);
  const [valueS, slopeS] = grad(0, eps);
  const cov = state.shape.covariance[c] ?? [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const cross = state.shape.betaCross[c] ?? [0, 0, 0];
  const extra = state.shape.betaExtraVariance[c] ?? 0;
  const quad = (gk: number, gs: number) => gk * gk * cov[4]! + 2 * gk * gs * cov[5]! + gs * gs * cov[8]!;
  // (∂/∂β, ∂/∂ln k, ∂/∂ln s) with the joint covariance; θ does not enter the steady state.
  const variance = (unit: number, gk: number, gs: number) => unit * unit * (betaVariance + extra) + 2 * unit * (gk * cross[1]! + gs * cross[2]!) + quad(gk, gs);
  const valueVar = variance(unitValue, valueK, valueS);
  const slopeVar = variance(unitSlope, slopeK, slopeS);
  const shapeVariance = Math.max(0, valueVar - unitValue * unitValue * betaVariance);
  return { value: estimate(value, Math.sqrt(Math.max(0, valueVar)), 0), slope: estimate(slope, Math.sqrt(Math.max(0, slopeVar)), 0), shapeVariance };
}

/**
 * Expected revenue of the bucket starting at `start` if the allocation were spent steadily, with
 * 90% intervals from the parameter uncertainty (not the bucket's own noise). `intervals: false`
 * gives the means only (sd NaN), without the factorisations and the delta method: what the
 * reoptimizer needs on every bucket.
 */
export function forecastRevenue(state: OnlineModelState, allocation: Readonly<Record<string, number>>, start: number, intervals = true): RevenueForecast {
  const season = state.season;
  const P = baselineWidth(season);
  const baselineRow = new Float64Array(P);
  writeBaselineRow(season, start, state.bucketMs, baselineRow, 0);
  const R = state.revenueScale;
  let totalMean = 0;
  let totalVar = 0;
  let baseMean = 0;
  let baseVar = 0;
  let shapeVariance = 0;
  const channels: Record<string, Estimate> = {};
  const variances = intervals ? betaVariances(state) : null;
  for (const block of state.blocks) {
    const width = widthOf(block);
    const factor = intervals ? choleskyFactor(block.information, width) : null;
    const z = new Float64Array(width);
    const zBase = new Float64Array(width);
    z.set(baselineRow, 0);
    zBase.set(baselineRow, 0);
    block.channels.forEach((c, j) => {
      const id = state.channels[c]!;
      const spend = Object.hasOwn(allocation, id) ? allocation[id]! : 0;
      z[P + j] = steadyHill(spend / state.spendScale[c]!, channelShape(state, c));
      const beta = Math.max(0, block.mean[P + j]!);
      if (variances === null) {
        channels[id] = { mean: beta * z[P + j]! * R, sd: Number.NaN, low: Number.NaN, high: Number.NaN };
        return;
      }
      const at = channelResponseAt(state, c, beta, variances[c]!, spend);
      channels[id] = at.value;
      shapeVariance += at.shapeVariance;
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
  // The shapes' uncertainty adds to the media part (treated as independent of the linear part's).
  return { total: estimate(totalMean, Math.sqrt(totalVar + shapeVariance)), baseline: estimate(baseMean, Math.sqrt(baseVar)), channels };
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
