/**
 * bucketHistory / lastBucketRecord: what the model predicted for each window bucket before it
 * absorbed it. Cross-checked three ways: against the stored innovations (the definition), against
 * a recomputation from the state before the update (its coefficients and shapes, without the
 * innovations), and against the public forecast (forecastRevenue) of that earlier state.
 */
import { describe, expect, it } from 'vitest';
import { choleskyFactor, inverseQuadraticForm } from '../../../../src/model/linear-algebra.ts';
import { bucketHistory, lastBucketRecord } from '../../../../src/model/online/history.ts';
import { createOnlineModel } from '../../../../src/model/online/online-model.ts';
import { channelShape, forecastRevenue, Z90 } from '../../../../src/model/online/response.ts';
import type { ModelBucket, OnlineModelState } from '../../../../src/model/online/types.ts';
import { design, frameOf, mediaOf, type ShapeWork } from '../../../../src/model/online/window-fit.ts';
import { OPTIONS, runOnline, specOf } from './model-runs.ts';
import { CHANNELS, syntheticBuckets, syntheticMarket } from './synthetic.ts';

/** Every state of a run, index t = after bucket t (and the state before the first). */
function states(buckets: readonly ModelBucket[], spec = specOf(), options = OPTIONS): OnlineModelState[] {
  const out: OnlineModelState[] = [createOnlineModel(spec, options)];
  runOnline(buckets, options, spec, (s) => out.push(s));
  return out;
}

/**
 * The one-step-ahead forecast of the last row of `after.window`, recomputed from `before` (the
 * state that had not seen it): its shapes (the update scores with `nextShape`), its coefficients
 * and information, summed over the blocks. In money.
 */
function forecastFromBefore(before: OnlineModelState, after: OnlineModelState): { mean: number; sd: number } | null {
  const frame = frameOf(before, after.window, OPTIONS);
  const shape: ShapeWork = { ...before.nextShape, logitTheta: [...before.nextShape.logitTheta], logK: [...before.nextShape.logK], logS: [...before.nextShape.logS], covariance: [], betaCross: [], betaExtraVariance: [] };
  const media = mediaOf(before, frame, shape, false);
  const last = frame.rows - 1;
  let mean = 0;
  let variance = 0;
  for (const block of before.blocks) {
    const { matrix, width } = design(frame, media, block);
    if (block.mean.length !== width) return null;
    const factor = choleskyFactor(block.information, width);
    if (factor === null) return null;
    const z = Float64Array.from({ length: width }, (_, j) => matrix[j * frame.rows + last]!);
    mean += z.reduce((s, v, j) => s + v * block.mean[j]!, 0);
    variance += block.noiseVariance * (1 + inverseQuadraticForm(factor, z, width));
  }
  return { mean: mean * before.revenueScale, sd: Math.sqrt(variance) * before.revenueScale };
}

/** Normalised geometric adstock of channel c at the window's last row, in money. */
function adstock(state: OnlineModelState, c: number, theta: number): number {
  let a = state.window[0]!.spend[c]!;
  for (let t = 1; t < state.window.length; t++) {
    const gap = (state.window[t]!.start - state.window[t - 1]!.start) / state.bucketMs;
    a = theta ** gap * a + (1 - theta) * state.window[t]!.spend[c]!;
  }
  return a;
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

describe('bucketHistory: the predicted mean is the one-step-ahead forecast', () => {
  const buckets = syntheticBuckets({ seed: 11, buckets: 120 });
  const run = states(buckets);
  const final = run.at(-1)!;

  it('equals revenue − Σ_blocks innovation · revenueScale on every window row', () => {
    const history = bucketHistory(final);
    expect(history).toHaveLength(final.window.length);
    history.forEach((r, t) => {
      if (r.predicted === null) return;
      const innovation = final.blocks.reduce((s, b) => s + b.innovations[t]!, 0);
      expect(r.predicted.mean).toBeCloseTo(final.window[t]!.revenue - innovation * final.revenueScale, 9);
    });
    expect(history.filter((r) => r.predicted !== null).length).toBe(history.length - 1);
  });

  it('matches the forecast recomputed from the state before the bucket, mean and 90% interval', () => {
    let compared = 0;
    for (let t = 1; t < buckets.length; t++) {
      const record = lastBucketRecord(run[t + 1]!)!;
      const expected = forecastFromBefore(run[t]!, run[t + 1]!);
      expect(expected, `bucket ${t}`).not.toBeNull();
      expect(record.predicted, `bucket ${t}`).not.toBeNull();
      expect(relative(record.predicted!.mean, expected!.mean), `bucket ${t}`).toBeLessThan(1e-9);
      expect(relative(record.predicted!.high, expected!.mean + Z90 * expected!.sd), `bucket ${t}`).toBeLessThan(1e-9);
      expect(relative(record.predicted!.low, Math.max(0, expected!.mean - Z90 * expected!.sd)), `bucket ${t}`).toBeLessThan(1e-9);
      compared++;
    }
    expect(compared).toBe(buckets.length - 1);
  });

  it('is the earlier state\'s forecastRevenue at the bucket\'s (adstocked) spend', () => {
    // Constant spend: adstock equals spend, so the steady-state forecast at the bucket's spend
    // (with the shapes the update scored with) is the one-step-ahead forecast itself.
    const steady = syntheticBuckets({ seed: 5, buckets: 60, spread: 0 });
    const steadyRun = states(steady);
    for (let t = 1; t < steady.length; t++) {
      const before = steadyRun[t]!;
      const scoredWith = { ...before, shape: { ...before.shape, ...before.nextShape } };
      const forecast = forecastRevenue(scoredWith, steady[t]!.spend, steady[t]!.start, false).total.mean;
      expect(relative(lastBucketRecord(steadyRun[t + 1]!)!.predicted!.mean, forecast), `bucket ${t}`).toBeLessThan(1e-9);
    }
    // Varying spend: the same forecast at the bucket's adstocked spend (each channel's geometric
    // adstock over the window, with the decay the update scored with).
    for (let t = 1; t < buckets.length; t++) {
      const before = run[t]!;
      const after = run[t + 1]!;
      const scoredWith = { ...before, shape: { ...before.shape, ...before.nextShape } };
      const adstocked = Object.fromEntries(before.channels.map((id, c) => [id, adstock(after, c, channelShape(scoredWith, c).theta)]));
      const forecast = forecastRevenue(scoredWith, adstocked, buckets[t]!.start, false).total.mean;
      expect(relative(lastBucketRecord(after)!.predicted!.mean, forecast), `bucket ${t}`).toBeLessThan(1e-9);
      // Without adstock the earlier state's forecast at the bucket's own spend is merely close.
      expect(relative(lastBucketRecord(after)!.predicted!.mean, forecastRevenue(before, buckets[t]!.spend, buckets[t]!.start, false).total.mean)).toBeLessThan(0.25);
    }
  });

  it('sums the blocks when channels are modelled on attributed revenue', () => {
    const spec = specOf(CHANNELS, ['social']);
    const market = syntheticMarket({ seed: 8, buckets: 60, attributed: { social: 0.6 } });
    const twoBlocks = states(market.buckets, spec);
    expect(twoBlocks.at(-1)!.blocks).toHaveLength(2);
    for (let t = 1; t < market.buckets.length; t++) {
      const expected = forecastFromBefore(twoBlocks[t]!, twoBlocks[t + 1]!)!;
      expect(relative(lastBucketRecord(twoBlocks[t + 1]!)!.predicted!.mean, expected.mean), `bucket ${t}`).toBeLessThan(1e-9);
    }
  });
});

describe('bucketHistory records', () => {
  const buckets = syntheticBuckets({ seed: 2, buckets: 50, noise: 0.3 });
  const run = states(buckets);
  const final = run.at(-1)!;

  it('the interval contains the mean and never goes below 0; spend is by channel id', () => {
    for (const r of bucketHistory(final)) {
      if (r.predicted === null) continue;
      expect(r.predicted.low).toBeGreaterThanOrEqual(0);
      expect(r.predicted.low).toBeLessThanOrEqual(r.predicted.mean);
      expect(r.predicted.high).toBeGreaterThan(r.predicted.mean);
    }
    const last = lastBucketRecord(final)!;
    expect(last.start).toBe(buckets.at(-1)!.start);
    expect(last.revenue).toBe(buckets.at(-1)!.revenue);
    expect(last.spend).toEqual(buckets.at(-1)!.spend);
    // A tiny revenue forecast with a wide interval: the low end is cut at 0.
    const shrunk: OnlineModelState = { ...final, blocks: final.blocks.map((b) => ({ ...b, innovationSd: b.innovationSd.map((sd) => (sd === null ? null : sd * 1e6)) })) };
    expect(bucketHistory(shrunk).filter((r) => r.predicted !== null).every((r) => r.predicted!.low === 0)).toBe(true);
  });

  it('limit: the latest buckets, oldest first', () => {
    const starts = final.window.map((r) => r.start);
    expect(bucketHistory(final, 5).map((r) => r.start)).toEqual(starts.slice(-5));
    expect(bucketHistory(final, 1).map((r) => r.start)).toEqual([starts.at(-1)]);
    expect(bucketHistory(final, 2.9).map((r) => r.start)).toEqual(starts.slice(-2));
    expect(bucketHistory(final, 10_000)).toHaveLength(starts.length);
    expect(bucketHistory(final)).toHaveLength(starts.length);
    expect(bucketHistory(final, 0)).toEqual([]);
    expect(bucketHistory(final, -3)).toEqual([]);
  });

  it('predicted is null before the model can predict; nothing at all before the first bucket', () => {
    expect(bucketHistory(run[0]!)).toEqual([]);
    expect(lastBucketRecord(run[0]!)).toBeNull();
    expect(lastBucketRecord(run[1]!)!.predicted).toBeNull();
    expect(lastBucketRecord(run[2]!)!.predicted).not.toBeNull();
    // The first bucket keeps its null while it is in the window.
    expect(bucketHistory(final)[0]!.predicted).toBeNull();
  });

  it('the first bucket\'s null leaves with it once the window is full', () => {
    const options = { ...OPTIONS, windowBuckets: 10 };
    const small = states(syntheticBuckets({ seed: 4, buckets: 15 }), specOf(), options).at(-1)!;
    expect(small.window).toHaveLength(10);
    expect(bucketHistory(small).every((r) => r.predicted !== null)).toBe(true);
  });
});
