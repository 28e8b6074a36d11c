/**
 * Hold-out accuracy of the batch fit on the public Robyn sample (208 weeks, 5 channels, competitor
 * sales and events as controls), by the same procedure and defaults as `spendflow fit`: the last
 * 20% of the weeks (42) are held out; the hyperparameters are chosen by rolling-origin
 * cross-validation inside the first 166 weeks only; the model fitted on those 166 weeks is scored
 * on the 42 next to the ridge baseline on the same features (src/model/fit/ridge-baseline.ts), with
 * its default λ and with λ chosen by the same folds.
 *
 * Issue 4's target — hold-out NRMSE below the ridge's — is met, and how matters: one hold-out
 * week has `events = event2`, a level never seen in the training weeks. The model pools the
 * levels of a categorical control (each level's effect is the control's shared effect plus a
 * shrunk deviation), so it predicts that week with what `event1` did; the ridge's indicator for an
 * unseen level has no information, so it predicts no event at all and misses by ~1.2M. On the
 * other 41 weeks the ridge is slightly better, and a ridge handed a pooled "any event" column
 * scores about as well as the model; both figures are logged here and recorded in docs/model.md.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCsv } from '../../src/model/data/csv.ts';
import { prepareHistory } from '../../src/model/data/prepare-history.ts';
import { defaultSeasonality } from '../../src/model/fit/features.ts';
import { fitHistory, type HistoryFit } from '../../src/model/fit/fit-history.ts';
import { nrmse } from '../../src/model/fit/metrics.ts';
import { predict } from '../../src/model/fit/predict.ts';
import { fitRidgeBaseline } from '../../src/model/fit/ridge-baseline.ts';
import type { FitData } from '../../src/model/fit/types.ts';

// The dataset sits beside the repository, in ../shared (see ../unit/model/data/robyn-dataset.test.ts).
const HERE = dirname(fileURLToPath(import.meta.url));
const DATASET = resolve(HERE, '../../../shared/datasets/robyn_dt_simulated_weekly.csv');

describe('batch fit on the Robyn sample: hold-out accuracy vs the ridge baseline', () => {
  let fit: HistoryFit;
  let data: FitData;
  let seasonality: ReturnType<typeof defaultSeasonality>;

  beforeAll(async () => {
    if (!existsSync(DATASET)) throw new Error(`the Robyn dataset is missing: expected it at ${DATASET}`);
    const history = prepareHistory(parseCsv(readFileSync(DATASET, 'utf8')), {
      date: 'DATE',
      target: 'revenue',
      channels: ['tv_S', 'ooh_S', 'print_S', 'facebook_S', 'search_S'],
      controls: ['competitor_sales_B', 'events'],
    });
    data = { target: history.target, spend: history.spend, controls: history.controls };
    seasonality = defaultSeasonality(history.frequency);
    fit = await fitHistory(data, { seasonality });
    const h = fit.holdout;
    // For the record (not asserted): the 41 weeks without the unseen event, and a ridge that is
    // handed the pooled column the model builds for itself.
    const weeks = Array.from({ length: 42 }, (_, i) => 166 + i).filter((t) => (history.controls.values[history.controls.names.indexOf('events_event2')]?.[t] ?? 0) === 0);
    const pick = (series: ArrayLike<number>) => Float64Array.from(weeks, (t) => series[t] ?? 0);
    const model = predict(fit.trainModel, data);
    const ridge = fitRidgeBaseline(data, 166, { seasonality, lambda: h.ridge.lambda }).predictions;
    const anyEvent = Float64Array.from(history.target, (_, t) => history.controls.groups[0]!.columns.reduce((s, j) => s + (history.controls.values[j]?.[t] ?? 0), 0));
    const pooledRidge = fitRidgeBaseline({ ...data, controls: { names: [...history.controls.names, 'events_any'], values: [...history.controls.values, anyEvent] } }, 166, { seasonality, lambda: h.ridge.lambda }).predictions;
    console.log(
      `hold-out NRMSE: model ${h.nrmse.toFixed(4)}, ridge λ=${h.ridge.lambda} ${h.ridge.nrmse.toFixed(4)}, ridge λ=${h.ridgeCv?.lambda} (CV) ${h.ridgeCv?.nrmse.toFixed(4)}; ` +
        `without the unseen-event week: model ${nrmse(pick(history.target), pick(model)).toFixed(4)}, ridge ${nrmse(pick(history.target), pick(ridge)).toFixed(4)}; ` +
        `ridge with a pooled events column ${nrmse(history.target.subarray(166), pooledRidge.subarray(166)).toFixed(4)}; ` +
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

  it('beats the ridge on the hold-out NRMSE, at its default λ and at the λ the same cross-validation picks', () => {
    const h = fit.holdout;
    expect(h.nrmse).toBeLessThan(h.ridge.nrmse);
    expect(h.nrmse).toBeLessThan(h.ridgeCv!.nrmse);
    expect(h.r2).toBeGreaterThan(h.ridge.r2);
    expect(h.mape).toBeLessThan(0.09);
  });

  it('predicts the week of the unseen event level with the pooled events effect (the ridge cannot)', () => {
    const week = 178;
    const names = data.controls!.names;
    expect(data.controls!.values[names.indexOf('events_event2')]![week]).toBe(1);
    const trainCoefficient = (name: string) => fit.trainModel.controls.find((c) => c.name === name)!.coefficient;
    // event2 never occurs in the 166 training weeks, yet it gets most of event1's effect.
    expect(trainCoefficient('events_event2')).toBeGreaterThan(0.5 * trainCoefficient('events_event1'));
    const ridge = fitRidgeBaseline(data, 166, { seasonality, lambda: fit.holdout.ridge.lambda }).predictions;
    const model = predict(fit.trainModel, data);
    expect(Math.abs(model[week]! - data.target[week]!)).toBeLessThan(0.5 * Math.abs(ridge[week]! - data.target[week]!));
  });
});
