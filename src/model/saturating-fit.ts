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
const SWEEPS = 300;

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
 * Penalised least squares by projected coordinate descent: minimise
 * Σₜ (yₜ − b − Σᵢ βᵢ gᵢₜ)² + Σᵢ wᵢ (βᵢ − β⁰ᵢ)²,  b ≥ 0, βᵢ ≥ 0.
 */
function solveRidge(d: Design, prior: Float64Array, weight: Float64Array): { b: number; beta: Float64Array; loss: number } {
  const m = d.features.length;
  const beta = Float64Array.from(prior);
  const residual = Float64Array.from(d.y);
  for (let i = 0; i < m; i++) {
    const g = d.features[i]!;
    for (let t = 0; t < d.n; t++) residual[t]! -= beta[i]! * g[t]!;
  }
  let b = 0;
  const sq = d.features.map((g) => g.reduce((s, v) => s + v * v, 0));
  for (let sweep = 0; sweep < SWEEPS; sweep++) {
    let change = 0;
    // intercept
    let rs = 0;
    for (let t = 0; t < d.n; t++) rs += residual[t]! + b;
    const nb = Math.max(0, rs / d.n);
    if (nb !== b) {
      for (let t = 0; t < d.n; t++) residual[t]! -= nb - b;
      change = Math.max(change, Math.abs(nb - b));
      b = nb;
    }
    for (let i = 0; i < m; i++) {
      const g = d.features[i]!;
      let gr = 0;
      for (let t = 0; t < d.n; t++) gr += g[t]! * (residual[t]! + beta[i]! * g[t]!);
      const denom = sq[i]! + weight[i]!;
      const nbeta = denom > 0 ? Math.max(0, (gr + weight[i]! * prior[i]!) / denom) : prior[i]!;
      const delta = nbeta - beta[i]!;
      if (delta !== 0) {
        for (let t = 0; t < d.n; t++) residual[t]! -= delta * g[t]!;
        change = Math.max(change, Math.abs(delta));
        beta[i] = nbeta;
      }
    }
    if (change < 1e-9 * (1 + b)) break;
  }
  let loss = 0;
  for (let t = 0; t < d.n; t++) loss += residual[t]! * residual[t]!;
  for (let i = 0; i < m; i++) loss += weight[i]! * (beta[i]! - prior[i]!) ** 2;
  return { b, beta, loss };
}

export function fitSaturatingResponse(channelIds: readonly string[], history: readonly SpendObservation[], options: FitOptions): ResponseModel {
  const n = history.length;
  const spend = channelIds.map((id) => Float64Array.from(history, (h) => h.spend[id] ?? 0));
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
