/**
 * A step change: search's response falls to 60% from bucket 240 on (spend still varying ±50%),
 * watched for 96 more buckets, with the change detector on and off.
 *
 * Size of the change: 40% of search's ≈ 1 400 per bucket ≈ 550, against a predictive sd of
 * ≈ 160, i.e. a shift of ≈ 3.5 in standardised errors. A CUSUM with κ = 0.5 and h = 8 then needs
 * ≈ (h + 1.166)/(3.5 − κ) ≈ 3 buckets; the bound below (12) leaves room for noise and for the
 * model absorbing part of the shift into its estimates while the evidence builds up.
 */
import { describe, expect, it } from 'vitest';
import { updateOnlineModel } from '../../../../src/model/online/online-model.ts';
import { modelCurves } from '../../../../src/model/online/response.ts';
import type { DriftEvent, OnlineModelOptions } from '../../../../src/model/online/types.ts';
import { marginal, OPTIONS, runOnline } from './model-runs.ts';
import { CHANNELS, HOUR, syntheticBuckets, trueMarginal } from './synthetic.ts';

const CHANGE = 240;
const AFTER = 96;
const FACTOR = 0.6;
const MAX_DELAY = 12;
/** Recovery is scored from this many buckets after the change (time to detect and re-learn a little). */
const SCORE_FROM = 24;
const SEEDS = [1, 2, 3];
const search = CHANNELS[0]!;
const newTruth = FACTOR * trueMarginal(search, search.reference);

/**
 * Runs the market up to the change once (with detection on: before the change nothing differs
 * but the CUSUM's own state, asserted below), then carries on from that state twice: with
 * detection on, and with it off.
 */
function scenario(seed: number) {
  const buckets = syntheticBuckets({ seed, buckets: CHANGE + AFTER, factor: (c, t) => (c === 'search' && t >= CHANGE ? FACTOR : 1) });
  const before = runOnline(buckets.slice(0, CHANGE));
  const carryOn = (enabled: boolean) => {
    const options: OnlineModelOptions = { ...OPTIONS, drift: { ...OPTIONS.drift, enabled } };
    let state = before.state;
    const marginals: number[] = [];
    const alarms: { t: number; event: DriftEvent; block: number }[] = [];
    buckets.slice(CHANGE).forEach((bucket, i) => {
      const next = updateOnlineModel(state, bucket, options);
      state = next.state;
      for (const d of next.report.detected) alarms.push({ t: CHANGE + i, event: d.event, block: d.block });
      marginals.push(marginal(modelCurves(state).search!, search.reference));
    });
    const after = marginals.slice(SCORE_FROM);
    const error = after.reduce((s, m) => s + Math.abs(m / newTruth - 1), 0) / after.length;
    return { buckets, state, alarms, marginals, error };
  };
  return { before, on: carryOn(true), off: carryOn(false) };
}

const runs = SEEDS.map((seed) => ({ seed, ...scenario(seed) }));

describe('a step change in one channel (search × 0.6)', () => {
  it('is detected within a few buckets, with an onset near the change and direction down', () => {
    for (const { seed, before, on } of runs) {
      expect(before.reports.flatMap((r) => r.detected), `seed ${seed}: false alarm before the change`).toEqual([]);
      const first = on.alarms[0];
      expect(first, `seed ${seed}: no alarm`).toBeDefined();
      const { t, event, block } = first!;
      expect(block).toBe(0);
      expect(t - CHANGE, `seed ${seed}`).toBeLessThanOrEqual(MAX_DELAY);
      expect(event.direction).toBe('down');
      expect(event.detectedAt).toBe(on.buckets[t]!.start);
      // The CUSUM run may start a little before the change by chance, never after the alarm.
      expect(event.onset).toBeGreaterThanOrEqual(on.buckets[CHANGE]!.start - MAX_DELAY * HOUR);
      expect(event.onset).toBeLessThanOrEqual(event.detectedAt);
      expect(event.statistic).toBeGreaterThan(OPTIONS.drift.threshold);
      // Revenue came out below the prediction: about 0.4 × search's share of revenue (≈ 12%).
      expect(event.shift).toBeLessThan(0);
      expect(event.shift).toBeGreaterThan(-0.4);
    }
  });

  it('is attributed to search (possibly with other components)', () => {
    for (const { seed, on } of runs) {
      const event: DriftEvent = on.alarms[0]!.event;
      expect(event.components, `seed ${seed}`).toContain('search');
      expect(event.jumpVariance.length).toBe(event.components.length);
      expect(event.before.length).toBe(event.components.length);
      for (const v of event.jumpVariance) expect(v).toBeGreaterThan(0);
    }
  });

  it('stays in the state while its onset is in the window, and settles after quiet buckets', () => {
    for (const { seed, on } of runs) {
      const events = on.state.blocks[0]!.drift.events;
      expect(events.length, `seed ${seed}`).toBe(on.alarms.length);
      expect(on.state.blocks[0]!.drift.detections).toBe(on.alarms.length);
      const last = events.at(-1)!;
      // 96 buckets after the change: the re-learnt response should have gone quiet by now, and
      // settling needs 24 consecutive quiet buckets after the last alarm.
      expect(last.settledAt, `seed ${seed}`).not.toBeNull();
      expect(last.settledAt!).toBeGreaterThanOrEqual(last.detectedAt + 24 * HOUR);
    }
  });

  it('raises nothing with detection off', () => {
    for (const { off } of runs) {
      expect(off.alarms).toEqual([]);
      expect(off.state.blocks[0]!.drift.events).toEqual([]);
    }
  });

  it("re-learns search's marginal ROI much faster than forgetting alone", () => {
    // Mean relative error of search's marginal ROI against the new truth, buckets 24–95 after the
    // change. "Much faster": at most half the error of the model without change detection
    // (half-life 168 buckets), on average over the seeds, and better on each seed.
    for (const { seed, on, off } of runs) expect(on.error, `seed ${seed}`).toBeLessThan(off.error);
    const mean = (key: 'on' | 'off') => runs.reduce((s, r) => s + r[key].error, 0) / runs.length;
    expect(mean('on')).toBeLessThan(0.5 * mean('off'));
    // And the model with detection ends near the new truth (its sd there is ≈ 10–15%).
    for (const { seed, on } of runs) expect(Math.abs(on.marginals.at(-1)! / newTruth - 1), `seed ${seed}`).toBeLessThan(0.3);
  });
});
