/**
 * Hold-out accuracy of the batch fit on the public Robyn sample (208 weeks, 5 channels, competitor
 * sales and events as controls), by the same procedure and defaults as `spendflow fit`: the last
 * 20% of the weeks (42) are held out; the hyperparameters are chosen by rolling-origin
 * cross-validation inside the first 166 weeks only; the model fitted on those 166 weeks is scored
 * on the 42 next to the ridge baseline on the same features (src/model/fit/ridge-baseline.ts), with
 * its default λ and with λ chosen by the same folds.
 *
 * Issue 4's target — hold-out NRMSE below the ridge's — is NOT met (model 0.101 vs ridge 0.098,
 * see docs/model.md, "Measured"), although cross-validation inside the training weeks prefers
 * the model (mean validation NRMSE 0.154 vs the ridge's 0.168 at its best λ). The assertions
 * record what is achieved, so that a regression fails.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/model/data/csv.ts';
import { prepareHistory } from '../../src/model/data/prepare-history.ts';
import { defaultSeasonality } from '../../src/model/fit/features.ts';
import { fitHistory, type HistoryFit } from '../../src/model/fit/fit-history.ts';

// The dataset sits beside the repository, in ../shared (see ../unit/model/data/robyn-dataset.test.ts).
const HERE = dirname(fileURLToPath(import.meta.url));
const DATASET = resolve(HERE, '../../../shared/datasets/robyn_dt_simulated_weekly.csv');

describe('batch fit on the Robyn sample: hold-out accuracy vs the ridge baseline', () => {
  let fit: HistoryFit;

  beforeAll(async () => {
    if (!existsSync(DATASET)) throw new Error(`the Robyn dataset is missing: expected it at ${DATASET}`);
    const history = prepareHistory(parseCsv(readFileSync(DATASET, 'utf8')), {
      date: 'DATE',
      target: 'revenue',
      channels: ['tv_S', 'ooh_S', 'print_S', 'facebook_S', 'search_S'],
      controls: ['competitor_sales_B', 'events'],
    });
    fit = await fitHistory({ target: history.target, spend: history.spend, controls: history.controls }, { seasonality: defaultSeasonality(history.frequency) });
    const h = fit.holdout;
    console.log(
      `hold-out NRMSE: model ${h.nrmse.toFixed(4)}, ridge λ=${h.ridge.lambda} ${h.ridge.nrmse.toFixed(4)}, ridge λ=${h.ridgeCv?.lambda} (CV) ${h.ridgeCv?.nrmse.toFixed(4)}; ` +
        `chosen ${JSON.stringify(fit.chosen)}; CV mean NRMSE ${fit.crossValidation?.scores.map((s) => `${s.candidate.strength}: ${s.meanNrmse.toFixed(4)}`).join(', ')}`,
    );
  }, 300_000);

  it('holds out the last 20% and selects hyperparameters inside the training weeks only', () => {
    expect(fit.holdout).toMatchObject({ trainPeriods: 166, periods: 42 });
    const cv = fit.crossValidation;
    expect(cv).not.toBeNull();
    for (const fold of cv?.folds ?? []) expect(fold.origin + fold.validationPeriods).toBeLessThanOrEqual(166);
    expect(cv?.chosen).toEqual(fit.chosen);
  });

  it('beats the ridge inside the training weeks (cross-validation, both at their chosen settings)', () => {
    const cv = fit.crossValidation;
    const chosen = cv?.scores.find((s) => s.candidate.strength === fit.chosen.strength && s.candidate.adstock === fit.chosen.adstock && s.candidate.saturation === fit.chosen.saturation);
    const ridgeBest = Math.min(...Object.values(cv?.ridge.meanNrmse ?? {}));
    expect(chosen?.meanNrmse).toBeLessThan(ridgeBest);
  });

  it('stays within 5% of the ridge on the hold-out (the target, below the ridge, is not met)', () => {
    const h = fit.holdout;
    expect(h.nrmse).toBeLessThan(1.05 * h.ridge.nrmse);
    expect(h.r2).toBeGreaterThan(0.88);
    expect(h.mape).toBeLessThan(0.09);
  });
});
