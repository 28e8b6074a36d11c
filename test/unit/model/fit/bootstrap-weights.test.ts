import { describe, expect, it } from 'vitest';
import { bayesianBootstrapWeights } from '../../../../src/model/fit/bootstrap-weights.ts';

describe('bayesianBootstrapWeights', () => {
  it('draws per-block positive weights with mean 1, zero after upTo, the same for the same seed', () => {
    const members = bayesianBootstrapWeights({ members: 50, periods: 40, seed: 3, blockLength: 4, upTo: 30 });
    expect(members).toHaveLength(50);
    for (const w of members) {
      const head = Array.from(w.subarray(0, 30));
      expect(head.every((v) => v > 0)).toBe(true);
      expect(Array.from(w.subarray(30)).every((v) => v === 0)).toBe(true);
      expect(head.reduce((s, v) => s + v, 0) / 30).toBeCloseTo(1, 5);
      for (let t = 0; t < 30; t++) expect(w[t]).toBe(w[t - (t % 4)]);
    }
    expect(bayesianBootstrapWeights({ members: 50, periods: 40, seed: 3, blockLength: 4, upTo: 30 })).toEqual(members);
    expect(bayesianBootstrapWeights({ members: 50, periods: 40, seed: 4, blockLength: 4, upTo: 30 })).not.toEqual(members);
  });

  it('has the spread of a flat Dirichlet: per-period weight variance near 1 (Exp(1) draws)', () => {
    const members = bayesianBootstrapWeights({ members: 400, periods: 50, seed: 1 });
    const values = members.flatMap((w) => Array.from(w));
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(mean).toBeCloseTo(1, 6);
    expect(variance).toBeGreaterThan(0.85);
    expect(variance).toBeLessThan(1.1);
  });
});
