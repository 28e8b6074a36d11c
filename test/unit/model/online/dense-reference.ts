/**
 * Plain dense linear algebra for the online model's tests, written independently of
 * src/model/linear-algebra.ts (Gauss–Jordan elimination with partial pivoting, no Cholesky), so
 * results can be checked against it. Row-major n×n Float64Arrays, like the code under test.
 */
import { expect } from 'vitest';
import type { Random } from '../../../../src/random.ts';

/** A⁻¹ by Gauss–Jordan with partial pivoting; null when A is (numerically) singular. */
export function inverse(a: ArrayLike<number>, n: number): Float64Array | null {
  const m = Float64Array.from({ length: n * n }, (_, i) => a[i] ?? 0);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r * n + col]!) > Math.abs(m[pivot * n + col]!)) pivot = r;
    const p = m[pivot * n + col]!;
    if (Math.abs(p) < 1e-300) return null;
    if (pivot !== col) {
      for (let j = 0; j < n; j++) {
        [m[col * n + j], m[pivot * n + j]] = [m[pivot * n + j]!, m[col * n + j]!];
        [inv[col * n + j], inv[pivot * n + j]] = [inv[pivot * n + j]!, inv[col * n + j]!];
      }
    }
    for (let j = 0; j < n; j++) {
      m[col * n + j]! /= p;
      inv[col * n + j]! /= p;
    }
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r * n + col]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        m[r * n + j]! -= f * m[col * n + j]!;
        inv[r * n + j]! -= f * inv[col * n + j]!;
      }
    }
  }
  return inv;
}

/** A·v for row-major A (n×n). */
export function matVec(a: ArrayLike<number>, v: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += a[i * n + j]! * v[j]!;
    out[i] = s;
  }
  return out;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** A random symmetric positive-definite n×n matrix, B·Bᵀ + shift·I with B's entries uniform in [−1, 1]. */
export function randomSpd(random: Random, n: number, shift = 0.5): Float64Array {
  const b = Float64Array.from({ length: n * n }, () => 2 * random.next() - 1);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = i === j ? shift : 0;
      for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
      a[i * n + j] = s;
    }
  }
  return a;
}

/** The sub-matrix of rows/columns `keep` of a row-major n×n matrix. */
export function subMatrix(a: ArrayLike<number>, n: number, keep: readonly number[]): Float64Array {
  const k = keep.length;
  const out = new Float64Array(k * k);
  keep.forEach((i, u) => keep.forEach((j, v) => (out[u * k + v] = a[i * n + j]!)));
  return out;
}

/** Element-wise |actual − expected| ≤ tolerance·max(1, |expected|). */
export function expectAllClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tolerance: number, label = ''): void {
  expect(actual.length, `${label} length`).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i]!;
    const a = actual[i]!;
    expect(Math.abs(a - e), `${label}[${i}]: ${a} vs ${e}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(e)));
  }
}
