/**
 * Parameter recovery on the synthetic market (whose truth is known): two weeks of hourly buckets
 * with every channel's spend varying uniformly within ±50% of its reference, 3% revenue noise.
 *
 * What is compared is the marginal ROI at the reference spend: the slope of the curve where the
 * data are. Spend never leaves [0.5, 1.5]× the reference, so the data pin the slope there but not
 * the curve's height above zero spend (β and k trade off along a ridge), and β itself is not a
 * fair target.
 */
import { describe, expect, it } from 'vitest';
import { fitOnlineModel, updateOnlineModel } from '../../../../src/model/online/online-model.ts';
import { betaSd, modelCurves, Z90 } from '../../../../src/model/online/response.ts';
import type { OnlineModelState } from '../../../../src/model/online/types.ts';
import { fittedValues, marginal, OPTIONS, runOnline, specOf, windowWeights, type Run } from './model-runs.ts';
import { CHANNELS, syntheticMarket, trueMarginal } from './synthetic.ts';

const SEEDS = [1, 2, 3, 4];
const BUCKETS = 336;
/** Allowed relative error of the well-measured channels' marginal ROI (see the test). */
const TOLERANCE = 0.2;

interface Estimate {
  readonly value: number;
  /** Relative sd of the marginal ROI: the reported sd of β over β (the slope is linear in β given the shape). */
  readonly relativeSd: number;
}

function marginalRois(state: OnlineModelState): Record<string, Estimate> {
  const curves = modelCurves(state);
  const sd = betaSd(state);
  return Object.fromEntries(CHANNELS.map((c) => [c.id, { value: marginal(curves[c.id]!, c.reference), relativeSd: sd[c.id]! / curves[c.id]!.beta }]));
}

/** Weighted RMSE of the state's own fit over its window, recomputed from its mean and shape (money). */
function windowRmse(state: OnlineModelState): number {
  const fitted = fittedValues(state, 0);
  const weight = windowWeights(state, OPTIONS.halfLifeBuckets);
  let sse = 0;
  let total = 0;
  state.window.forEach((r, t) => {
    const residual = r.revenue / state.revenueScale - fitted[t]!;
    sse += weight[t]! * residual * residual;
    total += weight[t]!;
  });
  return Math.sqrt(sse / total) * state.revenueScale;
}

const runs = SEEDS.map((seed) => {
  const market = syntheticMarket({ seed, buckets: BUCKETS });
  const online: Run = runOnline(market.buckets);
  return { seed, market, online, estimates: marginalRois(online.state) };
});

describe('online model on the synthetic market (336 hourly buckets, spend ±50%)', () => {
  it('recovers the marginal ROI of search and social at the reference spend within 20%', () => {
    // The reported relative sd of these two is ≈ 7–8% (asserted below), so 20% is ≈ 2.5 sd: a
    // miss means a bias, not bad luck.
    for (const { seed, estimates } of runs) {
      for (const channel of CHANNELS.slice(0, 2)) {
        const { value, relativeSd } = estimates[channel.id]!;
        expect(relativeSd, `${channel.id} seed ${seed}`).toBeLessThan(0.1);
        const error = value / trueMarginal(channel, channel.reference) - 1;
        expect(Math.abs(error), `${channel.id} seed ${seed}: ${value}`).toBeLessThan(TOLERANCE);
      }
    }
  });

  it('covers the true marginal ROI with its 90% interval for most channel × seed pairs', () => {
    // 12 intervals at nominal 90%: 10.8 expected inside; ask for at least 10. (The intervals
    // condition on the learnt shape, so they can only be somewhat too narrow, never wider.)
    let inside = 0;
    for (const { estimates } of runs) {
      for (const channel of CHANNELS) {
        const { value, relativeSd } = estimates[channel.id]!;
        const truth = trueMarginal(channel, channel.reference);
        if (Math.abs(value - truth) <= Z90 * relativeSd * value) inside++;
      }
    }
    expect(inside).toBeGreaterThanOrEqual(10);
  });

  it('says that the small display channel is poorly measured', () => {
    // Display's response (≈ 300 of ≈ 4700 per bucket) moves by ±60 when its spend swings ±50%,
    // against noise of ≈ 140: its estimate may be far off (up to ≈ 60% on some seeds), so the
    // honest requirement is a wide interval that still holds the truth.
    for (const { seed, estimates } of runs) {
      const display = estimates.display!;
      expect(display.relativeSd, `seed ${seed}`).toBeGreaterThan(2.5 * estimates.search!.relativeSd);
      const truth = trueMarginal(CHANNELS[2]!, CHANNELS[2]!.reference);
      expect(Math.abs(display.value - truth), `seed ${seed}`).toBeLessThanOrEqual(Z90 * display.relativeSd * display.value);
    }
  });

  it('fits the window down to the noise, and reports that RMSE', () => {
    for (const { seed, market, online } of runs) {
      const { state, reports } = online;
      const rmse = windowRmse(state);
      expect(reports.at(-1)!.rmse).toBeCloseTo(rmse, 6);
      // The noise's own weighted RMS over the window (3% of the noiseless revenue). The fitted
      // model uses ≈ 14 of ≈ 182 effective rows, so its in-sample RMSE sits ≈ 4% below the noise.
      const weight = windowWeights(state, OPTIONS.halfLifeBuckets);
      const expected = market.expected.slice(-state.window.length);
      const noise = Math.sqrt(expected.reduce((s, m, t) => s + weight[t]! * (0.03 * m) ** 2, 0) / weight.reduce((s, w) => s + w, 0));
      expect(rmse / noise, `seed ${seed}`).toBeGreaterThan(0.85);
      expect(rmse / noise, `seed ${seed}`).toBeLessThan(1.05);
    }
  });
});

describe('fitOnlineModel (batch fit from scratch) on the same data', () => {
  // Comparable = the same marginal ROIs (within half a posterior sd of the online estimate), the
  // same posterior sds (within 5%), and an in-sample RMSE no worse than the online fit's + 1%.
  // 100 Gauss–Newton steps from the prior: the shape steps are capped at 0.1 in log units.
  const batches = runs.map(({ market }) => fitOnlineModel(specOf(), market.buckets, OPTIONS, 100));

  it('reaches the same marginal ROIs and uncertainty as the online updates', () => {
    runs.forEach(({ seed, estimates }, i) => {
      const batch = marginalRois(batches[i]!);
      for (const channel of CHANNELS) {
        const online = estimates[channel.id]!;
        const other = batch[channel.id]!;
        expect(Math.abs(other.value - online.value), `${channel.id} seed ${seed}`).toBeLessThan(0.5 * online.relativeSd * online.value);
        expect(Math.abs(other.relativeSd / online.relativeSd - 1), `${channel.id} seed ${seed}`).toBeLessThan(0.05);
      }
      for (const channel of CHANNELS.slice(0, 2)) {
        expect(Math.abs(batch[channel.id]!.value / trueMarginal(channel, channel.reference) - 1)).toBeLessThan(TOLERANCE);
      }
    });
  });

  it('fits the window at least as well as the online updates', () => {
    runs.forEach(({ seed, online }, i) => {
      const batch = batches[i]!;
      expect(batch.window.length).toBe(BUCKETS);
      expect(windowRmse(batch), `seed ${seed}`).toBeLessThan(1.01 * windowRmse(online.state));
    });
  });

  it('returns a state the online updates can carry on from', () => {
    const batch = batches[0]!;
    expect(batch.updates).toBe(BUCKETS);
    expect(batch.lastBucket).toBe(runs[0]!.market.buckets.at(-1)!.start);
    for (const block of batch.blocks) expect(block.innovations.length).toBe(BUCKETS);
    const next = syntheticMarket({ seed: 1, buckets: BUCKETS + 1 }).buckets.at(-1)!;
    const { state, report } = updateOnlineModel(batch, next, OPTIONS);
    expect(state.window.length).toBe(OPTIONS.windowBuckets);
    expect(state.updates).toBe(BUCKETS + 1);
    // The bucket is predicted by the batch fit: a standardised error of ordinary size.
    expect(Math.abs(report.error!)).toBeLessThan(4);
  });
});
