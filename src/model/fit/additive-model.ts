/**
 * Batch fit of the additive response model with TensorFlow.js autodiff and Adam:
 *
 *   y_t = intercept + trend·t + Σ Fourier(period)_t + Σ_j γ_j·control_jt
 *         + Σ_i β_i·S_i(adstock_i(x_i)_t) + ε_t
 *
 * with normalised adstock (geometric or Weibull, max lag L: a steady spend x gives adstock x, so
 * the steady-state curve is S itself) and S a registered curve family (hill, exp, log). The fit
 * runs on scaled data and converts the result back to raw units (./scaled-design.ts); the graph,
 * the transforms and the priors are in ./graph.ts and ./members.ts.
 *
 * `fitAdditiveModel` is the plain point fit: `members` starts (cycling through STARTS) fitted as
 * one batch (./batch-fit.ts), the member with the lowest final loss kept. Cross-validated
 * hyperparameters and bootstrap ensembles are built on the same batch fit (./fit-history.ts).
 */
import { SpendflowError } from '../../errors.ts';
import { divergedError, fitBatch, isFiniteFit } from './batch-fit.ts';
import { DEFAULT_SHAPE, type ChannelShape, type MemberSpec } from './members.ts';
import { modelFromMember, requireFitData, scaledDesign } from './scaled-design.ts';
import type { FitData, FitOptions, FittedModel } from './types.ts';

export const FIT_DEFAULTS = {
  steps: 1500,
  learningRate: 0.05,
  maxLag: 8,
  members: 4,
  recentPeriods: 8,
  recordEvery: 50,
  projectEvery: 10,
} as const;

/** Member m of a multi-start fit starts from the m-th entry (cycling), so members explore different basins. */
export const STARTS: readonly Partial<ChannelShape>[] = [
  { theta: 0.3, k: 1, s: 1.5 },
  { theta: 0.6, k: 2, s: 1 },
  { theta: 0.1, k: 0.5, s: 2 },
  { theta: 0.8, k: 1.5, s: 1.2 },
];

function optionError(name: string, message: string, value: number): SpendflowError {
  return new SpendflowError('INPUT_INVALID', `invalid fit option ${name}`, { problems: [{ field: name, message: `${message} (got ${value})` }] });
}

export function integerAtLeast(name: string, value: number, min: number): number {
  if (!Number.isInteger(value) || value < min) throw optionError(name, `must be an integer ≥ ${min}`, value);
  return value;
}

export function nonNegativeNumber(name: string, value: number, strict: boolean): number {
  if (!Number.isFinite(value) || value < 0 || (strict && value === 0)) throw optionError(name, strict ? 'must be a number > 0' : 'must be a number ≥ 0', value);
  return value;
}

/** Options with defaults filled in and checked. */
export function resolveFitOptions(options: FitOptions) {
  return {
    steps: integerAtLeast('steps', options.steps ?? FIT_DEFAULTS.steps, 1),
    members: integerAtLeast('members', options.members ?? FIT_DEFAULTS.members, 1),
    maxLag: integerAtLeast('maxLag', options.maxLag ?? FIT_DEFAULTS.maxLag, 0),
    recentPeriods: integerAtLeast('recentPeriods', options.recentPeriods ?? FIT_DEFAULTS.recentPeriods, 1),
    recordEvery: integerAtLeast('recordEvery', options.recordEvery ?? FIT_DEFAULTS.recordEvery, 1),
    projectEvery: integerAtLeast('projectEvery', options.projectEvery ?? FIT_DEFAULTS.projectEvery, 1),
    learningRate: nonNegativeNumber('learningRate', options.learningRate ?? FIT_DEFAULTS.learningRate, true),
    priorStrength: nonNegativeNumber('priorStrength', options.priorStrength ?? 1, false),
    seasonality: options.seasonality ?? [],
    adstock: options.adstock ?? 'geometric',
    saturation: options.saturation ?? 'hill',
  } as const;
}

/** Fits the model to `data` (see the module comment). */
export async function fitAdditiveModel(data: FitData, options: FitOptions = {}): Promise<FittedModel> {
  const o = resolveFitOptions(options);
  requireFitData(data);
  const design = scaledDesign(data, { seasonality: o.seasonality, maxLag: o.maxLag });
  const members: MemberSpec[] = Array.from({ length: o.members }, (_, m) => ({
    adstock: o.adstock,
    saturation: o.saturation,
    centre: DEFAULT_SHAPE,
    start: { ...DEFAULT_SHAPE, ...STARTS[m % STARTS.length] },
    strength: o.priorStrength,
  }));
  const batch = await fitBatch(design.graph, members, { steps: o.steps, learningRate: o.learningRate, projectEvery: o.projectEvery, recordEvery: o.recordEvery });
  const losses = batch.members.map((m) => m.loss);
  const best = losses.reduce((bestIndex, loss, m) => (loss < (losses[bestIndex] ?? Infinity) ? m : bestIndex), 0);
  const kept = batch.members[best];
  if (kept === undefined || !isFiniteFit(kept)) throw divergedError();
  return modelFromMember(
    design,
    data,
    kept.params,
    { adstock: o.adstock, saturation: o.saturation },
    { backend: batch.backend, steps: o.steps, learningRate: o.learningRate, members: o.members, member: best, memberLosses: losses, lossHistory: kept.lossHistory, mse: kept.mse },
    o.recentPeriods,
  );
}
