import { describe, expect, it } from 'vitest';
import { interval, quantile, summarizeEnsemble } from '../../../../src/model/fit/ensemble-summary.ts';
import type { FittedModel } from '../../../../src/model/fit/types.ts';

function member(beta: number, roi: number): FittedModel {
  return {
    kind: 'additive',
    periods: 3,
    intercept: 100,
    trend: 10,
    seasonality: [],
    controls: [],
    channels: [{ name: 'a', curve: { type: 'exp', beta, k: 50 }, adstock: { type: 'geometric', theta: 0, maxLag: 0, normalize: true }, contribution: roi * 30, spend: 30, roi, recentSpend: 10, marginalRoi: beta / 50 }],
    training: { backend: 'cpu', steps: 1, learningRate: 0.1, members: 1, member: 0, memberLosses: [0], lossHistory: [], mse: 0, rmse: 0 },
  };
}

describe('ensemble summary', () => {
  it('computes quantiles by linear interpolation between order statistics', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([0, 10], 0.05)).toBeCloseTo(0.5, 12);
    expect(quantile([], 0.5)).toBeNaN();
    expect(interval([1, 2, 3, 4, 5], 0.5)).toEqual({ lower: 2, median: 3, upper: 4 });
  });

  it('summarises ROI, marginal ROI, response points and the expected revenue at the recent spend', () => {
    const members = Array.from({ length: 21 }, (_, i) => member(100 + i, 1 + i / 10));
    const data = { target: new Float64Array([1, 2, 3]), spend: { a: new Float64Array([10, 10, 10]) } };
    const summary = summarizeEnsemble(members, data, { a: [0, 50] }, 0.9);
    const a = summary.channels['a']!;
    expect(a.roi).toEqual({ lower: quantile(members.map((m) => m.channels[0]!.roi), 0.05), median: 2, upper: quantile(members.map((m) => m.channels[0]!.roi), 0.95) });
    expect(a.response[0]).toEqual({ lower: 0, median: 0, upper: 0 });
    expect(a.response[1]!.median).toBeCloseTo(110 * (1 - Math.exp(-1)), 9);
    expect(a.marginalRoi.median).toBeCloseTo(110 / 50, 12);
    // Baseline at the last period (t = 2): 100 + 2·10; media at steady state for spend 10.
    expect(summary.expectedRevenue.spendPerPeriod).toBe(10);
    expect(summary.expectedRevenue.media.median).toBeCloseTo(110 * (1 - Math.exp(-10 / 50)), 9);
    expect(summary.expectedRevenue.total.median).toBeCloseTo(120 + 110 * (1 - Math.exp(-10 / 50)), 9);
    expect(summary.expectedRevenue.total.lower).toBeLessThan(summary.expectedRevenue.total.upper);
  });
});
