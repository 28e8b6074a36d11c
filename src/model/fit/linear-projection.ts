/**
 * The model is linear in the baseline coefficients and the channels' β once θ, k and s are fixed,
 * so those can be solved exactly instead of walked to by Adam (variable projection). Adam alone is
 * slow along the intercept-versus-β ridge: a Hill curve that is nearly flat over the data trades
 * revenue with the intercept almost one for one.
 *
 * `projectLinear` solves the ridge least squares
 *   min_w ‖y − X·w‖² + Σ_j ridge_j·w_j²,   X = [baseline features | media features]
 * with β ≥ 0 by a small active set: a column whose β comes out negative is fixed at 0 and the
 * rest re-solved. Pure, plain arrays; Cholesky on a (P + C)² system.
 */
import { choleskySolve } from './cholesky.ts';

export interface LinearProblem {
  /** [T, P] baseline features, row-major. */
  readonly features: ArrayLike<number>;
  readonly featureCount: number;
  /** [T, C] media features (the Hill values), row-major. */
  readonly media: ArrayLike<number>;
  readonly channels: number;
  readonly y: ArrayLike<number>;
  readonly periods: number;
  /** Ridge per column (P + C entries). */
  readonly ridge: ArrayLike<number>;
}

/** The least-squares coefficients: P baseline coefficients then C non-negative β; null if singular. */
export function projectLinear(problem: LinearProblem): { coef: Float64Array; beta: Float64Array } | null {
  const { features, featureCount: P, media, channels: C, y, periods: T, ridge } = problem;
  const active = new Array<boolean>(C).fill(true);
  for (let round = 0; round <= C; round++) {
    const columns: number[] = [];
    for (let p = 0; p < P; p++) columns.push(p);
    for (let c = 0; c < C; c++) if (active[c]) columns.push(P + c);
    const n = columns.length;
    const value = (t: number, column: number) => (column < P ? (features[t * P + column] ?? 0) : (media[t * C + column - P] ?? 0));
    const a = new Float64Array(n * n);
    const b = new Float64Array(n);
    for (let t = 0; t < T; t++) {
      const yt = y[t] ?? 0;
      for (let i = 0; i < n; i++) {
        const vi = value(t, columns[i] ?? 0);
        if (vi === 0) continue;
        b[i] = (b[i] ?? 0) + vi * yt;
        for (let j = 0; j <= i; j++) a[i * n + j] = (a[i * n + j] ?? 0) + vi * value(t, columns[j] ?? 0);
      }
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < i; j++) a[j * n + i] = a[i * n + j] ?? 0;
      a[i * n + i] = (a[i * n + i] ?? 0) + (ridge[columns[i] ?? 0] ?? 0);
    }
    const x = choleskySolve(a, b, n);
    if (x === null) return null;
    const coef = new Float64Array(P);
    const beta = new Float64Array(C);
    columns.forEach((column, i) => {
      if (column < P) coef[column] = x[i] ?? 0;
      else beta[column - P] = x[i] ?? 0;
    });
    let negative = false;
    for (let c = 0; c < C; c++) {
      if (active[c] && (beta[c] ?? 0) < 0) {
        active[c] = false;
        negative = true;
      }
    }
    if (!negative) return { coef, beta };
  }
  return null;
}
