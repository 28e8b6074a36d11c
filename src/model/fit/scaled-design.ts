/**
 * The fit's inputs on the scale it works in, and the way back: a `FitData` becomes the graph's
 * constant tensors' values (./graph.ts) — target and spend divided by their mean non-zero value,
 * controls likewise (../data/scale.ts), baseline features 1, t/(T−1), Fourier terms, controls —
 * and a member's fitted parameters become a `FittedModel` in raw units. Pure.
 *
 * Scale factors come from the first `scalePeriods` periods only (all by default), so a fit that
 * scores later periods (a hold-out) takes nothing from them, not even units.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { curveDerivative } from '../curves/registry.ts';
import type { CurveSpec } from '../curves/types.ts';
import { scaleFactor } from '../data/scale.ts';
import { fourierTerms, fourierValue, type FourierTerm } from './features.ts';
import type { GraphData, MemberParameters } from './graph.ts';
import { PRIOR_SD, type AdstockFamily, type SaturationFamily } from './members.ts';
import { decompose } from './predict.ts';
import { rmse } from './metrics.ts';
import type { ControlGroup, FitData, FittedAdstock, FittedChannel, FittedModel, FittedSeasonality, SeasonalitySpec } from './types.ts';

/**
 * Prior sd (scaled units, like PRIOR_SD.linear) of a categorical level's deviation from its
 * control's shared effect: tighter than the shared effect's own prior, so the shared effect takes
 * what the levels have in common and an unseen level is predicted with it.
 */
export const LEVEL_DEVIATION_SD = 0.5;

export interface ScaledDesign {
  readonly graph: GraphData;
  readonly channelNames: readonly string[];
  readonly controlNames: readonly string[];
  /** Categorical controls whose levels share an effect: each has one pooled feature after the controls. */
  readonly groups: readonly ControlGroup[];
  readonly seasonality: readonly SeasonalitySpec[];
  readonly terms: readonly FourierTerm[];
  readonly targetScale: number;
  readonly spendScales: readonly number[];
  readonly controlScales: readonly number[];
}

/** Every problem with the data, or an empty list. */
export function dataProblems(data: FitData): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const n = data.target.length;
  const channelNames = Object.keys(data.spend);
  if (n < 3) problems.push({ field: 'target', message: `needs at least 3 periods (got ${n})` });
  if (channelNames.length === 0) problems.push({ field: 'spend', message: 'needs at least one channel' });
  const check = (field: string, values: Float64Array, nonNegative: boolean) => {
    if (values.length !== n) problems.push({ field, message: `has ${values.length} periods, the target ${n}` });
    const bad = values.findIndex((v) => !Number.isFinite(v) || (nonNegative && v < 0));
    if (bad >= 0) problems.push({ field, message: `period ${bad}: ${values[bad]} is not ${nonNegative ? 'a finite number ≥ 0' : 'finite'}` });
  };
  check('target', data.target, false);
  for (const name of channelNames) check(`spend.${name}`, data.spend[name] ?? new Float64Array(0), true);
  data.controls?.names.forEach((name, j) => check(`controls.${name}`, data.controls?.values[j] ?? new Float64Array(0), false));
  return problems;
}

export function requireFitData(data: FitData): void {
  const problems = dataProblems(data);
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid data for the fit', { problems });
}

export function scaledDesign(
  data: FitData,
  options: { readonly seasonality: readonly SeasonalitySpec[]; readonly maxLag: number; readonly scalePeriods?: number },
): ScaledDesign {
  const T = data.target.length;
  const scaleUpTo = Math.max(1, Math.min(T, options.scalePeriods ?? T));
  const channelNames = Object.keys(data.spend);
  const C = channelNames.length;
  const controlNames = data.controls?.names ?? [];
  const controlValues = data.controls?.values ?? [];
  const terms = fourierTerms(options.seasonality);
  const groups = (data.controls?.groups ?? []).filter((g) => g.columns.length > 0 && g.columns.every((j) => j >= 0 && j < controlNames.length));
  const P = 2 + terms.length + controlNames.length + groups.length;
  const head = (values: ArrayLike<number>) => Array.from({ length: scaleUpTo }, (_, t) => values[t] ?? 0);
  const targetScale = scaleFactor(head(data.target));
  const spendScales = channelNames.map((name) => scaleFactor(head(data.spend[name] ?? [])));
  const controlScales = controlValues.map((values) => scaleFactor(head(values)));

  const features = new Float32Array(T * P);
  const spend = new Float32Array(T * C);
  const y = new Float32Array(T);
  for (let t = 0; t < T; t++) {
    const row = t * P;
    features[row] = 1;
    features[row + 1] = T > 1 ? t / (T - 1) : 0;
    terms.forEach((term, j) => (features[row + 2 + j] = fourierValue(term, t)));
    controlValues.forEach((values, j) => (features[row + 2 + terms.length + j] = (values[t] ?? 0) / (controlScales[j] ?? 1)));
    // The pooled feature of a categorical control: 1 when the row has any of its (non-reference) levels.
    groups.forEach((g, i) => (features[row + 2 + terms.length + controlNames.length + i] = g.columns.reduce((sum, j) => sum + (controlValues[j]?.[t] ?? 0), 0)));
    channelNames.forEach((name, c) => (spend[t * C + c] = (data.spend[name]?.[t] ?? 0) / (spendScales[c] ?? 1)));
    y[t] = (data.target[t] ?? 0) / targetScale;
  }
  // Prior precision per baseline feature: none on the intercept, PRIOR_SD.linear on the rest,
  // LEVEL_DEVIATION_SD on the levels of a pooled categorical control.
  const pooled = new Set(groups.flatMap((g) => g.columns));
  const linearPrecision = Float32Array.from({ length: P }, (_, p) => {
    if (p === 0) return 0;
    const control = p - 2 - terms.length;
    return pooled.has(control) ? 1 / LEVEL_DEVIATION_SD ** 2 : 1 / PRIOR_SD.linear ** 2;
  });
  return {
    graph: { y, features, featureCount: P, spend, channels: C, periods: T, maxLag: options.maxLag, linearPrecision },
    channelNames,
    controlNames,
    groups,
    seasonality: options.seasonality,
    terms,
    targetScale,
    spendScales,
    controlScales,
  };
}

/** What a fitted model records about its training, but the RMSE (computed from the model here). */
export type MemberTraining = Omit<FittedModel['training'], 'rmse'>;

/** A raw-unit curve from scaled parameters: y/s_y = β′·S(x/s_x; k′) is y = β′s_y·S(x; k′s_x). */
function rawCurve(family: SaturationFamily, beta: number, k: number, s: number): CurveSpec {
  if (family === 'hill') return { type: 'hill', beta, k, s };
  return { type: family, beta, k };
}

function rawAdstock(family: AdstockFamily, params: MemberParameters, c: number, maxLag: number): FittedAdstock {
  if (family === 'geometric') return { type: 'geometric', theta: params.theta[c] ?? 0, maxLag, normalize: true };
  return { type: 'weibull', shape: params.weibullShape[c] ?? 1, scale: params.weibullScale[c] ?? 1, maxLag, kind: family === 'weibull-pdf' ? 'pdf' : 'cdf' };
}

/**
 * The `FittedModel` of one member in raw units; contributions, ROI and marginal ROI are computed
 * over `data` (the periods of the design, whatever the member's weights were).
 */
export function modelFromMember(
  design: ScaledDesign,
  data: FitData,
  params: MemberParameters,
  families: { readonly adstock: AdstockFamily; readonly saturation: SaturationFamily },
  training: MemberTraining,
  recentPeriods: number,
): FittedModel {
  const T = design.graph.periods;
  const coefficient = (p: number) => (params.coef[p] ?? 0) * design.targetScale;
  const seasonality: FittedSeasonality[] = design.seasonality.map((block) => ({ period: block.period, order: block.order, sin: [], cos: [] }));
  design.terms.forEach((term, j) => {
    const block = seasonality[design.seasonality.findIndex((b) => b.period === term.period)];
    if (block) (term.kind === 'sin' ? (block.sin as number[]) : (block.cos as number[])).push(coefficient(2 + j));
  });
  const draft: FittedModel = {
    kind: 'additive',
    periods: T,
    intercept: coefficient(0),
    trend: T > 1 ? coefficient(1) / (T - 1) : 0,
    seasonality,
    // A pooled level's effect is its own deviation plus its control's shared effect.
    controls: design.controlNames.map((name, j) => {
      const shared = design.groups.reduce((sum, g, i) => sum + (g.columns.includes(j) ? coefficient(2 + design.terms.length + design.controlNames.length + i) : 0), 0);
      return { name, coefficient: coefficient(2 + design.terms.length + j) / (design.controlScales[j] ?? 1) + shared };
    }),
    channels: design.channelNames.map(
      (name, c): FittedChannel => ({
        name,
        curve: rawCurve(families.saturation, (params.beta[c] ?? 0) * design.targetScale, (params.k[c] ?? 1) * (design.spendScales[c] ?? 1), params.s[c] ?? 1),
        adstock: rawAdstock(families.adstock, params, c, design.graph.maxLag),
        contribution: 0,
        spend: 0,
        roi: 0,
        recentSpend: 0,
        marginalRoi: 0,
      }),
    ),
    training: { ...training, rmse: 0 },
  };
  const parts = decompose(draft, data);
  const channels = draft.channels.map((channel): FittedChannel => {
    const series = data.spend[channel.name] ?? new Float64Array(0);
    const contribution = (parts.channels[channel.name] ?? new Float64Array(0)).reduce((sum, v) => sum + v, 0);
    const spent = series.reduce((sum, v) => sum + v, 0);
    const recent = series.subarray(Math.max(0, series.length - recentPeriods));
    const recentSpend = recent.reduce((sum, v) => sum + v, 0) / Math.max(1, recent.length);
    return { ...channel, contribution, spend: spent, roi: spent > 0 ? contribution / spent : 0, recentSpend, marginalRoi: curveDerivative(channel.curve, recentSpend) };
  });
  return { ...draft, channels, training: { ...draft.training, rmse: rmse(data.target, parts.total) } };
}
