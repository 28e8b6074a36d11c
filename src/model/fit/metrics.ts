/**
 * Fit-quality metrics on aligned series (actual, predicted). Pure.
 *
 * - `mape`: mean of |actual − predicted| / |actual| over the periods with actual ≠ 0 (a fraction,
 *   not a percentage); NaN when every actual is 0.
 * - `nrmse`: RMSE / (max − min of the actuals), as in Robyn; NaN when the actuals are constant.
 * - `r2`: 1 − SSE / SST around the actuals' mean; NaN when the actuals are constant.
 */
function checkLengths(actual: ArrayLike<number>, predicted: ArrayLike<number>): void {
  if (actual.length !== predicted.length) {
    throw new RangeError(`actual and predicted differ in length (${actual.length} vs ${predicted.length})`);
  }
}

export function mape(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(actual, predicted);
  let sum = 0;
  let count = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? 0;
    if (a === 0) continue;
    sum += Math.abs(a - (predicted[i] ?? 0)) / Math.abs(a);
    count += 1;
  }
  return count === 0 ? Number.NaN : sum / count;
}

export function rmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(actual, predicted);
  if (actual.length === 0) return Number.NaN;
  let sse = 0;
  for (let i = 0; i < actual.length; i++) sse += ((actual[i] ?? 0) - (predicted[i] ?? 0)) ** 2;
  return Math.sqrt(sse / actual.length);
}

export function nrmse(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? 0;
    if (a < min) min = a;
    if (a > max) max = a;
  }
  const range = max - min;
  return range > 0 ? rmse(actual, predicted) / range : Number.NaN;
}

export function r2(actual: ArrayLike<number>, predicted: ArrayLike<number>): number {
  checkLengths(actual, predicted);
  let mean = 0;
  for (let i = 0; i < actual.length; i++) mean += actual[i] ?? 0;
  mean /= actual.length;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] ?? 0;
    sse += (a - (predicted[i] ?? 0)) ** 2;
    sst += (a - mean) ** 2;
  }
  return sst > 0 ? 1 - sse / sst : Number.NaN;
}
