/**
 * The accuracy yardstick for the response model: a plain ridge regression on the same features,
 * with media entering linearly (raw spend, no adstock, no saturation).
 *
 *   y_t = b₀ + Σ_j b_j·z_jt,   z = (feature − train mean) / train sd
 *
 * Features per period t (counted from the first period of `data`): t, the Fourier terms of
 * `seasonality`, every control, every channel's raw spend. Each is standardised with the training
 * rows' mean and standard deviation (a column constant on the training rows is left out), the
 * intercept is the training mean of y and is not penalised, and the coefficients solve
 * (ZᵀZ + λI)·b = Zᵀ(y − ȳ) in closed form (Cholesky). Pure.
 */
import { fourierTerms, fourierValue } from './features.ts';
import type { FitData, SeasonalitySpec } from './types.ts';
import { choleskySolve } from '../linear-algebra.ts';

/** A small penalty on standardised features: about 1% of a column's ZᵀZ diagonal on 100 rows. */
export const RIDGE_DEFAULT_LAMBDA = 1;

export interface RidgeBaseline {
  readonly lambda: number;
  /** Feature names, in coefficient order. */
  readonly features: readonly string[];
  /** Standardised-feature coefficients (0 for a feature left out as constant). */
  readonly coefficients: readonly number[];
  /** Periods fitted (the first `trainPeriods` of the data). */
  readonly trainPeriods: number;
  /** Predictions for every period of the data, training and later ones. */
  readonly predictions: Float64Array;
}

function featureColumns(data: FitData, seasonality: readonly SeasonalitySpec[]): { names: string[]; columns: Float64Array[] } {
  const n = data.target.length;
  const names: string[] = ['trend'];
  const columns: Float64Array[] = [Float64Array.from({ length: n }, (_, t) => t)];
  for (const term of fourierTerms(seasonality)) {
    names.push(`${term.kind}(${term.harmonic}·2πt/${term.period.toFixed(2)})`);
    columns.push(Float64Array.from({ length: n }, (_, t) => fourierValue(term, t)));
  }
  data.controls?.names.forEach((name, j) => {
    names.push(name);
    columns.push(Float64Array.from({ length: n }, (_, t) => data.controls?.values[j]?.[t] ?? 0));
  });
  for (const [name, spend] of Object.entries(data.spend)) {
    names.push(name);
    columns.push(Float64Array.from({ length: n }, (_, t) => spend[t] ?? 0));
  }
  return { names, columns };
}

/**
 * Fits the ridge baseline on the first `trainPeriods` periods of `data` and predicts every period.
 * λ must be > 0 (which also keeps the system solvable).
 */
export function fitRidgeBaseline(
  data: FitData,
  trainPeriods: number,
  options: { readonly seasonality?: readonly SeasonalitySpec[]; readonly lambda?: number } = {},
): RidgeBaseline {
  const lambda = options.lambda ?? RIDGE_DEFAULT_LAMBDA;
  if (!(lambda > 0 && Number.isFinite(lambda))) throw new RangeError(`ridge lambda must be a finite number > 0 (got ${lambda})`);
  const n = data.target.length;
  if (!(Number.isInteger(trainPeriods) && trainPeriods >= 2 && trainPeriods <= n)) {
    throw new RangeError(`trainPeriods must be an integer in [2, ${n}] (got ${trainPeriods})`);
  }
  const { names, columns } = featureColumns(data, options.seasonality ?? []);
  const means: number[] = [];
  const sds: number[] = [];
  const used: number[] = [];
  columns.forEach((column, j) => {
    let mean = 0;
    for (let t = 0; t < trainPeriods; t++) mean += column[t] ?? 0;
    mean /= trainPeriods;
    let ss = 0;
    for (let t = 0; t < trainPeriods; t++) ss += ((column[t] ?? 0) - mean) ** 2;
    const sd = Math.sqrt(ss / trainPeriods);
    means.push(mean);
    sds.push(sd);
    if (sd > 1e-12 * Math.max(1, Math.abs(mean))) used.push(j);
  });
  let yMean = 0;
  for (let t = 0; t < trainPeriods; t++) yMean += data.target[t] ?? 0;
  yMean /= trainPeriods;

  const p = used.length;
  const z = (j: number, t: number): number => ((columns[j]?.[t] ?? 0) - (means[j] ?? 0)) / (sds[j] ?? 1);
  const a = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let t = 0; t < trainPeriods; t++) {
    const row = used.map((j) => z(j, t));
    const dy = (data.target[t] ?? 0) - yMean;
    for (let u = 0; u < p; u++) {
      const zu = row[u] ?? 0;
      b[u] = (b[u] ?? 0) + zu * dy;
      for (let v = 0; v <= u; v++) a[u * p + v] = (a[u * p + v] ?? 0) + zu * (row[v] ?? 0);
    }
  }
  for (let u = 0; u < p; u++) {
    for (let v = 0; v < u; v++) a[v * p + u] = a[u * p + v] ?? 0;
    a[u * p + u] = (a[u * p + u] ?? 0) + lambda;
  }
  const solved = p === 0 ? new Float64Array(0) : choleskySolve(a, b, p);
  if (solved === null) throw new RangeError('ridge system is not positive definite');
  const coefficients = new Array<number>(columns.length).fill(0);
  used.forEach((j, u) => (coefficients[j] = solved[u] ?? 0));

  const predictions = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    let value = yMean;
    for (const j of used) value += (coefficients[j] ?? 0) * z(j, t);
    predictions[t] = value;
  }
  return { lambda, features: names, coefficients, trainPeriods, predictions };
}
