/**
 * Small dense linear algebra on row-major Float64Arrays, for the models' linear parts (a few dozen
 * unknowns): Cholesky factorisation and the solves and quadratic forms built on it. Pure.
 */

/** The lower-triangular L with A = L·Lᵀ (n×n, row-major), or null when A is not positive definite. */
export function choleskyFactor(a: ArrayLike<number>, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      let sum = a[rowI + j] ?? 0;
      for (let k = 0; k < j; k++) sum -= l[rowI + k]! * l[rowJ + k]!;
      if (i === j) {
        if (!(sum > 0)) return null;
        l[rowI + i] = Math.sqrt(sum);
      } else {
        l[rowI + j] = sum / l[rowJ + j]!;
      }
    }
  }
  return l;
}

/** Solves L·z = b (forward substitution). */
export function solveLower(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  const z = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = b[i] ?? 0;
    const row = i * n;
    for (let k = 0; k < i; k++) sum -= l[row + k]! * z[k]!;
    z[i] = sum / l[row + i]!;
  }
  return z;
}

/** Solves Lᵀ·x = z (back substitution). */
export function solveUpper(l: Float64Array, z: ArrayLike<number>, n: number): Float64Array {
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = z[i] ?? 0;
    for (let k = i + 1; k < n; k++) sum -= l[k * n + i]! * x[k]!;
    x[i] = sum / l[i * n + i]!;
  }
  return x;
}

/** Solves A·x = b given the Cholesky factor L of A. */
export function solveWithFactor(l: Float64Array, b: ArrayLike<number>, n: number): Float64Array {
  return solveUpper(l, solveLower(l, b, n), n);
}

/** Solves A·x = b for a symmetric positive-definite A; null when A is not positive definite. */
export function choleskySolve(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array | null {
  const l = choleskyFactor(a, n);
  return l === null ? null : solveWithFactor(l, b, n);
}

/** vᵀ·A⁻¹·v given the Cholesky factor L of A (= ‖L⁻¹v‖²). */
export function inverseQuadraticForm(l: Float64Array, v: ArrayLike<number>, n: number): number {
  const z = solveLower(l, v, n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += z[i]! * z[i]!;
  return sum;
}

/** The diagonal of A⁻¹ given the Cholesky factor L of A (column by column; O(n³)). */
export function inverseDiagonal(l: Float64Array, n: number): Float64Array {
  const out = new Float64Array(n);
  const unit = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    unit.fill(0);
    unit[j] = 1;
    out[j] = inverseQuadraticForm(l, unit, n);
  }
  return out;
}
