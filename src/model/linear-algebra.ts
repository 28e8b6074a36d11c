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

/** Solves the system restricted to the unknowns in `free` (the others held at 0). */
function solveOn(a: Float64Array, b: Float64Array, n: number, free: readonly number[]): Float64Array | null {
  const k = free.length;
  const sub = new Float64Array(k * k);
  const rhs = new Float64Array(k);
  free.forEach((fi, u) => {
    rhs[u] = b[fi]!;
    free.forEach((fj, v) => (sub[u * k + v] = a[fi * n + fj]!));
  });
  const solved = choleskySolve(sub, rhs, k);
  if (solved === null) return null;
  const x = new Float64Array(n);
  free.forEach((fi, u) => (x[fi] = solved[u]!));
  return x;
}

/**
 * The mode of the Gaussian posterior with the coefficients in `nonNegative` kept ≥ 0:
 * minimise ½xᵀAx − bᵀx subject to those x ≥ 0, by the Lawson–Hanson active set (the other
 * unknowns are always free). A constrained coefficient enters the free set while the objective
 * still falls in its direction; a step that would take a free one below 0 stops at the boundary
 * and fixes it there. Exact at termination (the KKT conditions hold).
 */
export function solveNonNegative(a: Float64Array, b: Float64Array, n: number, nonNegative: readonly number[]): Float64Array | null {
  const unconstrained = solveOn(a, b, n, Array.from({ length: n }, (_, i) => i));
  if (unconstrained === null) return null;
  if (nonNegative.every((i) => unconstrained[i]! >= 0)) return unconstrained;
  const constrained = new Set(nonNegative);
  const free = new Set(Array.from({ length: n }, (_, i) => i).filter((i) => !constrained.has(i)));
  let x = solveOn(a, b, n, [...free]);
  if (x === null) return null;
  const tolerance = 1e-12 * (1 + b.reduce((m, v) => Math.max(m, Math.abs(v)), 0));
  for (let outer = 0; outer < 3 * n + 10; outer++) {
    // Negative gradient b − Ax at the fixed coefficients: positive means "would rise if freed".
    let enter = -1;
    let best = tolerance;
    for (const i of nonNegative) {
      if (free.has(i)) continue;
      let w = b[i]!;
      for (let j = 0; j < n; j++) w -= a[i * n + j]! * x[j]!;
      if (w > best) {
        best = w;
        enter = i;
      }
    }
    if (enter < 0) return x;
    free.add(enter);
    for (let inner = 0; inner < n + 1; inner++) {
      const z = solveOn(a, b, n, [...free]);
      if (z === null) return null;
      const blocked = nonNegative.filter((i) => free.has(i) && z[i]! <= 0);
      if (blocked.length === 0) {
        x = z;
        break;
      }
      // Step from x towards z as far as feasibility allows; fix whoever reaches 0.
      let alpha = 1;
      for (const i of blocked) alpha = Math.min(alpha, x[i]! / (x[i]! - z[i]!));
      const current: Float64Array = x;
      x = Float64Array.from(current, (v, i) => v + alpha * (z[i]! - v));
      for (const i of nonNegative) {
        if (free.has(i) && x[i]! <= tolerance) {
          free.delete(i);
          x[i] = 0;
        }
      }
    }
  }
  return x;
}
