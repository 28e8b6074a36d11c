import { describe, expect, it } from 'vitest';
import { projectLinear } from '../../../../src/model/fit/linear-projection.ts';

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
