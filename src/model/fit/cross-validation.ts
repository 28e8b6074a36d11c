/**
 * Rolling-origin cross-validation of the fit's hyperparameters, as ONE batched fit: every
 * candidate × start × fold is a member (./members.ts) whose observation weights are 1 before the
 * fold's origin and 0 after, so the whole grid trains at once and each member's predictions for
 * the periods after its origin are out of sample.
 *
 * The grid (coarse grid + gradient refinement):
 * - hyperparameters, chosen by cross-validation: the adstock and curve families and the prior
 *   strength (regularisation), i.e. the `Candidate`s;
 * - a coarse grid of adstock decay (θ, or for Weibull a scale with the mean lag θ/(1 − θ)) and
 *   saturation shape (Hill s) that every fit STARTS from; the gradient fit then refines decay and
 *   shape per channel, and of a candidate's starts the one with the lowest penalised training
 *   loss is kept — the same multi-start rule in every fold and in the final fit. The priors are
 *   centred on one neutral shape (members.ts DEFAULT_SHAPE) whatever the start, so the losses of
 *   different starts are values of one objective and comparable.
 *
 * Fold f of F (f = 1..F) trains on the periods before origin_f = n − (F − f + 1)·v and is scored
 * on the v periods from origin_f, where n is the number of periods given (the training periods:
 * the hold-out is never passed in) and v = max(2, round(foldShare·n)). A candidate's score is the
 * mean over folds of the validation NRMSE (RMSE / range of the actuals, as the hold-out is
 * scored) of its kept start; the choice among the scores follows the one-standard-error rule
 * (`oneStandardErrorChoice`).
 */
import { DEFAULT_SHAPE, type AdstockFamily, type ChannelShape, type MemberSpec, type SaturationFamily } from './members.ts';
import { nrmse, rmse } from './metrics.ts';

export interface Candidate {
  readonly adstock: AdstockFamily;
  readonly saturation: SaturationFamily;
  /** Multiplies the precision of the priors on the non-linear parameters. */
  readonly strength: number;
}

export interface Grid {
  readonly adstock: readonly AdstockFamily[];
  readonly saturation: readonly SaturationFamily[];
  readonly strength: readonly number[];
  /** Decays every fit starts from. */
  readonly theta: readonly number[];
  /** Hill shapes every Hill fit starts from. */
  readonly s: readonly number[];
}

export const DEFAULT_GRID: Grid = {
  adstock: ['geometric'],
  saturation: ['hill'],
  strength: [0.3, 1, 3, 10],
  theta: [0.1, 0.4, 0.7],
  s: [0.8, 1.6],
};

export interface Fold {
  readonly fold: number;
  /** Periods before the origin train the fold's members. */
  readonly origin: number;
  readonly validationPeriods: number;
}

/** Every combination of the grid's hyperparameters, in a fixed order. */
export function gridCandidates(grid: Grid): Candidate[] {
  return grid.adstock.flatMap((adstock) => grid.saturation.flatMap((saturation) => grid.strength.map((strength) => ({ adstock, saturation, strength }))));
}

/** A start's shape: decay θ (and the Weibull scale whose mean lag is near θ/(1 − θ)) and Hill shape s. */
export function startShape(theta: number, s: number): ChannelShape {
  const meanLag = theta / (1 - theta);
  return { ...DEFAULT_SHAPE, theta, s, weibullScale: Math.max(0.5, 1.1 * meanLag + 0.5) };
}

/** The starts of a candidate: decay × shape for Hill, decay only for exp and log (they have no shape). */
export function gridStarts(grid: Grid, saturation: SaturationFamily): ChannelShape[] {
  const shapes = saturation === 'hill' ? grid.s : [DEFAULT_SHAPE.s];
  return grid.theta.flatMap((theta) => shapes.map((s) => startShape(theta, s)));
}

export function candidateMember(candidate: Candidate, start: ChannelShape | readonly ChannelShape[], weights?: Float32Array): MemberSpec {
  return {
    adstock: candidate.adstock,
    saturation: candidate.saturation,
    centre: DEFAULT_SHAPE,
    start,
    strength: candidate.strength,
    ...(weights === undefined ? {} : { weights }),
  };
}

/** The rolling-origin folds over n periods; empty when they would leave fewer than `minTrain` to train on. */
export function rollingOriginFolds(n: number, folds: number, foldShare: number, minTrain: number): Fold[] {
  const v = Math.max(2, Math.round(foldShare * n));
  if (n - folds * v < minTrain) return [];
  return Array.from({ length: folds }, (_, i) => ({ fold: i + 1, origin: n - (folds - i) * v, validationPeriods: v }));
}

/** Weights 1 before `origin`, 0 from it on. */
export function prefixWeights(periods: number, origin: number): Float32Array {
  return Float32Array.from({ length: periods }, (_, t) => (t < origin ? 1 : 0));
}

/** Which member fits candidate c, fold f, start s: `index[c][f][s]`. */
export type MemberIndex = readonly (readonly (readonly number[])[])[];

/** Members for every candidate × fold × start, and where each one is. */
export function crossValidationMembers(
  candidates: readonly Candidate[],
  grid: Grid,
  folds: readonly Fold[],
  periods: number,
): { members: MemberSpec[]; index: MemberIndex } {
  const members: MemberSpec[] = [];
  const index = candidates.map((candidate) => {
    const starts = gridStarts(grid, candidate.saturation);
    return folds.map((fold) => {
      const weights = prefixWeights(periods, fold.origin);
      return starts.map((start) => members.push(candidateMember(candidate, start, weights)) - 1);
    });
  });
  return { members, index };
}

/** Of the members given, the one with the lowest loss (the first on ties). */
export function lowestLoss(members: readonly number[], losses: ArrayLike<number>): number {
  let best = members[0] ?? 0;
  for (const m of members) if ((losses[m] ?? Infinity) < (losses[best] ?? Infinity)) best = m;
  return best;
}

export interface FoldScore {
  readonly fold: number;
  readonly trainPeriods: number;
  readonly validationPeriods: number;
  /** The kept start (lowest penalised training loss): its decay θ and Hill shape s. */
  readonly start: { readonly theta: number; readonly s: number };
  readonly nrmse: number;
  readonly rmse: number;
}

export interface CandidateScore {
  readonly candidate: Candidate;
  readonly folds: readonly FoldScore[];
  readonly meanNrmse: number;
}

/**
 * Scores every candidate from the members' final losses and their predictions in raw units
 * ([K·n], member-major) and returns the scores and the index of the best candidate.
 */
export function scoreCandidates(
  candidates: readonly Candidate[],
  grid: Grid,
  folds: readonly Fold[],
  index: MemberIndex,
  losses: ArrayLike<number>,
  actual: ArrayLike<number>,
  predictions: ArrayLike<number>,
): { scores: CandidateScore[]; best: number } {
  const n = actual.length;
  const scores = candidates.map((candidate, c): CandidateScore => {
    const starts = gridStarts(grid, candidate.saturation);
    const foldScores = folds.map((fold, f): FoldScore => {
      const members = index[c]?.[f] ?? [];
      const kept = lowestLoss(members, losses);
      const start = starts[members.indexOf(kept)] ?? DEFAULT_SHAPE;
      const from = fold.origin;
      const to = fold.origin + fold.validationPeriods;
      const a = Array.from({ length: to - from }, (_, i) => actual[from + i] ?? 0);
      const p = Array.from({ length: to - from }, (_, i) => predictions[kept * n + from + i] ?? 0);
      return { fold: fold.fold, trainPeriods: fold.origin, validationPeriods: fold.validationPeriods, start: { theta: start.theta, s: start.s }, nrmse: nrmse(a, p), rmse: rmse(a, p) };
    });
    const values = foldScores.map((s) => s.nrmse);
    const meanNrmse = values.length > 0 && values.every(Number.isFinite) ? values.reduce((s, v) => s + v, 0) / values.length : Number.POSITIVE_INFINITY;
    return { candidate, folds: foldScores, meanNrmse };
  });
  return { scores, best: oneStandardErrorChoice(scores) };
}

/**
 * The one-standard-error rule (Breiman et al. 1984; Hastie, Tibshirani & Friedman, §7.10): of
 * the candidates whose mean validation NRMSE is within one standard error of the lowest (the
 * standard error of the best candidate's fold errors), the most regularised — the largest prior
 * strength, then the lowest mean. Folds this short rarely separate the candidates, and a
 * difference cross-validation cannot see should not buy a flexible fit: the weakly regularised
 * fits differ from each other mostly along directions the data do not pin down (how much of the
 * baseline an always-on channel takes), so choosing among them by noise moves ROI a lot.
 */
export function oneStandardErrorChoice(scores: readonly CandidateScore[]): number {
  const lowest = scores.reduce((bestIndex, score, i) => (score.meanNrmse < (scores[bestIndex]?.meanNrmse ?? Infinity) ? i : bestIndex), 0);
  const best = scores[lowest];
  if (best === undefined || !Number.isFinite(best.meanNrmse)) return lowest;
  const errors = best.folds.map((f) => f.nrmse);
  const mean = best.meanNrmse;
  const sd = errors.length > 1 ? Math.sqrt(errors.reduce((s, v) => s + (v - mean) ** 2, 0) / (errors.length - 1)) : 0;
  const limit = mean + sd / Math.sqrt(Math.max(1, errors.length));
  let chosen = lowest;
  scores.forEach((score, i) => {
    if (!(score.meanNrmse <= limit)) return;
    const current = scores[chosen];
    if (current === undefined) return;
    const stronger = score.candidate.strength > current.candidate.strength;
    const sameButBetter = score.candidate.strength === current.candidate.strength && score.meanNrmse < current.meanNrmse;
    if (stronger || sameButBetter) chosen = i;
  });
  return chosen;
}
