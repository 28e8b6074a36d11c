/**
 * The whole batch procedure of `spendflow fit`, as a pure function of the history:
 *
 * 1. Hold-out: the last `holdoutShare` of the periods are set aside; nothing below looks at them
 *    (not even for scale factors) until the hold-out is scored.
 * 2. Cross-validation (./cross-validation.ts): every candidate × start × rolling-origin fold
 *    inside the training periods is a member of ONE batched fit; the candidate (families, prior
 *    strength) with the lowest mean validation NRMSE is chosen. The ridge baseline's λ is chosen
 *    by the same folds (./ridge-selection.ts) and reported next to the ridge with its default λ.
 * 3. Final batch, again ONE batched fit of the chosen candidate from every grid start: on the
 *    training periods only (the hold-out fit, scored on the hold-out) and on every period (the
 *    saved model, unless `refit` is off); in each group the start with the lowest loss is kept.
 * 4. Bootstrap batch: `bootstrap` Bayesian-bootstrap members (./bootstrap-weights.ts), warm-started
 *    from the saved model's per-channel decay and shape, whose spread gives the intervals
 *    (./ensemble-summary.ts).
 *
 * Progress is reported in optimizer steps through `onProgress`. Pure apart from the tfjs backend.
 */
import { fitBatch, divergedError, isFiniteFit, type BatchFit } from './batch-fit.ts';
import { bayesianBootstrapWeights } from './bootstrap-weights.ts';
import {
  candidateMember,
  crossValidationMembers,
  DEFAULT_GRID,
  gridCandidates,
  gridStarts,
  lowestLoss,
  prefixWeights,
  rollingOriginFolds,
  scoreCandidates,
  type Candidate,
  type CandidateScore,
  type Fold,
  type Grid,
} from './cross-validation.ts';
import { summarizeEnsemble, type EnsembleSummary } from './ensemble-summary.ts';
import type { MemberParameters } from './graph.ts';
import type { ChannelShape, MemberSpec } from './members.ts';
import { mape, nrmse, r2 } from './metrics.ts';
import { predict } from './predict.ts';
import { maxSpendPerChannel, responseCurveSpends } from './response-curve.ts';
import { fitRidgeBaseline, RIDGE_DEFAULT_LAMBDA } from './ridge-baseline.ts';
import { headOf, selectRidgeLambda } from './ridge-selection.ts';
import { modelFromMember, requireFitData, scaledDesign, type ScaledDesign } from './scaled-design.ts';
import { integerAtLeast, nonNegativeNumber } from './additive-model.ts';
import type { FitData, FittedModel, SeasonalitySpec } from './types.ts';

export const HISTORY_FIT_DEFAULTS = {
  holdoutShare: 0.2,
  folds: 3,
  foldShare: 0.1,
  minTrainPeriods: 10,
  cvSteps: 600,
  steps: 1000,
  bootstrapSteps: 400,
  learningRate: 0.05,
  projectEvery: 10,
  maxLag: 8,
  starts: 2,
  bootstrap: 30,
  blockLength: 4,
  seed: 1,
  level: 0.9,
  recentPeriods: 8,
} as const;

/** Used when cross-validation is off or impossible (too little history). */
export const FALLBACK_CANDIDATE: Candidate = { adstock: 'geometric', saturation: 'hill', strength: 1 };

export interface HistoryFitOptions {
  readonly seasonality?: readonly SeasonalitySpec[];
  readonly holdoutShare?: number;
  readonly crossValidation?: boolean;
  readonly grid?: Grid;
  /** The candidate when cross-validation is off (FALLBACK_CANDIDATE by default). */
  readonly candidate?: Candidate;
  readonly folds?: number;
  readonly foldShare?: number;
  readonly cvSteps?: number;
  readonly steps?: number;
  /** Adam steps of the warm-started bootstrap batch. */
  readonly bootstrapSteps?: number;
  readonly learningRate?: number;
  readonly projectEvery?: number;
  readonly maxLag?: number;
  readonly starts?: number;
  readonly bootstrap?: number;
  readonly blockLength?: number;
  readonly seed?: number;
  readonly level?: number;
  readonly recentPeriods?: number;
  /** Fit the saved model on every period (default true); otherwise the hold-out fit is saved. */
  readonly refit?: boolean;
  readonly onProgress?: (done: number, total: number, stage: 'cross-validation' | 'fit') => void;
}

export interface CrossValidationResult {
  readonly folds: readonly Fold[];
  readonly scores: readonly CandidateScore[];
  readonly chosen: Candidate;
  readonly steps: number;
  readonly members: number;
  readonly ridge: { readonly lambda: number; readonly meanNrmse: Readonly<Record<string, number>> };
}

export interface HoldoutScores {
  readonly share: number;
  readonly trainPeriods: number;
  readonly periods: number;
  readonly mape: number;
  readonly nrmse: number;
  readonly r2: number;
  /** The ridge baseline with its default λ, and with λ chosen by the same cross-validation. */
  readonly ridge: { readonly lambda: number; readonly nrmse: number; readonly mape: number; readonly r2: number };
  readonly ridgeCv: { readonly lambda: number; readonly nrmse: number; readonly mape: number; readonly r2: number } | null;
}

export interface HistoryFit {
  /** The saved model: fitted on every period, or the hold-out fit when `refit` is off. */
  readonly model: FittedModel;
  readonly trainModel: FittedModel;
  readonly refit: boolean;
  readonly holdout: HoldoutScores;
  readonly crossValidation: CrossValidationResult | null;
  readonly chosen: Candidate;
  readonly ensemble: readonly FittedModel[];
  readonly uncertainty: EnsembleSummary | null;
  readonly grid: Grid;
  readonly steps: { readonly crossValidation: number; readonly fit: number; readonly bootstrap: number };
  readonly bootstrap: { readonly members: number; readonly blockLength: number; readonly seed: number };
}

function resolve(options: HistoryFitOptions) {
  const d = HISTORY_FIT_DEFAULTS;
  const holdoutShare = nonNegativeNumber('holdoutShare', options.holdoutShare ?? d.holdoutShare, true);
  if (holdoutShare >= 0.5) nonNegativeNumber('holdoutShare', -1, true);
  return {
    holdoutShare,
    seasonality: options.seasonality ?? [],
    crossValidation: options.crossValidation ?? true,
    grid: options.grid ?? DEFAULT_GRID,
    candidate: options.candidate ?? FALLBACK_CANDIDATE,
    folds: integerAtLeast('folds', options.folds ?? d.folds, 1),
    foldShare: nonNegativeNumber('foldShare', options.foldShare ?? d.foldShare, true),
    cvSteps: integerAtLeast('cvSteps', options.cvSteps ?? d.cvSteps, 1),
    steps: integerAtLeast('steps', options.steps ?? d.steps, 1),
    bootstrapSteps: integerAtLeast('bootstrapSteps', options.bootstrapSteps ?? d.bootstrapSteps, 1),
    learningRate: nonNegativeNumber('learningRate', options.learningRate ?? d.learningRate, true),
    projectEvery: integerAtLeast('projectEvery', options.projectEvery ?? d.projectEvery, 1),
    maxLag: integerAtLeast('maxLag', options.maxLag ?? d.maxLag, 0),
    starts: integerAtLeast('starts', options.starts ?? d.starts, 1),
    bootstrap: integerAtLeast('bootstrap', options.bootstrap ?? d.bootstrap, 0),
    blockLength: integerAtLeast('blockLength', options.blockLength ?? d.blockLength, 1),
    seed: options.seed ?? d.seed,
    level: options.level ?? d.level,
    recentPeriods: integerAtLeast('recentPeriods', options.recentPeriods ?? d.recentPeriods, 1),
    refit: options.refit ?? true,
    onProgress: options.onProgress,
  };
}

/** The per-channel decay and shape of a fitted member: a warm start. */
function warmStart(params: MemberParameters): ChannelShape[] {
  return params.beta.map((_, c) => ({
    theta: params.theta[c] ?? 0.4,
    weibullShape: params.weibullShape[c] ?? 1.5,
    weibullScale: params.weibullScale[c] ?? 2,
    k: params.k[c] ?? 1,
    s: params.s[c] ?? 1,
  }));
}

export async function fitHistory(data: FitData, options: HistoryFitOptions = {}): Promise<HistoryFit> {
  const o = resolve(options);
  requireFitData(data);
  const n = data.target.length;
  const holdoutPeriods = Math.max(2, Math.round(n * o.holdoutShare));
  const trainPeriods = n - holdoutPeriods;
  const folds = o.crossValidation ? rollingOriginFolds(trainPeriods, o.folds, o.foldShare, HISTORY_FIT_DEFAULTS.minTrainPeriods) : [];
  const candidates = folds.length > 0 ? gridCandidates(o.grid) : [];
  const cvSteps = folds.length > 0 ? o.cvSteps : 0;
  const bootstrapSteps = o.bootstrap > 0 ? o.bootstrapSteps : 0;
  const total = cvSteps + o.steps + bootstrapSteps;
  const train = headOf(data, trainPeriods);

  // 2. Cross-validation inside the training periods.
  let crossValidation: CrossValidationResult | null = null;
  let chosen = o.candidate;
  if (folds.length > 0) {
    const design = scaledDesign(train, { seasonality: o.seasonality, maxLag: o.maxLag });
    const { members, index } = crossValidationMembers(candidates, o.grid, folds, trainPeriods);
    const batch = await fitBatch(design.graph, members, {
      steps: o.cvSteps,
      learningRate: o.learningRate,
      projectEvery: o.projectEvery,
      onStep: (done) => o.onProgress?.(done, total, 'cross-validation'),
    });
    const raw = Float64Array.from(batch.predictions, (v) => v * design.targetScale);
    const losses = batch.members.map((m) => (isFiniteFit(m) ? m.loss : Number.POSITIVE_INFINITY));
    const { scores, best } = scoreCandidates(candidates, o.grid, folds, index, losses, train.target, raw);
    chosen = candidates[best] ?? o.candidate;
    const ridge = selectRidgeLambda(train, folds, o.seasonality);
    crossValidation = { folds, scores, chosen, steps: o.cvSteps, members: members.length, ridge };
  }

  // 3. The final batch: every start of the chosen candidate, on the training periods and on all.
  const design = scaledDesign(data, { seasonality: o.seasonality, maxLag: o.maxLag, scalePeriods: trainPeriods });
  const starts = gridStarts(o.grid, chosen.saturation);
  const trainWeights = prefixWeights(n, trainPeriods);
  const allWeights = new Float32Array(n).fill(1);
  const members: MemberSpec[] = starts.map((start) => candidateMember(chosen, start, trainWeights));
  if (o.refit) members.push(...starts.map((start) => candidateMember(chosen, start, allWeights)));
  const batch = await fitBatch(design.graph, members, {
    steps: o.steps,
    learningRate: o.learningRate,
    projectEvery: o.projectEvery,
    onStep: (done) => o.onProgress?.(cvSteps + done, total, 'fit'),
  });
  const losses = batch.members.map((m) => (isFiniteFit(m) ? m.loss : Number.POSITIVE_INFINITY));
  const group = (from: number) => Array.from({ length: starts.length }, (_, i) => from + i);
  const toModel = (m: number, batchFit: BatchFit, d: ScaledDesign, groupMembers: readonly number[], steps: number): FittedModel => {
    const fit = batchFit.members[m];
    if (fit === undefined || !isFiniteFit(fit)) throw divergedError();
    return modelFromMember(
      d,
      data,
      fit.params,
      { adstock: chosen.adstock, saturation: chosen.saturation },
      {
        backend: batchFit.backend,
        steps,
        learningRate: o.learningRate,
        members: groupMembers.length,
        member: groupMembers.indexOf(m),
        memberLosses: groupMembers.map((g) => batchFit.members[g]?.loss ?? Number.NaN),
        lossHistory: fit.lossHistory,
        mse: fit.mse,
      },
      o.recentPeriods,
    );
  };
  const trainMember = lowestLoss(group(0), losses);
  const savedMember = o.refit ? lowestLoss(group(starts.length), losses) : trainMember;
  const trainModel = toModel(trainMember, batch, design, group(0), o.steps);
  const model = o.refit ? toModel(savedMember, batch, design, group(starts.length), o.steps) : trainModel;

  // 4. The bootstrap ensemble, warm-started from the saved model.
  const ensemble: FittedModel[] = [];
  const savedParams = batch.members[savedMember]?.params;
  if (o.bootstrap > 0 && savedParams !== undefined) {
    const weights = bayesianBootstrapWeights({ members: o.bootstrap, periods: n, seed: o.seed, blockLength: o.blockLength, upTo: o.refit ? n : trainPeriods });
    const start = warmStart(savedParams);
    const boot = await fitBatch(design.graph, weights.map((w) => candidateMember(chosen, start, w)), {
      steps: o.bootstrapSteps,
      learningRate: o.learningRate / 5,
      projectEvery: o.projectEvery,
      onStep: (done) => o.onProgress?.(cvSteps + o.steps + done, total, 'fit'),
    });
    const everyone = boot.members.map((_, m) => m);
    boot.members.forEach((fit, m) => {
      if (isFiniteFit(fit)) ensemble.push(toModel(m, boot, design, everyone, o.bootstrapSteps));
    });
  }
  const maxSpend = maxSpendPerChannel(data.spend);
  const spendPoints = Object.fromEntries(Object.entries(maxSpend).map(([name, max]) => [name, responseCurveSpends(max)]));
  const uncertainty = ensemble.length > 0 ? summarizeEnsemble(ensemble, data, spendPoints, o.level) : null;

  // 1. (scored last) The hold-out.
  const actual = data.target.subarray(trainPeriods);
  const predicted = predict(trainModel, data).subarray(trainPeriods);
  const ridgeScores = (lambda: number) => {
    const ridge = fitRidgeBaseline(data, trainPeriods, { seasonality: o.seasonality, lambda });
    const p = ridge.predictions.subarray(trainPeriods);
    return { lambda, nrmse: nrmse(actual, p), mape: mape(actual, p), r2: r2(actual, p) };
  };
  const holdout: HoldoutScores = {
    share: o.holdoutShare,
    trainPeriods,
    periods: holdoutPeriods,
    mape: mape(actual, predicted),
    nrmse: nrmse(actual, predicted),
    r2: r2(actual, predicted),
    ridge: ridgeScores(RIDGE_DEFAULT_LAMBDA),
    ridgeCv: crossValidation === null ? null : ridgeScores(crossValidation.ridge.lambda),
  };
  return {
    model,
    trainModel,
    refit: o.refit,
    holdout,
    crossValidation,
    chosen,
    grid: o.grid,
    ensemble,
    uncertainty,
    steps: { crossValidation: cvSteps, fit: o.steps, bootstrap: bootstrapSteps },
    bootstrap: { members: ensemble.length, blockLength: o.blockLength, seed: o.seed },
  };
}
