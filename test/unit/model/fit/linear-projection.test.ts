import { describe, expect, it } from 'vitest';
import { projectLinear, solveNormalEquations } from '../../../../src/model/fit/linear-projection.ts';

function problem(betaTrue: readonly number[]) {
  const T = 40;
  const P = 2;
  const C = betaTrue.length;
  const features: number[] = [];
  const media: number[] = [];
  const y: number[] = [];
  for (let t = 0; t < T; t++) {
    features.push(1, t / (T - 1));
    let value = 3 + 0.5 * (t / (T - 1));
    for (let c = 0; c < C; c++) {
      const h = 0.5 + 0.4 * Math.sin(1.3 * t + 2 * c) * Math.cos(0.7 * c * t);
      media.push(h);
      value += (betaTrue[c] ?? 0) * h;
    }
    y.push(value);
  }
  return { features, featureCount: P, media, channels: C, y, periods: T, ridge: new Array(P + C).fill(1e-12) };
}

describe('projectLinear', () => {
  it('solves the baseline coefficients and β exactly on noiseless data', () => {
    const solved = projectLinear(problem([2, 0.7]));
    expect(solved).not.toBeNull();
    expect(solved!.coef[0]).toBeCloseTo(3, 6);
    expect(solved!.coef[1]).toBeCloseTo(0.5, 6);
    expect(solved!.beta[0]).toBeCloseTo(2, 6);
    expect(solved!.beta[1]).toBeCloseTo(0.7, 6);
  });

  it('keeps β non-negative: a channel that only hurts gets 0', () => {
    const solved = projectLinear(problem([2, -1]));
    expect(solved).not.toBeNull();
    expect(solved!.beta[1]).toBe(0);
    expect(solved!.beta[0]).toBeGreaterThan(0);
  });
});

describe('solveNormalEquations', () => {
  it('finds the constrained optimum when a β first comes out negative and must come back (fixing every negative at once gave (0, 0))', () => {
    // Rows (1, −0.9) and (0, √0.19), y = Z·(−0.1, −2); with β ≥ 0 the optimum is (1.7, 0).
    const s = Math.sqrt(0.19);
    const rows = [[1, -0.9], [0, s]] as const;
    const y = [1.7, -2 * s] as const;
    const gram = new Float64Array(4);
    const rhs = new Float64Array(2);
    for (let i = 0; i < 2; i++) {
      rhs[i] = rows[0][i]! * y[0] + rows[1][i]! * y[1];
      for (let j = 0; j < 2; j++) gram[i * 2 + j] = rows[0][i]! * rows[0][j]! + rows[1][i]! * rows[1][j]!;
    }
    const solved = solveNormalEquations({ gram, rhs, featureCount: 0, channels: 2, ridge: new Float64Array(2) })!;
    expect(solved.beta[0]).toBeCloseTo(1.7, 9);
    expect(solved.beta[1]).toBe(0);
  });
});
