/**
 * The ridge baseline's λ chosen the way the model's hyperparameters are: by the same
 * rolling-origin folds inside the training periods (./cross-validation.ts), mean validation
 * NRMSE, lowest wins. So the comparison with the model is fair both ways: neither gets a
 * penalty tuned on the hold-out. Pure.
 */
import type { Fold } from './cross-validation.ts';
import { nrmse } from './metrics.ts';
import { fitRidgeBaseline } from './ridge-baseline.ts';
import type { FitData, SeasonalitySpec } from './types.ts';

export const RIDGE_LAMBDAS = [0.01, 0.1, 1, 10, 100, 1000] as const;

/** The first `periods` periods of the data. */
export function headOf(data: FitData, periods: number): FitData {
  const cut = (values: Float64Array) => values.subarray(0, periods);
  return {
    target: cut(data.target),
    spend: Object.fromEntries(Object.entries(data.spend).map(([name, values]) => [name, cut(values)])),
    ...(data.controls === undefined ? {} : { controls: { ...data.controls, values: data.controls.values.map(cut) } }),
  };
}

export function selectRidgeLambda(
  data: FitData,
  folds: readonly Fold[],
  seasonality: readonly SeasonalitySpec[],
  lambdas: readonly number[] = RIDGE_LAMBDAS,
): { lambda: number; meanNrmse: Record<string, number> } {
  const meanNrmse: Record<string, number> = {};
  let best = lambdas[0] ?? 1;
  for (const lambda of lambdas) {
    const errors = folds.map((fold) => {
      const window = headOf(data, fold.origin + fold.validationPeriods);
      const ridge = fitRidgeBaseline(window, fold.origin, { seasonality, lambda });
      return nrmse(window.target.subarray(fold.origin), ridge.predictions.subarray(fold.origin));
    });
    const mean = errors.reduce((s, v) => s + v, 0) / Math.max(1, errors.length);
    meanNrmse[String(lambda)] = mean;
    if (mean < (meanNrmse[String(best)] ?? Infinity)) best = lambda;
  }
  return { lambda: best, meanNrmse };
}
