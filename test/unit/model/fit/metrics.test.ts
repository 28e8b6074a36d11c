import { describe, expect, it } from 'vitest';
import { mape, nrmse, r2, rmse } from '../../../../src/model/fit/metrics.ts';

describe('fit metrics', () => {
  const actual = [10, 20, 30, 40];
  const predicted = [11, 18, 30, 44];

  it('computes MAPE over non-zero actuals', () => {
    expect(mape(actual, predicted)).toBeCloseTo((0.1 + 0.1 + 0 + 0.1) / 4, 12);
    expect(mape([0, 10], [5, 12])).toBeCloseTo(0.2, 12);
    expect(mape([0, 0], [1, 1])).toBeNaN();
  });

  it('computes RMSE and NRMSE (RMSE over the actuals range)', () => {
    const expected = Math.sqrt((1 + 4 + 0 + 16) / 4);
    expect(rmse(actual, predicted)).toBeCloseTo(expected, 12);
    expect(nrmse(actual, predicted)).toBeCloseTo(expected / 30, 12);
    expect(nrmse([5, 5], [4, 6])).toBeNaN();
  });

  it('computes R² (1 for a perfect fit, 0 for the mean)', () => {
    expect(r2(actual, actual)).toBe(1);
    expect(r2(actual, [25, 25, 25, 25])).toBeCloseTo(0, 12);
    expect(r2(actual, predicted)).toBeCloseTo(1 - 21 / 500, 12);
  });

  it('rejects series of different lengths', () => {
    expect(() => r2([1, 2], [1])).toThrow(RangeError);
  });
});
