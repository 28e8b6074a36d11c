import { describe, expect, it } from 'vitest';
import {
  choleskyFactor,
  choleskySolve,
  inverseQuadraticForm,
  solveLower,
  solveUpper,
  solveWithFactor,
} from '../../../../src/model/linear-algebra.ts';
import { seededRandom } from '../../../../src/random.ts';
import { dot, expectAllClose, inverse, matVec, randomSpd } from './dense-reference.ts';

const SIZES = [1, 2, 3, 7, 15];

describe('choleskyFactor', () => {
  it('gives a lower-triangular L with L·Lᵀ = A', () => {
    const random = seededRandom(11);
    for (const n of SIZES) {
      const a = randomSpd(random, n);
      const l = choleskyFactor(a, n)!;
      expect(l).not.toBeNull();
      const product = new Float64Array(n * n);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          if (j > i) expect(l[i * n + j], `L[${i}][${j}] above the diagonal`).toBe(0);
          let s = 0;
          for (let k = 0; k < n; k++) s += l[i * n + k]! * l[j * n + k]!;
          product[i * n + j] = s;
        }
        expect(l[i * n + i]).toBeGreaterThan(0);
      }
      expectAllClose(product, a, 1e-12, `n=${n}`);
    }
  });

  it('returns null for matrices that are not positive definite', () => {
    // Indefinite (eigenvalues 3 and −1), singular (rank 1), negative diagonal, and zero.
    expect(choleskyFactor([1, 2, 2, 1], 2)).toBeNull();
    expect(choleskyFactor([1, 1, 1, 1], 2)).toBeNull();
    expect(choleskyFactor([-1], 1)).toBeNull();
    expect(choleskyFactor([0, 0, 0, 0], 2)).toBeNull();
    expect(choleskyFactor([Number.NaN], 1)).toBeNull();
    expect(choleskySolve([1, 2, 2, 1], [1, 1], 2)).toBeNull();
    // A PD leading block with an indefinite whole: the failure shows only at the last pivot.
    expect(choleskyFactor([4, 2, 2, 2], 2)).not.toBeNull();
    expect(choleskySolve([4, 2, 2, 2, 2, 3, 2, 3, 1], [1, 2, 3], 3)).toBeNull();
  });
});

describe('solves against an explicit inverse', () => {
  it('choleskySolve and solveWithFactor give A⁻¹b', () => {
    const random = seededRandom(12);
    for (const n of SIZES) {
      const a = randomSpd(random, n);
      const b = Float64Array.from({ length: n }, () => 4 * random.next() - 2);
      const expected = matVec(inverse(a, n)!, b, n);
      expectAllClose(choleskySolve(a, b, n)!, expected, 1e-10, `choleskySolve n=${n}`);
      expectAllClose(solveWithFactor(choleskyFactor(a, n)!, b, n), expected, 1e-10, `solveWithFactor n=${n}`);
      // And the residual itself is tiny: A·x = b.
      expectAllClose(matVec(a, choleskySolve(a, b, n)!, n), b, 1e-10, `residual n=${n}`);
    }
  });

  it('solveLower and solveUpper invert L and Lᵀ', () => {
    const random = seededRandom(13);
    const n = 6;
    const l = choleskyFactor(randomSpd(random, n), n)!;
    const b = Float64Array.from({ length: n }, () => random.next() - 0.5);
    const lt = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) lt[i * n + j] = l[j * n + i]!;
    expectAllClose(solveLower(l, b, n), matVec(inverse(l, n)!, b, n), 1e-10, 'L⁻¹b');
    expectAllClose(solveUpper(l, b, n), matVec(inverse(lt, n)!, b, n), 1e-10, 'L⁻ᵀb');
  });

  it('inverseQuadraticForm is vᵀA⁻¹v', () => {
    const random = seededRandom(14);
    for (const n of SIZES) {
      const a = randomSpd(random, n, 0.05); // a smaller shift: worse conditioned
      const inv = inverse(a, n)!;
      const l = choleskyFactor(a, n)!;
      for (let trial = 0; trial < 3; trial++) {
        const v = Float64Array.from({ length: n }, () => 2 * random.next() - 1);
        const expected = dot(v, matVec(inv, v, n));
        expect(Math.abs(inverseQuadraticForm(l, v, n) - expected)).toBeLessThanOrEqual(1e-9 * Math.abs(expected));
      }
    }
  });
});
