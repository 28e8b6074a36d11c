/**
 * The model is linear in the baseline coefficients and the channels' β once the adstock and curve
 * parameters are fixed, so those can be solved exactly instead of walked to by Adam (variable
 * projection). Adam alone is slow along the intercept-versus-β ridge: a curve that is nearly flat
 * over the data trades revenue with the intercept almost one for one.
 *
 * The weighted ridge least squares
 *   min_w Σ_t ω_t·(y_t − X_t·w)² + Σ_j ridge_j·w_j²,   X = [baseline features | media features]
 * with β ≥ 0 is solved from its normal equations (XᵀΩX + diag(ridge))·w = XᵀΩy by a small active
 * set: a column whose β comes out negative is fixed at 0 and the rest re-solved. The batched fit
 * computes XᵀΩX and XᵀΩy for every member as tensors (./graph.ts) and solves each small system
 * here; `projectLinear` does the same from raw arrays. Pure; Cholesky on a (P + C)² system.
 */
import { solveNonNegative } from '../linear-algebra.ts';

export interface NormalEquations {
  /** (P + C)² Gram matrix XᵀΩX, row-major, baseline columns first. */
  readonly gram: ArrayLike<number>;
  /** XᵀΩy, P + C entries. */
  readonly rhs: ArrayLike<number>;
  readonly featureCount: number;
  readonly channels: number;
  /** Ridge per column (P + C entries). */
  readonly ridge: ArrayLike<number>;
}

export interface LinearSolution {
  readonly coef: Float64Array;
  readonly beta: Float64Array;
}

/**
 * P baseline coefficients then C non-negative β (the Lawson–Hanson active set, so a β fixed at 0
 * early is released when the others move); null if the system is singular.
 */
export function solveNormalEquations(problem: NormalEquations): LinearSolution | null {
  const { gram, rhs, featureCount: P, channels: C, ridge } = problem;
  const N = P + C;
  const a = new Float64Array(N * N);
  const b = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    b[i] = rhs[i] ?? 0;
    for (let j = 0; j < N; j++) a[i * N + j] = gram[i * N + j] ?? 0;
    a[i * N + i] = (a[i * N + i] ?? 0) + (ridge[i] ?? 0);
  }
  const x = solveNonNegative(a, b, N, Array.from({ length: C }, (_, c) => P + c));
  if (x === null) return null;
  return { coef: x.slice(0, P), beta: Float64Array.from({ length: C }, (_, c) => Math.max(0, x[P + c] ?? 0)) };
}

export interface LinearProblem {
  /** [T, P] baseline features, row-major. */
  readonly features: ArrayLike<number>;
  readonly featureCount: number;
  /** [T, C] media features (the curve values), row-major. */
  readonly media: ArrayLike<number>;
  readonly channels: number;
  readonly y: ArrayLike<number>;
  readonly periods: number;
  /** Ridge per column (P + C entries). */
  readonly ridge: ArrayLike<number>;
  /** Per-period weights ω (all 1 when absent). */
  readonly weights?: ArrayLike<number>;
}

/** The same solve from raw arrays (builds the normal equations first). */
export function projectLinear(problem: LinearProblem): LinearSolution | null {
  const { features, featureCount: P, media, channels: C, y, periods: T, ridge, weights } = problem;
  const N = P + C;
  const gram = new Float64Array(N * N);
  const rhs = new Float64Array(N);
  const row = new Float64Array(N);
  for (let t = 0; t < T; t++) {
    const w = weights?.[t] ?? 1;
    if (w === 0) continue;
    for (let p = 0; p < P; p++) row[p] = features[t * P + p] ?? 0;
    for (let c = 0; c < C; c++) row[P + c] = media[t * C + c] ?? 0;
    const yt = y[t] ?? 0;
    for (let i = 0; i < N; i++) {
      const vi = (row[i] ?? 0) * w;
      rhs[i] = (rhs[i] ?? 0) + vi * yt;
      for (let j = 0; j < N; j++) gram[i * N + j] = (gram[i * N + j] ?? 0) + vi * (row[j] ?? 0);
    }
  }
  return solveNormalEquations({ gram, rhs, featureCount: P, channels: C, ridge });
}
