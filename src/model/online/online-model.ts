/**
 * The online response model: created once per portfolio, then updated from its current state
 * every time a bucket closes — never refitted from scratch. Pure: the bucket's time comes in with
 * the bucket, nothing reads a clock or a global random source.
 *
 * Per block (the portfolio's revenue net of channels modelled on their own attributed revenue,
 * plus one block per such channel):
 *
 *   y_t = baseline(t) + Σ_c β_c · hill(adstock_c(x_c)_t; k_c, s_c) + ε_t
 *
 * An update (1) appends the bucket to the bounded replay window, (2) scores the bucket against
 * what the model predicted before seeing it and feeds the error to the change detector
 * (./drift.ts), which may cut the memory of what changed, (3) solves the linear coefficients
 * (./information.ts) with exponential forgetting at the current curve shapes, and (4) takes a
 * Gauss–Newton step on the shapes (./shape-step.ts) from that solve's residuals, which the next
 * update starts from (`nextShape`; with `shapeSteps` > 1 the extra steps come before the solve).
 * One media pass and one solve per update, O(window × width²); nothing grows with the stream.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { choleskyFactor, inverseQuadraticForm } from '../linear-algebra.ts';
import { seasonalityFor } from './design.ts';
import { attributeShift, cusumStep, DRIFT_WARMUP_ROWS, initialDriftState, SETTLE_BUCKETS, type Candidate } from './drift.ts';
import { priorShapeCovariance, SHAPE_PRIOR } from './shape-step.ts';
import type { BlockState, BlockTarget, DriftEvent, DriftState, ModelBucket, OnlineModelOptions, OnlineModelState, WindowRow } from './types.ts';
import { blockTargets, componentColumn, design, frameOf, initialNoise, mediaOf, refineBlocks, type BlockWork, type ShapeWork } from './window-fit.ts';

export interface OnlineModelSpec {
  readonly channels: readonly string[];
  /** Per channel, the spend the prior ROI refers to (e.g. its initial budget); also its spend scale. */
  readonly referenceSpend: Readonly<Record<string, number>>;
  /** Channels modelled on the revenue attributed to them (sales events naming the channel). */
  readonly attributedChannels?: readonly string[];
}

/** Buckets between two refreshes of the shapes' joint uncertainty (intervals lag by at most this). */
export const UNCERTAINTY_EVERY = 12;
/** A change point lets the coefficient jump by about this share of its value (the jump's prior sd). */
const JUMP_SHARE = 1;

export function createOnlineModel(spec: OnlineModelSpec, options: Pick<OnlineModelOptions, 'bucketMs' | 'priorRoi' | 'windowBuckets'>): OnlineModelState {
  const channels = [...spec.channels];
  if (channels.length === 0) throw new SpendflowError('INPUT_INVALID', 'the online model needs at least one channel');
  if (channels.includes('baseline')) {
    throw new SpendflowError('INPUT_INVALID', 'a channel may not be called "baseline": the model names the organic revenue that', { problems: [{ field: 'channels', message: '"baseline" is reserved' }] });
  }
  const attributed = new Set(spec.attributedChannels ?? []);
  const unknown = [...attributed].filter((id) => !channels.includes(id));
  if (unknown.length > 0) throw new SpendflowError('INPUT_INVALID', `attributed channels not in the model: ${unknown.join(', ')}`);
  const total = channels.reduce((s, id) => s + Math.max(0, spec.referenceSpend[id] ?? 0), 0);
  const fallback = Math.max(1, total / channels.length);
  const spendScale = channels.map((id) => {
    const x = spec.referenceSpend[id] ?? 0;
    return Number.isFinite(x) && x > 0 ? x : fallback;
  });
  const indices = channels.map((_, i) => i);
  const blocks: BlockState[] = [
    { target: { kind: 'unattributed' } as BlockTarget, channels: indices.filter((i) => !attributed.has(channels[i]!)) },
    ...indices.filter((i) => attributed.has(channels[i]!)).map((i) => ({ target: { kind: 'attributed' as const, channel: channels[i]! }, channels: [i] })),
  ].map((b) => ({ ...b, mean: [], information: [], priorMean: [], noiseVariance: 0, innovations: [], innovationSd: [], drift: initialDriftState() }));
  return {
    format: 'spendflow-online/1',
    channels,
    bucketMs: options.bucketMs,
    season: seasonalityFor(options.bucketMs, options.windowBuckets),
    revenueScale: Math.max(1, options.priorRoi * total),
    spendScale,
    shape: {
      logitTheta: channels.map(() => SHAPE_PRIOR.logitTheta.centre),
      logK: channels.map(() => SHAPE_PRIOR.logK.centre),
      logS: channels.map(() => SHAPE_PRIOR.logS.centre),
      covariance: channels.map(() => priorShapeCovariance()),
      betaCross: channels.map(() => [0, 0, 0]),
      betaExtraVariance: channels.map(() => 0),
    },
    nextShape: {
      logitTheta: channels.map(() => SHAPE_PRIOR.logitTheta.centre),
      logK: channels.map(() => SHAPE_PRIOR.logK.centre),
      logS: channels.map(() => SHAPE_PRIOR.logS.centre),
    },
    blocks,
    window: [],
    updates: 0,
    lastBucket: null,
  };
}

/** A mutable copy of the state's shape uncertainty with the shape values `values`. */
function shapeWork(state: OnlineModelState, values: OnlineModelState['nextShape']): ShapeWork {
  return {
    logitTheta: [...values.logitTheta],
    logK: [...values.logK],
    logS: [...values.logS],
    covariance: state.shape.covariance.map((c) => [...c]),
    betaCross: state.shape.betaCross.map((c) => [...c]),
    betaExtraVariance: [...state.shape.betaExtraVariance],
  };
}

export interface UpdateReport {
  /** Standardised one-step-ahead error of the new bucket in the unattributed block (null early on). */
  readonly error: number | null;
  /** Changes detected by this update, with the block they belong to. */
  readonly detected: readonly { readonly block: number; readonly event: DriftEvent }[];
  /** Weighted root-mean-square error of the fit over the window, in money per bucket (unattributed block). */
  readonly rmse: number;
}

function bucketRow(state: OnlineModelState, bucket: ModelBucket): WindowRow {
  const problems: FieldProblem[] = [];
  const finite = (field: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) problems.push({ field, message: `must be a finite number ≥ 0 (got ${v})` });
    return Number.isFinite(v) && v > 0 ? v : 0;
  };
  if (!Number.isSafeInteger(bucket.start)) problems.push({ field: 'start', message: `must be epoch milliseconds (got ${bucket.start})` });
  if (state.lastBucket !== null && bucket.start <= state.lastBucket) {
    problems.push({ field: 'start', message: `must be after the last bucket the model saw (${state.lastBucket})` });
  }
  const row: WindowRow = {
    start: bucket.start,
    revenue: finite('revenue', bucket.revenue),
    spend: state.channels.map((id) => finite(`spend.${id}`, Object.hasOwn(bucket.spend, id) ? bucket.spend[id]! : 0)),
    attributed: state.channels.map((id) =>
      finite(`attributedRevenue.${id}`, bucket.attributedRevenue && Object.hasOwn(bucket.attributedRevenue, id) ? bucket.attributedRevenue[id]! : 0),
    ),
  };
  // Attributed revenue is part of the revenue: more of it than there is revenue means the events
  // were counted twice or the totals are not the same bucket's.
  const attributedTotal = state.blocks.reduce(
    (sum, b) => sum + (b.target.kind === 'attributed' ? row.attributed[state.channels.indexOf(b.target.channel)]! : 0),
    0,
  );
  if (attributedTotal > row.revenue * (1 + 1e-9) + 1e-9) {
    problems.push({ field: 'attributedRevenue', message: `adds up to ${attributedTotal} for the attributed channels, more than the bucket's revenue ${row.revenue}` });
  }
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid bucket for the online model', { problems });
  return row;
}

/**
 * Absorbs one closed bucket (see the module comment). Throws INPUT_INVALID naming the field for a
 * bucket with non-finite or negative numbers or one not after the last bucket seen; throws
 * INTERNAL when the numbers degenerate (the caller keeps the previous state).
 */
export function updateOnlineModel(state: OnlineModelState, bucket: ModelBucket, options: OnlineModelOptions): { state: OnlineModelState; report: UpdateReport } {
  const row = bucketRow(state, bucket);
  const window = [...state.window, row].slice(-options.windowBuckets);
  const dropped = state.window.length + 1 - window.length;
  const frame = frameOf(state, window, options);
  const P = frame.baselineCount;
  // The shapes the last update stepped to (its blocks were solved one step behind).
  const shape = shapeWork(state, state.nextShape);
  const detected: { block: number; event: DriftEvent }[] = [];
  const media = mediaOf(state, frame, shape, options.shapeSteps > 0);
  let errorReport: number | null = null;

  // 1–2. Score the new bucket with what each block knew, watch for changes.
  const work: BlockWork[] = state.blocks.map((block, b) => {
    const target = blockTargets(state, block, window);
    const { matrix, width } = design(frame, media, block);
    const last = frame.rows - 1;
    let innovation: number | null = null;
    let sd: number | null = null;
    if (block.mean.length === width) {
      const factor = choleskyFactor(block.information, width);
      const z = Float64Array.from({ length: width }, (_, j) => matrix[j * frame.rows + last]!);
      if (factor !== null) {
        let yhat = 0;
        for (let j = 0; j < width; j++) yhat += z[j]! * block.mean[j]!;
        innovation = target[last]! - yhat;
        sd = Math.sqrt(block.noiseVariance * (1 + inverseQuadraticForm(factor, z, width)));
      }
    }
    const innovations = [...block.innovations.slice(dropped), innovation];
    const innovationSd = [...block.innovationSd.slice(dropped), sd];
    let drift: DriftState = { ...block.drift, events: block.drift.events.filter((e) => e.onset >= window[0]!.start) };
    if (options.drift.enabled && innovation !== null && sd !== null && sd > 0 && frame.rows > DRIFT_WARMUP_ROWS) {
      const step = cusumStep(drift, innovation / sd, row.start, options.drift.threshold);
      drift = step.state;
      if (drift.quiet >= SETTLE_BUCKETS) {
        drift = { ...drift, events: drift.events.map((e) => (e.settledAt === null ? { ...e, settledAt: row.start } : e)) };
      }
      if (step.alarm) {
        const event = driftEvent(state, block, window, target, matrix, width, innovations, innovationSd, step.alarm, row.start, P);
        if (event !== null) {
          drift = { ...drift, events: [...drift.events, event] };
          detected.push({ block: b, event });
        }
      }
    }
    if (b === 0 && innovation !== null && sd !== null && sd > 0) errorReport = innovation / sd;
    const intercept = block.priorMean.length === width ? block.priorMean[0]! : target[0]!;
    const noiseVariance = block.noiseVariance > 0 ? block.noiseVariance : initialNoise(intercept);
    return { block: { ...block, innovations, innovationSd, drift, noiseVariance }, target, intercept };
  });

  // 3–4. Shape steps, then the final linear solve.
  // The shapes' joint uncertainty moves slowly and costs as much as the rest of an update: it is
  // refreshed every UNCERTAINTY_EVERY buckets (and kept in between).
  const refresh = state.updates % UNCERTAINTY_EVERY === 0;
  const { blocks, rmse, next: stepped } = refineBlocks(state, window, frame, work, shape, options, options.shapeSteps, media, true, refresh);
  const next: OnlineModelState = {
    ...state,
    shape: { logitTheta: shape.logitTheta, logK: shape.logK, logS: shape.logS, covariance: stepped.covariance, betaCross: stepped.betaCross, betaExtraVariance: stepped.betaExtraVariance },
    nextShape: { logitTheta: stepped.logitTheta, logK: stepped.logK, logS: stepped.logS },
    blocks,
    window,
    updates: state.updates + 1,
    lastBucket: row.start,
  };
  return { state: next, report: { error: errorReport, detected, rmse } };
}

/**
 * A batch fit of the same model from scratch: every bucket of `buckets` in one window (no
 * forgetting unless `options.halfLifeBuckets` is finite, no change detection), `steps`
 * Gauss–Newton steps on the shapes from the prior. What a periodic refit (an MMM team's weekly
 * re-estimation) does, for comparison with the online updates; also a cold start from history.
 */
export function fitOnlineModel(spec: OnlineModelSpec, buckets: readonly ModelBucket[], options: OnlineModelOptions, steps: number): OnlineModelState {
  let state = createOnlineModel(spec, { ...options, windowBuckets: Math.max(options.windowBuckets, buckets.length) });
  if (buckets.length === 0) return state;
  const window: WindowRow[] = [];
  for (const bucket of buckets) {
    const row = bucketRow(state, bucket);
    window.push(row);
    state = { ...state, lastBucket: row.start };
  }
  const batchOptions = { ...options, windowBuckets: window.length };
  const frame = frameOf(state, window, batchOptions);
  const shape = shapeWork(state, state.shape);
  const work: BlockWork[] = state.blocks.map((block) => {
    const target = blockTargets(state, block, window);
    const intercept = target.reduce((s, v) => s + v, 0) / target.length;
    const rows = window.length;
    return { block: { ...block, noiseVariance: initialNoise(intercept), innovations: new Array(rows).fill(null), innovationSd: new Array(rows).fill(null) }, target, intercept };
  });
  // The noise variance scales the priors: one pass to estimate it, then the real refinement.
  const first = refineBlocks(state, window, frame, work, shape, batchOptions, 0);
  const reweighted = work.map((w, b) => ({ ...w, block: { ...w.block, noiseVariance: first.blocks[b]!.noiseVariance } }));
  const { blocks } = refineBlocks(state, window, frame, reweighted, shape, batchOptions, steps);
  return { ...state, shape, nextShape: { logitTheta: shape.logitTheta, logK: shape.logK, logS: shape.logS }, blocks, window, updates: window.length };
}

function driftEvent(
  state: OnlineModelState,
  block: BlockState,
  window: readonly WindowRow[],
  target: Float64Array,
  matrix: Float64Array,
  width: number,
  innovations: readonly (number | null)[],
  innovationSd: readonly (number | null)[],
  alarm: { direction: 'up' | 'down'; onset: number; statistic: number },
  detectedAt: number,
  P: number,
): DriftEvent | null {
  const rows: number[] = [];
  window.forEach((r, t) => {
    if (r.start >= alarm.onset && innovations[t] !== null && (innovationSd[t] ?? 0) > 0) rows.push(t);
  });
  if (rows.length === 0 || block.mean.length !== width) return null;
  const errors = rows.map((t) => innovations[t]! / innovationSd[t]!);
  const candidates: Candidate[] = [
    { name: 'baseline', values: rows.map(() => 1) },
    ...block.channels.map((c, j) => ({ name: state.channels[c]!, values: rows.map((t) => matrix[(P + j) * window.length + t]!) })),
  ];
  const components = attributeShift(errors, candidates);
  if (components.length === 0) return null;
  let predicted = 0;
  let missed = 0;
  for (const t of rows) {
    missed += innovations[t]!;
    predicted += target[t]! - innovations[t]!;
  }
  const before = components.map((name) => block.mean[componentColumn(block, state, P, name)]!);
  // A jump can take a coefficient to what the prior thought as easily as to zero: a channel that
  // had fallen to nothing (an outage) can come back.
  const floors = components.map((name) => Math.abs(block.priorMean[componentColumn(block, state, P, name)] ?? 0));
  const size = before.map((v, i) => Math.max(Math.abs(v), floors[i]!, 1e-6));
  return {
    onset: alarm.onset,
    detectedAt,
    components,
    direction: alarm.direction,
    statistic: alarm.statistic,
    jumpVariance: size.map((v) => (JUMP_SHARE * v) ** 2),
    settledAt: null,
    shift: predicted !== 0 ? missed / Math.abs(predicted) : 0,
    before,
  };
}
