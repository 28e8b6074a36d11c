/**
 * Shared set-up for the online model's tests on the synthetic market: the service's default
 * options (config/default.yaml: hourly buckets, a two-week window, one-week half-life, prior ROI
 * 1.5, ridge 1, one shape step, drift threshold 8), the market's spec, and a runner.
 */
import { curveDerivative } from '../../../../src/model/curves/registry.ts';
import type { HillCurve } from '../../../../src/model/curves/types.ts';
import { baselineWidth, mediaColumn, shapeFromLogits, writeBaselineRow } from '../../../../src/model/online/design.ts';
import { createOnlineModel, updateOnlineModel, type OnlineModelSpec, type UpdateReport } from '../../../../src/model/online/online-model.ts';
import type { ModelBucket, OnlineModelOptions, OnlineModelState } from '../../../../src/model/online/types.ts';
import { CHANNELS, HOUR, type TrueChannel } from './synthetic.ts';

export const OPTIONS: OnlineModelOptions = {
  bucketMs: HOUR,
  windowBuckets: 336,
  halfLifeBuckets: 168,
  priorRoi: 1.5,
  priorPrecision: 1,
  shapeSteps: 1,
  drift: { enabled: true, threshold: 8 },
};

export function specOf(channels: readonly TrueChannel[] = CHANNELS, attributedChannels?: readonly string[]): OnlineModelSpec {
  return {
    channels: channels.map((c) => c.id),
    referenceSpend: Object.fromEntries(channels.map((c) => [c.id, c.reference])),
    ...(attributedChannels ? { attributedChannels } : {}),
  };
}

export interface Run {
  readonly state: OnlineModelState;
  readonly reports: UpdateReport[];
}

/** Feeds the buckets one by one; `each` sees every intermediate state. */
export function runOnline(buckets: readonly ModelBucket[], options: OnlineModelOptions = OPTIONS, spec = specOf(), each?: (state: OnlineModelState, t: number) => void): Run {
  let state = createOnlineModel(spec, options);
  const reports: UpdateReport[] = [];
  buckets.forEach((bucket, t) => {
    const next = updateOnlineModel(state, bucket, options);
    state = next.state;
    reports.push(next.report);
    each?.(state, t);
  });
  return { state, reports };
}

export const marginal = (curve: HillCurve, x: number): number => curveDerivative(curve, x);

/**
 * The fitted value of every window row of a block, recomputed from the state's shape and mean
 * coefficients (scaled units), for blocks without change points.
 */
export function fittedValues(state: OnlineModelState, blockIndex: number): Float64Array {
  const block = state.blocks[blockIndex]!;
  const window = state.window;
  const P = baselineWidth(state.season);
  const gaps = Float64Array.from(window, (r, t) => (t === 0 ? 1 : (r.start - window[t - 1]!.start) / state.bucketMs));
  const media = block.channels.map((c) =>
    mediaColumn(
      Float64Array.from(window, (r) => r.spend[c]! / state.spendScale[c]!),
      gaps,
      shapeFromLogits(state.shape.logitTheta[c]!, state.shape.logK[c]!, state.shape.logS[c]!),
      false,
    ).value,
  );
  const row = new Float64Array(P);
  return Float64Array.from(window, (r, t) => {
    writeBaselineRow(state.season, r.start, state.bucketMs, row, 0);
    let y = 0;
    for (let p = 0; p < P; p++) y += row[p]! * block.mean[p]!;
    media.forEach((h, j) => (y += h[t]! * block.mean[P + j]!));
    return y;
  });
}

/** Forgetting weights of the window rows (newest 1, halving every `halfLifeBuckets`). */
export function windowWeights(state: OnlineModelState, halfLifeBuckets: number): Float64Array {
  const last = state.window[state.window.length - 1]!.start;
  return Float64Array.from(state.window, (r) => Math.pow(0.5, (last - r.start) / state.bucketMs / halfLifeBuckets));
}

/** The baseline terms of a bucket written out from their definition (intercept, then sin/cos pairs). */
export function baselineTerms(season: readonly { periodMs: number; order: number }[], start: number, bucketMs: number): number[] {
  const mid = start + bucketMs / 2;
  const row = [1];
  for (const { periodMs, order } of season) {
    const fraction = (mid - Math.floor(mid / periodMs) * periodMs) / periodMs;
    for (let h = 1; h <= order; h++) row.push(Math.sin(2 * Math.PI * h * fraction), Math.cos(2 * Math.PI * h * fraction));
  }
  return row;
}
