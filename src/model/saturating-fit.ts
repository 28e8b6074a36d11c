/**
 * The first response model: per channel, revenue responds to spend in the same period as
 * β·(1 − e^(−x/k)), on top of an intercept (organic revenue):
 *
 *   revenue_t ≈ b + Σᵢ βᵢ·(1 − e^(−xᵢₜ/kᵢ))
 *
 * β ≥ 0 is fitted by ridge-regularised non-negative least squares, pulled towards a prior that
 * gives every channel the same ROI (`priorRoi`) at its average spend, so a short history does not
 * produce wild curves. Each kᵢ is chosen from a small grid of multiples of the channel's average
 * spend by penalised fit. Pure: numbers in, numbers out. The learned model of a later issue
 * (adstock, Hill, seasonality, uncertainty) replaces this behind the same `ResponseModel` shape.
 */
import type { ExpCurve } from './curves/types.ts';

export interface SpendObservation {
  /** Spend per channel in the period (missing = 0). */
  readonly spend: Readonly<Record<string, number>>;
  readonly revenue: number;
}

export interface ResponseModel {
  readonly intercept: number;
  readonly curves: Readonly<Record<string, ExpCurve>>;
  readonly observations: number;
  /** Root-mean-square error of the fit, in revenue per period. */
  readonly rmse: number;
  readonly healthy: boolean;
  /** Why the model is not healthy, when it is not. */
  readonly problem?: string;
}

export interface FitOptions {
  readonly ridge: number;
  readonly priorRoi: number;
  /** Spend to use for channels never seen spending (e.g. their initial budget). */
  readonly fallbackSpend: Readonly<Record<string, number>>;
}

const K_MULTIPLIERS = [0.5, 1, 2, 4] as const;
/** Prior strength: `ridge` = 1 weighs the prior like this many periods of data per channel. */
const PRIOR_PERIODS = 4;
const SWEEPS = 500;

interface Design {
  readonly n: number;
  readonly y: Float64Array;
  /** features[i][t] = 1 − e^(−x_it/k_i) */
  readonly features: Float64Array[];
}

function feature(spend: Float64Array, k: number): Float64Array {
  const out = new Float64Array(spend.length);
  for (let t = 0; t < spend.length; t++) out[t] = -Math.expm1(-(spend[t] ?? 0) / k);
  return out;
}

/**
 * Penalised least squares: minimise Σₜ (yₜ − b − Σᵢ βᵢ gᵢₜ)² + Σᵢ wᵢ (βᵢ − β⁰ᵢ)² with b ≥ 0, βᵢ ≥ 0.
 * The data enter once, through the normal equations (A = ZᵀZ + diag(0, w), c = Zᵀy + (0, wβ⁰)
 * for Z = [1, g₁ … gₘ]); projected Gauss–Seidel on A then costs O(m²) per sweep whatever the
 * history length, and converges because A is positive definite.
 */
function solveRidge(d: Design, prior: Float64Array, weight: Float64Array): { b: number; beta: Float64Array; loss: number } {
  const m = d.features.length;
  const size = m + 1;
  const column = (j: number, t: number) => (j === 0 ? 1 : d.features[j - 1]![t]!);
  const A = new Float64Array(size * size);
  const c = new Float64Array(size);
  let yy = 0;
  for (let t = 0; t < d.n; t++) {
    const y = d.y[t]!;
    yy += y * y;
    for (let j = 0; j < size; j++) {
      const zj = column(j, t);
      c[j]! += zj * y;
      for (let k = j; k < size; k++) A[j * size + k]! += zj * column(k, t);
    }
  }
  let priorConstant = 0;
  for (let i = 0; i < m; i++) {
    A[(i + 1) * size + (i + 1)]! += weight[i]!;
    c[i + 1]! += weight[i]! * prior[i]!;
    priorConstant += weight[i]! * prior[i]! * prior[i]!;
  }
  for (let j = 0; j < size; j++) for (let k = 0; k < j; k++) A[j * size + k] = A[k * size + j]!;

  const theta = new Float64Array(size);
  for (let i = 0; i < m; i++) theta[i + 1] = prior[i]!;
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    let change = 0;
    let scale = 0;
    for (let j = 0; j < size; j++) {
      const ajj = A[j * size + j]!;
      if (!(ajj > 0)) continue;
      let r = c[j]!;
      for (let k = 0; k < size; k++) if (k !== j) r -= A[j * size + k]! * theta[k]!;
      const next = Math.max(0, r / ajj);
      change = Math.max(change, Math.abs(next - theta[j]!));
      scale = Math.max(scale, Math.abs(next));
      theta[j] = next;
    }
    if (change <= 1e-10 * (1 + scale)) break;
  }
  // loss = yᵀy − 2cᵀθ + θᵀAθ + Σ w β⁰²
  let loss = yy + priorConstant;
  for (let j = 0; j < size; j++) {
    loss -= 2 * c[j]! * theta[j]!;
    for (let k = 0; k < size; k++) loss += theta[j]! * A[j * size + k]! * theta[k]!;
  }
  return { b: theta[0]!, beta: theta.subarray(1), loss };
}

export function fitSaturatingResponse(channelIds: readonly string[], history: readonly SpendObservation[], options: FitOptions): ResponseModel {
  const n = history.length;
  const spend = channelIds.map((id) => Float64Array.from(history, (h) => (Object.hasOwn(h.spend, id) ? h.spend[id]! : 0)));
  const mean = spend.map((s, i) => {
    const avg = n > 0 ? s.reduce((a, v) => a + v, 0) / n : 0;
    return avg > 0 ? avg : Math.max(options.fallbackSpend[channelIds[i]!] ?? 0, 1);
  });
  const y = Float64Array.from(history, (h) => h.revenue);
  if (n === 0 || !y.every(Number.isFinite) || !spend.every((s) => s.every(Number.isFinite))) {
    return unhealthy(channelIds, mean, options, n, n === 0 ? 'no observations yet' : 'non-finite observations');
  }

  // Start each kᵢ at the channel's average spend, then improve one channel at a time.
  const multipliers = channelIds.map(() => 1);
  const fitWith = (mult: readonly number[]) => {
    const k = mean.map((m, i) => m * mult[i]!);
    const features = spend.map((s, i) => feature(s, k[i]!));
    const prior = Float64Array.from(mean, (m, i) => (options.priorRoi * m) / -Math.expm1(-m / k[i]!));
    const weight = Float64Array.from(features, (g) => (options.ridge * PRIOR_PERIODS * g.reduce((s, v) => s + v * v, 0)) / Math.max(n, 1));
    return { k, ...solveRidge({ n, y, features }, prior, weight) };
  };
  let best = fitWith(multipliers);
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < channelIds.length; i++) {
      for (const m of K_MULTIPLIERS) {
        if (m === multipliers[i]) continue;
        const trial = multipliers.slice();
        trial[i] = m;
        const fit = fitWith(trial);
        if (fit.loss < best.loss - 1e-9 * Math.abs(best.loss)) {
          best = fit;
          multipliers[i] = m;
        }
      }
    }
  }
  const curves: Record<string, ExpCurve> = {};
  channelIds.forEach((id, i) => {
    curves[id] = { type: 'exp', beta: best.beta[i]!, k: best.k[i]! };
  });
  let sse = 0;
  for (let t = 0; t < n; t++) {
    let pred = best.b;
    channelIds.forEach((_, i) => (pred += best.beta[i]! * -Math.expm1(-(spend[i]![t] ?? 0) / best.k[i]!)));
    sse += (y[t]! - pred) ** 2;
  }
  const model: ResponseModel = { intercept: best.b, curves, observations: n, rmse: Math.sqrt(sse / n), healthy: true };
  const broken = [best.b, ...best.beta, ...best.k].some((v) => !Number.isFinite(v));
  return broken ? { ...model, healthy: false, problem: 'fit produced non-finite parameters' } : model;
}

function unhealthy(channelIds: readonly string[], mean: readonly number[], options: FitOptions, n: number, problem: string): ResponseModel {
  const curves: Record<string, ExpCurve> = {};
  channelIds.forEach((id, i) => {
    const k = mean[i]!;
    curves[id] = { type: 'exp', beta: (options.priorRoi * k) / -Math.expm1(-1), k };
  });
  return { intercept: 0, curves, observations: n, rmse: NaN, healthy: false, problem };
}
