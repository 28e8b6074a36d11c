/**
 * Bayesian linear regression over the replay window with exponential forgetting and change
 * points, in information form. Pure.
 *
 * With prior N(m₀, σ²·Λ₀⁻¹), rows z_t, y_t and forgetting weights w_t = λ^{age_t}:
 *
 *   J = Λ₀ + Σ_t w_t z_t z_tᵀ,   r = Λ₀m₀ + Σ_t w_t z_t y_t,   mean = J⁻¹r.
 *
 * A change point ("jump") on component c at row τ says the coefficient was different before:
 * rows t < τ see β_c − δ instead of β_c, with δ ~ N(0, σ²·q). It is one more unknown whose column
 * is −z_tc before τ and 0 from τ on, so data before τ say little about today's β_c (they still
 * inform the other coefficients and, through β_c − δ, the shape), and data from τ on re-learn
 * it. This is the batch form of a Kalman filter whose coefficient jumps at τ. Every row's
 * residual is then exact — computed with the coefficients that held at that row — which the noise
 * estimate and the shape steps rely on. The reported information is the marginal one of the
 * current coefficients (the Schur complement over the jumps), what predictions and draws use.
 *
 * Accumulation is by dot products of weighted columns (one pass per column pair, contiguous
 * memory): O(rows × (d + jumps)²/2).
 */
import { choleskyFactor, solveNonNegative, solveWithFactor } from '../linear-algebra.ts';

export interface Jump {
  /** First row that sees the new value. */
  readonly row: number;
  /** Which coefficient jumps (column of the design). */
  readonly component: number;
  /** Prior variance of the jump, in σ² units (variance / noise variance). */
  readonly variance: number;
}

export interface WindowRegression {
  readonly rows: number;
  readonly width: number;
  /** rows × width, column-major: column j is design[j·rows … (j+1)·rows). */
  readonly design: Float64Array;
  readonly target: Float64Array;
  /** Forgetting weight of each row. */
  readonly weight: Float64Array;
  /** Λ₀ diagonal (σ² units). */
  readonly priorPrecision: Float64Array;
  readonly priorMean: Float64Array;
  readonly jumps: readonly Jump[];
  /** Coefficients kept ≥ 0 (the β): one that comes out negative is fixed at 0 and the rest re-solved. */
  readonly nonNegative: readonly number[];
}

export interface Posterior {
  /** Current coefficients (width). */
  readonly mean: Float64Array;
  /** Each jump's δ: the coefficient before the jump was mean[component] − δ. */
  readonly jumps: Float64Array;
  /** Marginal information (precision × σ²) of the current coefficients, width × width. */
  readonly information: Float64Array;
  /** y_t − fitted_t with the coefficients of each row's time. */
  readonly residual: Float64Array;
  /** Σ w_t residual_t². */
  readonly sse: number;
}

/** The augmented design column k (a jump's) at row t. */
function columnValue(input: WindowRegression, k: number, t: number): number {
  const { rows, width, design, jumps } = input;
  if (k < width) return design[k * rows + t]!;
  const jump = jumps[k - width]!;
  return t < jump.row ? -design[jump.component * rows + t]! : 0;
}

function augmentedColumns(input: WindowRegression): Float64Array {
  const { rows, width, jumps } = input;
  const n = width + jumps.length;
  const columns = new Float64Array(n * rows);
  columns.set(input.design.subarray(0, width * rows), 0);
  for (let k = width; k < n; k++) for (let t = 0; t < rows; t++) columns[k * rows + t] = columnValue(input, k, t);
  return columns;
}

/** Solves the regression (see the module comment); null when the system is not positive definite. */
export function solveWindowRegression(input: WindowRegression): Posterior | null {
  const { rows, width, target, weight, priorPrecision, priorMean, jumps } = input;
  const n = width + jumps.length;
  const columns = augmentedColumns(input);
  const a = new Float64Array(n * n);
  const b = new Float64Array(n);
  const weighted = new Float64Array(rows);
  for (let i = 0; i < n; i++) {
    const ci = i * rows;
    let ry = 0;
    for (let t = 0; t < rows; t++) {
      const v = weight[t]! * columns[ci + t]!;
      weighted[t] = v;
      ry += v * target[t]!;
    }
    b[i] = ry;
    for (let j = 0; j <= i; j++) {
      const cj = j * rows;
      let sum = 0;
      for (let t = 0; t < rows; t++) sum += weighted[t]! * columns[cj + t]!;
      a[i * n + j] = sum;
      a[j * n + i] = sum;
    }
  }
  for (let i = 0; i < width; i++) {
    a[i * n + i]! += priorPrecision[i]!;
    b[i]! += priorPrecision[i]! * priorMean[i]!;
  }
  jumps.forEach((jump, k) => (a[(width + k) * n + width + k]! += 1 / Math.max(jump.variance, 1e-12)));

  const solved = solveNonNegative(a, b, n, input.nonNegative);
  if (solved === null) return null;
  const information = marginalInformation(a, n, width);
  if (information === null) return null;
  const residual = Float64Array.from(target);
  for (let k = 0; k < n; k++) {
    const m = solved[k]!;
    if (m === 0) continue;
    for (let t = 0, at = k * rows; t < rows; t++, at++) residual[t]! -= columns[at]! * m;
  }
  let sse = 0;
  for (let t = 0; t < rows; t++) sse += weight[t]! * residual[t]! * residual[t]!;
  return { mean: solved.slice(0, width), jumps: solved.slice(width), information, residual, sse };
}

/** J_aa − J_ab·J_bb⁻¹·J_ba for the first `width` unknowns of the n×n system `a`. */
function marginalInformation(a: Float64Array, n: number, width: number): Float64Array | null {
  const out = new Float64Array(width * width);
  for (let i = 0; i < width; i++) for (let j = 0; j < width; j++) out[i * width + j] = a[i * n + j]!;
  const m = n - width;
  if (m === 0) return out;
  const bb = new Float64Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) bb[i * m + j] = a[(width + i) * n + width + j]!;
  const factor = choleskyFactor(bb, m);
  if (factor === null) return null;
  const solvedColumns: Float64Array[] = [];
  for (let j = 0; j < width; j++) {
    const column = Float64Array.from({ length: m }, (_, i) => a[(width + i) * n + j]!);
    solvedColumns.push(solveWithFactor(factor, column, m));
  }
  for (let i = 0; i < width; i++) {
    for (let j = 0; j < width; j++) {
      let sum = 0;
      for (let k = 0; k < m; k++) sum += a[i * n + width + k]! * solvedColumns[j]![k]!;
      out[i * width + j]! -= sum;
    }
  }
  return out;
}
