/**
 * `model.json`, format `spendflow-model/2`: what `spendflow fit` writes and `spendflow optimize
 * --model` reads (which also reads `spendflow-model/1` files: Hill curves only, no intervals).
 * Plain JSON, every number finite, money in the history's raw units:
 *
 *   {
 *     "format": "spendflow-model/2",
 *     "frequency": "weekly", "periodMs": 604800000,
 *     "fittedAt": null,                       // pure: the model does not read the clock
 *     "periods": 208,                         // periods the saved model was fitted on
 *     "refit": "all-data" | "train-only",     // whether the saved model saw the hold-out periods
 *     "channels": { "<id>": {
 *         "curve": { "type": "hill", "beta", "k", "s" } | { "type": "exp" | "log", "beta", "k" },
 *                                             // steady state: spend per period → revenue per period
 *         "adstock": { "type": "geometric", "theta", "maxLag", "normalize": true }
 *                  | { "type": "weibull", "shape", "scale", "maxLag", "kind": "pdf" | "cdf" },
 *         "contribution", "spend", "roi",     // Σ modelled revenue, Σ spend over the data, their ratio
 *         "recentSpend", "marginalRoi",       // average spend of the last periods, curve slope there
 *         "maxObservedSpend",
 *         "responseCurve": [{ "spend", "response", "lower", "upper" }, …],  // 0 … 1.5 × max observed spend
 *         "intervals": null | { "roi", "contribution", "marginalRoi": { "lower", "median", "upper" } }
 *     } },
 *     "baseline": { "intercept", "trend", "seasonality": [{ period, order, sin, cos }], "controls": [{ name, coefficient }] },
 *     "holdout": { "share", "trainPeriods", "periods", "mape", "nrmse", "r2",
 *                  "ridgeNrmse", "ridgeMape", "ridgeR2", "ridgeLambda",   // ridge with its default λ
 *                  "ridgeCv": null | { "lambda", "nrmse", "mape", "r2" } }, // ridge with λ from the same CV
 *     "shares": { "<id>": { "spendShare", "effectShare" } },
 *     "training": { "backend", "steps", "members", "priorStrength", "adstock", "saturation", "rmse" },
 *     "crossValidation": null | CrossValidationReport,
 *     "uncertainty": null | { "method": "bayesian-bootstrap", "members", "blockLength", "seed", "level",
 *                             "expectedRevenue": { "spendPerPeriod", "media", "total" } },
 *     "ensemble": [{ "<id>": { "curve", "adstock" } }, …]   // the bootstrap members' curves
 *   }
 *
 * Intervals are the central `uncertainty.level` (0.9) intervals of the bootstrap members
 * (./ensemble-summary.ts); with no ensemble the response points' lower = upper = response.
 * The curves already fold in normalised adstock (a steady spend x has adstock x), so the optimizer
 * can allocate a per-period budget with them directly (`allocationProblemFromModel`). Pure.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { curveValue, parseCurve } from '../curves/registry.ts';
import type { CurveSpec } from '../curves/types.ts';
import type { Frequency } from '../data/dates.ts';
import type { AllocationProblem, ChannelProblem } from '../../optimizer/problem.ts';
import type { Candidate, Grid } from './cross-validation.ts';
import type { EnsembleSummary, Interval } from './ensemble-summary.ts';
import type { HistoryFit, HoldoutScores } from './fit-history.ts';
import { responseCurveSpends } from './response-curve.ts';
import type { FittedAdstock, FittedModel, FittedSeasonality } from './types.ts';

export { RESPONSE_CURVE_POINTS, RESPONSE_CURVE_SPAN } from './response-curve.ts';

export const MODEL_FORMAT = 'spendflow-model/2';
/** Formats `readModelCurves` accepts. */
export const READABLE_MODEL_FORMATS = ['spendflow-model/1', MODEL_FORMAT] as const;

export interface ResponsePoint {
  readonly spend: number;
  readonly response: number;
  readonly lower: number;
  readonly upper: number;
}

export interface ModelFileChannel {
  readonly curve: CurveSpec;
  readonly adstock: FittedAdstock;
  readonly contribution: number;
  readonly spend: number;
  readonly roi: number;
  readonly recentSpend: number;
  readonly marginalRoi: number;
  readonly maxObservedSpend: number;
  readonly responseCurve: readonly ResponsePoint[];
  readonly intervals: { readonly roi: Interval; readonly contribution: Interval; readonly marginalRoi: Interval } | null;
}

/** The file's hold-out block: the fit's scores, the default ridge's flattened beside them. */
export interface HoldoutReport extends Omit<HoldoutScores, 'ridge'> {
  readonly ridgeNrmse: number;
  readonly ridgeMape: number;
  readonly ridgeR2: number;
  readonly ridgeLambda: number;
}

export interface CrossValidationReport {
  /** Rolling origin: fold f fits the periods before its origin and scores the next ones. */
  readonly folds: readonly { readonly fold: number; readonly trainPeriods: number; readonly validationPeriods: number }[];
  readonly grid: Grid;
  /** Every candidate's validation error in every fold, and the start kept there. */
  readonly candidates: readonly {
    readonly adstock: string;
    readonly saturation: string;
    readonly strength: number;
    readonly meanNrmse: number;
    readonly folds: readonly { readonly fold: number; readonly nrmse: number; readonly rmse: number; readonly start: { readonly theta: number; readonly s: number } }[];
  }[];
  readonly chosen: Candidate;
  readonly steps: number;
  /** Members of the one batched cross-validation fit (candidates × starts × folds). */
  readonly members: number;
  readonly ridge: { readonly lambda: number; readonly meanNrmse: Readonly<Record<string, number>> };
}

export interface ModelFile {
  readonly format: typeof MODEL_FORMAT;
  readonly frequency: Frequency;
  readonly periodMs: number;
  readonly fittedAt: null;
  readonly periods: number;
  readonly refit: 'all-data' | 'train-only';
  readonly channels: Readonly<Record<string, ModelFileChannel>>;
  readonly baseline: {
    readonly intercept: number;
    readonly trend: number;
    readonly seasonality: readonly FittedSeasonality[];
    readonly controls: readonly { readonly name: string; readonly coefficient: number }[];
  };
  readonly holdout: HoldoutReport;
  readonly shares: Readonly<Record<string, { readonly spendShare: number; readonly effectShare: number }>>;
  readonly training: {
    readonly backend: string;
    readonly steps: number;
    readonly members: number;
    readonly priorStrength: number;
    readonly adstock: string;
    readonly saturation: string;
    readonly rmse: number;
  };
  readonly crossValidation: CrossValidationReport | null;
  readonly uncertainty: {
    readonly method: 'bayesian-bootstrap';
    readonly members: number;
    readonly blockLength: number;
    readonly seed: number;
    readonly level: number;
    readonly expectedRevenue: EnsembleSummary['expectedRevenue'];
  } | null;
  readonly ensemble: readonly Readonly<Record<string, { readonly curve: CurveSpec; readonly adstock: FittedAdstock }>>[];
}

export interface ModelFileInput {
  readonly fit: HistoryFit;
  readonly frequency: Frequency;
  readonly periodMs: number;
  /** Per channel, the largest spend in one period of the data. */
  readonly maxObservedSpend: Readonly<Record<string, number>>;
}

/** Non-finite numbers (NaN metrics on constant data) would be written as null by JSON: use a fallback. */
function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

function finiteInterval(i: Interval, fallback: number): Interval {
  return { lower: finiteOr(i.lower, fallback), median: finiteOr(i.median, fallback), upper: finiteOr(i.upper, fallback) };
}

function crossValidationReport(fit: HistoryFit): CrossValidationReport | null {
  const cv = fit.crossValidation;
  if (cv === null) return null;
  return {
    folds: cv.folds.map((f) => ({ fold: f.fold, trainPeriods: f.origin, validationPeriods: f.validationPeriods })),
    grid: fit.grid,
    candidates: cv.scores.map((s) => ({
      adstock: s.candidate.adstock,
      saturation: s.candidate.saturation,
      strength: s.candidate.strength,
      meanNrmse: finiteOr(s.meanNrmse, 0),
      folds: s.folds.map((f) => ({ fold: f.fold, nrmse: finiteOr(f.nrmse, 0), rmse: finiteOr(f.rmse, 0), start: f.start })),
    })),
    chosen: cv.chosen,
    steps: cv.steps,
    members: cv.members,
    ridge: cv.ridge,
  };
}

export function buildModelFile(input: ModelFileInput): ModelFile {
  const { fit } = input;
  const model: FittedModel = fit.model;
  const summary = fit.uncertainty;
  const totalSpend = model.channels.reduce((s, c) => s + c.spend, 0);
  const totalEffect = model.channels.reduce((s, c) => s + c.contribution, 0);
  const channels: Record<string, ModelFileChannel> = {};
  const shares: Record<string, { spendShare: number; effectShare: number }> = {};
  for (const channel of model.channels) {
    const maxObserved = input.maxObservedSpend[channel.name] ?? 0;
    const intervals = summary?.channels[channel.name];
    const responseCurve = responseCurveSpends(maxObserved).map((spend, i): ResponsePoint => {
      const response = curveValue(channel.curve, spend);
      const band = intervals?.response[i];
      return { spend, response, lower: finiteOr(band?.lower ?? response, response), upper: finiteOr(band?.upper ?? response, response) };
    });
    channels[channel.name] = {
      curve: channel.curve,
      adstock: channel.adstock,
      contribution: channel.contribution,
      spend: channel.spend,
      roi: channel.roi,
      recentSpend: channel.recentSpend,
      marginalRoi: channel.marginalRoi,
      maxObservedSpend: maxObserved,
      responseCurve,
      intervals:
        intervals === undefined
          ? null
          : {
              roi: finiteInterval(intervals.roi, channel.roi),
              contribution: finiteInterval(intervals.contribution, channel.contribution),
              marginalRoi: finiteInterval(intervals.marginalRoi, channel.marginalRoi),
            },
    };
    shares[channel.name] = {
      spendShare: totalSpend > 0 ? channel.spend / totalSpend : 0,
      effectShare: totalEffect !== 0 ? channel.contribution / totalEffect : 0,
    };
  }
  const h = fit.holdout;
  return {
    format: MODEL_FORMAT,
    frequency: input.frequency,
    periodMs: input.periodMs,
    fittedAt: null,
    periods: model.periods,
    refit: fit.refit ? 'all-data' : 'train-only',
    channels,
    baseline: { intercept: model.intercept, trend: model.trend, seasonality: model.seasonality, controls: model.controls },
    holdout: {
      share: h.share,
      trainPeriods: h.trainPeriods,
      periods: h.periods,
      mape: finiteOr(h.mape, 0),
      nrmse: finiteOr(h.nrmse, 0),
      r2: finiteOr(h.r2, 0),
      ridgeNrmse: finiteOr(h.ridge.nrmse, 0),
      ridgeMape: finiteOr(h.ridge.mape, 0),
      ridgeR2: finiteOr(h.ridge.r2, 0),
      ridgeLambda: h.ridge.lambda,
      ridgeCv: h.ridgeCv === null ? null : { lambda: h.ridgeCv.lambda, nrmse: finiteOr(h.ridgeCv.nrmse, 0), mape: finiteOr(h.ridgeCv.mape, 0), r2: finiteOr(h.ridgeCv.r2, 0) },
    },
    shares,
    training: {
      backend: model.training.backend,
      steps: model.training.steps,
      members: model.training.members,
      priorStrength: fit.chosen.strength,
      adstock: fit.chosen.adstock,
      saturation: fit.chosen.saturation,
      rmse: finiteOr(model.training.rmse, 0),
    },
    crossValidation: crossValidationReport(fit),
    uncertainty:
      summary === null
        ? null
        : {
            method: 'bayesian-bootstrap',
            members: summary.members,
            blockLength: fit.bootstrap.blockLength,
            seed: fit.bootstrap.seed,
            level: summary.level,
            expectedRevenue: {
              spendPerPeriod: summary.expectedRevenue.spendPerPeriod,
              media: finiteInterval(summary.expectedRevenue.media, 0),
              total: finiteInterval(summary.expectedRevenue.total, 0),
            },
          },
    ensemble: fit.ensemble.map((member) => Object.fromEntries(member.channels.map((c) => [c.name, { curve: c.curve, adstock: c.adstock }]))),
  };
}

/**
 * The channel curves of a model file, checked: `{ id → curve }`. Reads `spendflow-model/2` (any
 * registered curve family) and `spendflow-model/1` (Hill curves). Throws INPUT_INVALID naming
 * every bad field.
 */
export function readModelCurves(input: unknown): Record<string, CurveSpec> {
  const problems: FieldProblem[] = [];
  const fail = (): never => {
    throw new SpendflowError('INPUT_INVALID', `invalid model file (${problems.length === 1 ? '1 problem' : `${problems.length} problems`})`, { problems });
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push({ field: '(root)', message: 'must be a JSON object' });
    return fail();
  }
  const root = input as Record<string, unknown>;
  const format = root['format'];
  if (!(READABLE_MODEL_FORMATS as readonly unknown[]).includes(format)) {
    problems.push({ field: 'format', message: `must be one of ${READABLE_MODEL_FORMATS.map((f) => `"${f}"`).join(', ')} (got ${JSON.stringify(format)})` });
  }
  const rawChannels = root['channels'];
  const curves: Record<string, CurveSpec> = {};
  if (typeof rawChannels !== 'object' || rawChannels === null || Array.isArray(rawChannels) || Object.keys(rawChannels).length === 0) {
    problems.push({ field: 'channels', message: 'must be a non-empty object of channels' });
  } else {
    for (const [id, channel] of Object.entries(rawChannels as Record<string, unknown>)) {
      const curveInput = typeof channel === 'object' && channel !== null ? (channel as Record<string, unknown>)['curve'] : undefined;
      const parsed = parseCurve(curveInput, `channels.${id}.curve`);
      problems.push(...parsed.problems);
      if (parsed.curve === undefined) continue;
      if (format === 'spendflow-model/1' && parsed.curve.type !== 'hill') problems.push({ field: `channels.${id}.curve.type`, message: 'a spendflow-model/1 curve is "hill"' });
      else curves[id] = parsed.curve;
    }
  }
  if (problems.length > 0) fail();
  return curves;
}

/**
 * A revenue allocation problem over the model's steady-state curves: spend per period in, revenue
 * per period out; every channel from 0 to `maxShare`·budget (no cap without `maxShare`).
 */
export function allocationProblemFromModel(curves: Readonly<Record<string, CurveSpec>>, budget: number, maxShare?: number): AllocationProblem {
  const channels: ChannelProblem[] = Object.entries(curves).map(([id, curve]) => ({
    id,
    curve,
    min: 0,
    max: maxShare === undefined ? Infinity : maxShare * budget,
  }));
  return { budget, objective: 'revenue', channels };
}
