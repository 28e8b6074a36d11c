/**
 * The window side of the online model: the regressors of every window row, each block's prior,
 * memory cuts and posterior, and the shape refinement loop shared by the online update and the
 * batch fit (./online-model.ts). Pure.
 */
import { SpendflowError } from '../../errors.ts';
import { baselineWidth, mediaColumn, shapeFromLogits, steadyHill, writeBaselineRow, type ChannelShape, type MediaColumn } from './design.ts';
import { solveWindowRegression, type Jump, type Posterior } from './information.ts';
import { choleskyFactor } from '../linear-algebra.ts';
import { jointChannelUncertainty } from './joint-uncertainty.ts';
import { SHAPE_PRIOR, shapeStepWithCovariance } from './shape-step.ts';
import type { BlockState, OnlineModelOptions, OnlineModelState, WindowRow } from './types.ts';

/** Prior sd of the intercept and of the seasonality terms, in units of the revenue scale. */
const INTERCEPT_SD = 10;
const SEASONAL_SD = 1;
/**
 * Weight, in buckets, of the previous noise-variance estimate in the new one: it steadies the
 * estimate on a short window and, being the last estimate rather than the first guess, washes
 * out (its fixed point is the weighted residual variance itself).
 */
const NOISE_PRIOR_BUCKETS = 5;
/** Rows the shape steps need before they run. */
const SHAPE_MIN_ROWS = 24;

/** Per update: everything derived from the window that does not depend on the shapes. */
export interface WindowFrame {
  readonly rows: number;
  readonly baseline: Float64Array; // rows × P, column-major
  readonly baselineCount: number;
  /** Buckets between row t−1 and row t (gaps[0] = 1). */
  readonly gaps: Float64Array;
  /** Forgetting weight 0.5^(age / half-life), age in buckets before the last row. */
  readonly weight: Float64Array;
  readonly spend: readonly Float64Array[]; // per channel, scaled
}

export function frameOf(state: OnlineModelState, window: readonly WindowRow[], options: OnlineModelOptions): WindowFrame {
  const rows = window.length;
  const season = state.season;
  const P = baselineWidth(season);
  const baseline = new Float64Array(rows * P); // column-major, like the design
  const row = new Float64Array(P);
  const gaps = new Float64Array(rows);
  const last = window[rows - 1]!.start;
  const lambda = Math.pow(0.5, 1 / options.halfLifeBuckets);
  const weight = new Float64Array(rows);
  window.forEach((r, t) => {
    writeBaselineRow(season, r.start, state.bucketMs, row, 0);
    for (let p = 0; p < P; p++) baseline[p * rows + t] = row[p]!;
    gaps[t] = t === 0 ? 1 : (r.start - window[t - 1]!.start) / state.bucketMs;
    weight[t] = Math.pow(lambda, (last - r.start) / state.bucketMs);
  });
  const spend = state.channels.map(() => new Float64Array(rows));
  for (let t = 0; t < rows; t++) {
    const x = window[t]!.spend;
    for (let c = 0; c < spend.length; c++) spend[c]![t] = x[c]! / state.spendScale[c]!;
  }
  return { rows, baseline, baselineCount: P, gaps, weight, spend };
}

/** The block's target over the window (scaled). */
export function blockTargets(state: OnlineModelState, block: BlockState, window: readonly WindowRow[]): Float64Array {
  const out = new Float64Array(window.length);
  for (let t = 0; t < window.length; t++) out[t] = blockTarget(state, block, window[t]!);
  return out;
}

export function blockTarget(state: OnlineModelState, block: BlockState, row: WindowRow): number {
  if (block.target.kind === 'attributed') {
    const c = state.channels.indexOf(block.target.channel);
    return row.attributed[c]! / state.revenueScale;
  }
  let own = row.revenue;
  for (const other of state.blocks) {
    if (other.target.kind === 'attributed') own -= row.attributed[state.channels.indexOf(other.target.channel)]!;
  }
  return own / state.revenueScale;
}

/** The block's design matrix over the window, column-major (column j at j·rows). */
export function design(frame: WindowFrame, media: readonly MediaColumn[], block: BlockState): { matrix: Float64Array; width: number } {
  const P = frame.baselineCount;
  const rows = frame.rows;
  const width = P + block.channels.length;
  const matrix = new Float64Array(rows * width);
  matrix.set(frame.baseline, 0);
  for (let j = 0; j < block.channels.length; j++) matrix.set(media[block.channels[j]!]!.value, (P + j) * rows);
  return { matrix, width };
}

/**
 * β₀ per block channel: the β that gives `priorRoi` at the reference spend with the prior's shape.
 * Fixed, not following the learnt shape: a Hill curve seen over a narrow range of spend only
 * pins β/kˢ, and a prior that moved with k would leave that ridge free up to absurd β and k.
 */
export function betaCentres(state: OnlineModelState, block: BlockState, priorRoi: number): number[] {
  const prior = shapeFromLogits(SHAPE_PRIOR.logitTheta.centre, SHAPE_PRIOR.logK.centre, SHAPE_PRIOR.logS.centre);
  return block.channels.map((c) => (priorRoi * state.spendScale[c]!) / (state.revenueScale * steadyHill(1, prior)));
}

export function priorOf(state: OnlineModelState, block: BlockState, P: number, options: OnlineModelOptions, noise: number, intercept: number) {
  const width = P + block.channels.length;
  const centres = betaCentres(state, block, options.priorRoi);
  const mean = new Float64Array(width);
  const precision = new Float64Array(width);
  mean[0] = intercept;
  precision[0] = noise / (INTERCEPT_SD * INTERCEPT_SD);
  for (let p = 1; p < P; p++) precision[p] = noise / (SEASONAL_SD * SEASONAL_SD);
  centres.forEach((b0, j) => {
    mean[P + j] = b0;
    precision[P + j] = (noise * options.priorPrecision) / (b0 * b0) + 1e-9;
  });
  return { mean, precision, centres };
}

export function componentColumn(block: BlockState, state: OnlineModelState, P: number, name: string): number {
  if (name === 'baseline') return 0;
  const j = block.channels.findIndex((c) => state.channels[c] === name);
  return j < 0 ? -1 : P + j;
}

/** The change points of the block's events inside the window, in σ² units. */
export function jumpsOf(state: OnlineModelState, block: BlockState, frame: WindowFrame, window: readonly WindowRow[], noise: number): Jump[] {
  const jumps: Jump[] = [];
  const P = frame.baselineCount;
  for (const event of block.drift.events) {
    const row = window.findIndex((r) => r.start >= event.onset);
    if (row <= 0) continue; // the onset left the window (or is its first row): nothing before it to separate
    event.components.forEach((name, i) => {
      const component = componentColumn(block, state, P, name);
      if (component >= 0) jumps.push({ row, component, variance: event.jumpVariance[i]! / noise });
    });
  }
  return jumps;
}

export function fitBlock(frame: WindowFrame, matrix: Float64Array, width: number, target: Float64Array, prior: { mean: Float64Array; precision: Float64Array }, jumps: readonly Jump[], P: number): Posterior | null {
  return solveWindowRegression({
    rows: frame.rows,
    width,
    design: matrix,
    target,
    weight: frame.weight,
    priorPrecision: prior.precision,
    priorMean: prior.mean,
    jumps,
    nonNegative: Array.from({ length: width - P }, (_, j) => P + j),
  });
}

/** A channel's β at every row: today's, minus the jumps that row predates. */
function betaByRow(fit: Posterior, jumps: readonly Jump[], column: number, rows: number): Float64Array {
  const beta = new Float64Array(rows).fill(fit.mean[column]!);
  jumps.forEach((jump, k) => {
    if (jump.component !== column) return;
    for (let t = 0; t < jump.row; t++) beta[t]! -= fit.jumps[k]!;
  });
  return beta;
}

export function isFiniteArray(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}


/** A block being refitted: its state, its target over the window and its intercept's prior centre. */
export interface BlockWork {
  readonly block: BlockState;
  readonly target: Float64Array;
  readonly intercept: number;
}

/** Shape parameters being refined (mutated in place), per channel. */
export interface ShapeWork {
  readonly logitTheta: number[];
  readonly logK: number[];
  readonly logS: number[];
  readonly covariance: number[][];
  readonly betaCross: number[][];
  readonly betaExtraVariance: number[];
}

export function shapesOf(state: OnlineModelState, shape: ShapeWork): ChannelShape[] {
  return state.channels.map((_, c) => shapeFromLogits(shape.logitTheta[c]!, shape.logK[c]!, shape.logS[c]!));
}

export function mediaOf(state: OnlineModelState, frame: WindowFrame, shape: ShapeWork, derivatives: boolean): MediaColumn[] {
  const shapes = shapesOf(state, shape);
  return state.channels.map((_, c) => mediaColumn(frame.spend[c]!, frame.gaps, shapes[c]!, derivatives));
}

/** The initial noise-variance guess: 10% of the block's level. */
export function initialNoise(intercept: number): number {
  return Math.max(1e-6, (0.1 * Math.max(Math.abs(intercept), 0.1)) ** 2);
}

interface BlockSolve {
  readonly fit: Posterior | null;
  readonly jumps: readonly Jump[];
  readonly prior: { readonly mean: Float64Array; readonly precision: Float64Array };
  readonly width: number;
  readonly matrix: Float64Array;
}

function solveBlocks(state: OnlineModelState, window: readonly WindowRow[], frame: WindowFrame, work: readonly BlockWork[], columns: readonly MediaColumn[], options: OnlineModelOptions): BlockSolve[] {
  const P = frame.baselineCount;
  return work.map(({ block, target, intercept }) => {
    const { matrix, width } = design(frame, columns, block);
    const prior = priorOf(state, block, P, options, block.noiseVariance, intercept);
    const jumps = jumpsOf(state, block, frame, window, block.noiseVariance);
    return { fit: fitBlock(frame, matrix, width, target, prior, jumps, P), jumps, prior, width, matrix };
  });
}

/** One Gauss–Newton step on every channel's shape (in place), from the blocks' fits at `columns`. */
function stepShapes(frame: WindowFrame, work: readonly BlockWork[], solves: readonly BlockSolve[], columns: readonly MediaColumn[], shape: ShapeWork, withUncertainty: boolean): void {
  const P = frame.baselineCount;
  work.forEach(({ block }, b) => {
    const { fit, jumps, matrix, width } = solves[b]!;
    // Shapes are held while a change is settling: the levels re-learn first.
    if (fit === null || frame.rows < SHAPE_MIN_ROWS || block.drift.events.some((e) => e.settledAt === null)) return;
    const factor = withUncertainty ? choleskyFactor(fit.information, width) : null;
    block.channels.forEach((c, j) => {
      const beta = betaByRow(fit, jumps, P + j, frame.rows);
      const { next, information } = shapeStepWithCovariance({
        media: columns[c]!,
        beta,
        residual: fit.residual,
        weight: frame.weight,
        noiseVariance: block.noiseVariance,
        current: [shape.logitTheta[c]!, shape.logK[c]!, shape.logS[c]!],
      });
      if (factor !== null) {
        const u = jointChannelUncertainty({
          design: matrix, rows: frame.rows, width, column: P + j, factor, media: columns[c]!, beta,
          weight: frame.weight, noiseVariance: block.noiseVariance, shapeInformation: information,
        });
        shape.covariance[c] = u.covariance;
        shape.betaCross[c] = u.betaCross;
        shape.betaExtraVariance[c] = u.betaExtraVariance;
      }
      [shape.logitTheta[c], shape.logK[c], shape.logS[c]] = next;
    });
  });
}

function copyShape(shape: ShapeWork): ShapeWork {
  return {
    logitTheta: [...shape.logitTheta],
    logK: [...shape.logK],
    logS: [...shape.logS],
    covariance: shape.covariance.map((c) => [...c]),
    betaCross: shape.betaCross.map((c) => [...c]),
    betaExtraVariance: [...shape.betaExtraVariance],
  };
}

/**
 * Refines the shapes by `steps` Gauss–Newton steps, each from a fresh linear solve, and returns
 * the blocks' posterior at a shape and the shape to continue from.
 *
 * - `deferLast` off (the batch fit): every step is taken, then the final linear solve at the final
 *   shapes; `next` equals the shapes the blocks were solved at.
 * - `deferLast` on (the online update): the last step is taken after the final solve, from its
 *   residuals, and only handed on as `next` for the next update — the blocks stay consistent with
 *   `shape`, and an update costs one media pass and one solve instead of two. A step of at most
 *   0.1 per bucket lags one bucket behind; nothing else changes.
 *
 * `media` may pass columns already computed (with derivatives) at `shape`. The noise variance is
 * re-estimated from the weighted residuals of the final solve.
 */
export function refineBlocks(
  state: OnlineModelState,
  window: readonly WindowRow[],
  frame: WindowFrame,
  work: readonly BlockWork[],
  shape: ShapeWork,
  options: OnlineModelOptions,
  steps: number,
  media?: MediaColumn[],
  deferLast = false,
  /** Recompute the shapes' joint uncertainty (O(window × width × channels); the online update does it every few buckets). */
  uncertainty = true,
): { blocks: BlockState[]; rmse: number; next: ShapeWork } {
  const eager = deferLast ? Math.max(0, steps - 1) : steps;
  let columns: MediaColumn[] | undefined = media;
  for (let step = 0; step < eager; step++) {
    const withDerivatives = columns !== undefined && columns[0]?.dLogK !== undefined ? columns : mediaOf(state, frame, shape, true);
    stepShapes(frame, work, solveBlocks(state, window, frame, work, withDerivatives, options), withDerivatives, shape, uncertainty && !deferLast && step === eager - 1);
    columns = undefined;
  }
  const deferred = deferLast && steps > 0;
  const finalColumns = columns ?? mediaOf(state, frame, shape, deferred);
  const solves = solveBlocks(state, window, frame, work, finalColumns, options);
  let rmse = Number.NaN;
  const totalWeight = frame.weight.reduce((s, w) => s + w, 0);
  const blocks = work.map(({ block, intercept }, b) => {
    const { fit, prior, width } = solves[b]!;
    if (fit === null || !isFiniteArray(fit.mean) || !isFiniteArray(fit.information)) {
      throw new SpendflowError('INTERNAL', `online model fit degenerated (block ${b}: the information matrix is not positive definite or not finite)`);
    }
    const dof = Math.max(totalWeight - width, totalWeight / 2);
    const previous = block.noiseVariance > 0 ? block.noiseVariance : initialNoise(intercept);
    const noiseVariance = Math.max(1e-12, (fit.sse + NOISE_PRIOR_BUCKETS * previous) / (dof + NOISE_PRIOR_BUCKETS));
    if (b === 0) rmse = Math.sqrt(fit.sse / Math.max(totalWeight, 1e-12)) * state.revenueScale;
    return { ...block, mean: Array.from(fit.mean), information: Array.from(fit.information), priorMean: Array.from(prior.mean), noiseVariance };
  });
  const next = copyShape(shape);
  if (deferred) stepShapes(frame, work, solves, finalColumns, next, uncertainty);
  return { blocks, rmse, next };
}
