/**
 * `model.json`, format `spendflow-model/1`: what `spendflow fit` writes and `spendflow optimize
 * --model` reads. Plain JSON, every number finite, money in the history's raw units:
 *
 *   {
 *     "format": "spendflow-model/1",
 *     "frequency": "weekly", "periodMs": 604800000,
 *     "fittedAt": null,                       // pure: the model does not read the clock
 *     "periods": 208,                         // periods the saved model was fitted on
 *     "refit": "all-data" | "train-only",     // whether the saved model saw the hold-out periods
 *     "channels": { "<id>": {
 *         "curve": { "type": "hill", "beta", "k", "s" },   // steady state: spend per period → revenue per period
 *         "adstock": { "type": "geometric", "theta", "maxLag", "normalize": true },
 *         "contribution", "spend", "roi",     // Σ modelled revenue, Σ spend over the data, their ratio
 *         "recentSpend", "marginalRoi",       // average spend of the last periods, curve slope there
 *         "responseCurve": [{ "spend", "response" }, …]    // points over 0 … 1.5 × max observed spend
 *     } },
 *     "baseline": { "intercept", "trend", "seasonality": [{ period, order, sin, cos }], "controls": [{ name, coefficient }] },
 *     "holdout": { "share", "trainPeriods", "periods", "mape", "nrmse", "r2", "ridgeNrmse", "ridgeMape", "ridgeR2", "ridgeLambda" },
 *     "shares": { "<id>": { "spendShare", "effectShare" } },
 *     "training": { "backend", "steps", "members", "priorStrength", "rmse" },
 *     "crossValidation": null | { … }         // see CrossValidationReport
 *   }
 *
 * The curves already fold in normalised adstock (a steady spend x has adstock x), so the optimizer
 * can allocate a per-period budget with them directly (`allocationProblemFromModel`). Pure.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { curveValue, parseCurve } from '../curves/registry.ts';
import type { HillCurve } from '../curves/types.ts';
import type { Frequency } from '../data/dates.ts';
import type { AllocationProblem, ChannelProblem } from '../../optimizer/problem.ts';
import type { FittedModel, FittedSeasonality } from './types.ts';

export const MODEL_FORMAT = 'spendflow-model/1';
/** Points on each saved response curve (spend 0 included). */
export const RESPONSE_CURVE_POINTS = 21;
/** The saved response curve spans 0 … this × the largest spend observed in one period. */
export const RESPONSE_CURVE_SPAN = 1.5;

export interface ModelFileChannel {
  readonly curve: HillCurve;
  readonly adstock: { readonly type: 'geometric'; readonly theta: number; readonly maxLag: number; readonly normalize: true };
  readonly contribution: number;
  readonly spend: number;
  readonly roi: number;
  readonly recentSpend: number;
  readonly marginalRoi: number;
  readonly maxObservedSpend: number;
  readonly responseCurve: readonly { readonly spend: number; readonly response: number }[];
}

export interface HoldoutReport {
  /** Share of the periods held out (the last ones). */
  readonly share: number;
  readonly trainPeriods: number;
  readonly periods: number;
  readonly mape: number;
  readonly nrmse: number;
  readonly r2: number;
  readonly ridgeNrmse: number;
  readonly ridgeMape: number;
  readonly ridgeR2: number;
  readonly ridgeLambda: number;
}

export interface CrossValidationFold {
  readonly fold: number;
  readonly trainPeriods: number;
  readonly validationPeriods: number;
  readonly priorStrength: number;
  readonly nrmse: number;
}

export interface CrossValidationReport {
  /** Rolling origin: fold f fits the periods before its origin and scores the next ones. */
  readonly folds: readonly CrossValidationFold[];
  /** Mean validation NRMSE per candidate priorStrength. */
  readonly meanNrmse: Readonly<Record<string, number>>;
  readonly chosen: { readonly priorStrength: number };
  readonly steps: number;
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
  readonly training: { readonly backend: string; readonly steps: number; readonly members: number; readonly priorStrength: number; readonly rmse: number };
  readonly crossValidation: CrossValidationReport | null;
}

export interface ModelFileInput {
  readonly model: FittedModel;
  readonly frequency: Frequency;
  readonly periodMs: number;
  readonly refit: 'all-data' | 'train-only';
  /** Per channel, the largest spend in one period of the data. */
  readonly maxObservedSpend: Readonly<Record<string, number>>;
  readonly holdout: HoldoutReport;
  readonly priorStrength: number;
  readonly crossValidation?: CrossValidationReport | null;
}

/** Non-finite numbers (NaN metrics on constant data) are written as null by JSON; keep them visible as such. */
function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

export function buildModelFile(input: ModelFileInput): ModelFile {
  const { model } = input;
  const totalSpend = model.channels.reduce((s, c) => s + c.spend, 0);
  const totalEffect = model.channels.reduce((s, c) => s + c.contribution, 0);
  const channels: Record<string, ModelFileChannel> = {};
  const shares: Record<string, { spendShare: number; effectShare: number }> = {};
  for (const channel of model.channels) {
    const maxObserved = input.maxObservedSpend[channel.name] ?? 0;
    const top = RESPONSE_CURVE_SPAN * maxObserved;
    const responseCurve = Array.from({ length: RESPONSE_CURVE_POINTS }, (_, i) => {
      const spend = (top * i) / (RESPONSE_CURVE_POINTS - 1);
      return { spend, response: curveValue(channel.curve, spend) };
    });
    channels[channel.name] = {
      curve: channel.curve,
      adstock: { type: 'geometric', theta: channel.adstock.theta, maxLag: channel.adstock.maxLag, normalize: true },
      contribution: channel.contribution,
      spend: channel.spend,
      roi: channel.roi,
      recentSpend: channel.recentSpend,
      marginalRoi: channel.marginalRoi,
      maxObservedSpend: maxObserved,
      responseCurve,
    };
    shares[channel.name] = {
      spendShare: totalSpend > 0 ? channel.spend / totalSpend : 0,
      effectShare: totalEffect !== 0 ? channel.contribution / totalEffect : 0,
    };
  }
  return {
    format: MODEL_FORMAT,
    frequency: input.frequency,
    periodMs: input.periodMs,
    fittedAt: null,
    periods: model.periods,
    refit: input.refit,
    channels,
    baseline: { intercept: model.intercept, trend: model.trend, seasonality: model.seasonality, controls: model.controls },
    holdout: input.holdout,
    shares,
    training: {
      backend: model.training.backend,
      steps: model.training.steps,
      members: model.training.members,
      priorStrength: input.priorStrength,
      rmse: finiteOr(model.training.rmse, 0),
    },
    crossValidation: input.crossValidation ?? null,
  };
}

/** The channel curves of a model file, checked: `{ id → curve }`. Throws INPUT_INVALID naming every bad field. */
export function readModelCurves(input: unknown): Record<string, HillCurve> {
  const problems: FieldProblem[] = [];
  const fail = (): never => {
    throw new SpendflowError('INPUT_INVALID', `invalid model file (${problems.length === 1 ? '1 problem' : `${problems.length} problems`})`, { problems });
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    problems.push({ field: '(root)', message: 'must be a JSON object' });
    return fail();
  }
  const root = input as Record<string, unknown>;
  if (root['format'] !== MODEL_FORMAT) problems.push({ field: 'format', message: `must be "${MODEL_FORMAT}" (got ${JSON.stringify(root['format'])})` });
  const rawChannels = root['channels'];
  const curves: Record<string, HillCurve> = {};
  if (typeof rawChannels !== 'object' || rawChannels === null || Array.isArray(rawChannels) || Object.keys(rawChannels).length === 0) {
    problems.push({ field: 'channels', message: 'must be a non-empty object of channels' });
  } else {
    for (const [id, channel] of Object.entries(rawChannels as Record<string, unknown>)) {
      const curveInput = typeof channel === 'object' && channel !== null ? (channel as Record<string, unknown>)['curve'] : undefined;
      const parsed = parseCurve(curveInput, `channels.${id}.curve`);
      problems.push(...parsed.problems);
      if (parsed.curve !== undefined && parsed.curve.type !== 'hill') problems.push({ field: `channels.${id}.curve.type`, message: 'a spendflow-model/1 curve is "hill"' });
      else if (parsed.curve !== undefined) curves[id] = parsed.curve;
    }
  }
  if (problems.length > 0) fail();
  return curves;
}

/**
 * A revenue allocation problem over the model's steady-state curves: spend per period in, revenue
 * per period out; every channel from 0 to `maxShare`·budget (no cap without `maxShare`).
 */
export function allocationProblemFromModel(curves: Readonly<Record<string, HillCurve>>, budget: number, maxShare?: number): AllocationProblem {
  const channels: ChannelProblem[] = Object.entries(curves).map(([id, curve]) => ({
    id,
    curve,
    min: 0,
    max: maxShare === undefined ? Infinity : maxShare * budget,
  }));
  return { budget, objective: 'revenue', channels };
}
