import { describe, expect, it } from 'vitest';
import { ATTRIBUTION_MARGIN, attributeShift, CUSUM_REFERENCE, cusumStep, initialDriftState } from '../../../../src/model/online/drift.ts';
import type { DriftEvent, DriftState } from '../../../../src/model/online/types.ts';
import { seededRandom } from '../../../../src/random.ts';

/** Feeds errors e_i at starts i (1, 2, …); returns the states and the index of every alarm. */
function run(errors: readonly number[], threshold: number, from: DriftState = initialDriftState()) {
  let state = from;
  const states: DriftState[] = [];
  const alarms: { at: number; direction: 'up' | 'down'; onset: number; statistic: number }[] = [];
  errors.forEach((e, i) => {
    const step = cusumStep(state, e, i + 1, threshold);
    state = step.state;
    states.push(state);
    if (step.alarm) alarms.push({ at: i + 1, ...step.alarm });
  });
  return { state, states, alarms };
}

describe('cusumStep', () => {
  it('accumulates e − κ and alarms once the sum exceeds the threshold', () => {
    // e = 1.5 adds 1.5 − κ = 1 per step: S = 1, 2, 3 (not above 3), then 4 > 3.
    expect(CUSUM_REFERENCE).toBe(0.5);
    const { states, alarms } = run([1.5, 1.5, 1.5, 1.5], 3);
    expect(states.slice(0, 3).map((s) => s.upper)).toEqual([1, 2, 3]);
    expect(states.slice(0, 3).map((s) => s.lower)).toEqual([0, 0, 0]);
    expect(alarms).toEqual([{ at: 4, direction: 'up', onset: 1, statistic: 4 }]);
  });

  it('alarms downwards on negative errors, with the lower statistic', () => {
    const { states, alarms } = run([-2, -2, -2], 4);
    expect(states.slice(0, 2).map((s) => s.lower)).toEqual([1.5, 3]);
    expect(alarms).toEqual([{ at: 3, direction: 'down', onset: 1, statistic: 4.5 }]);
  });

  it('dates the onset at the start of the run that alarmed, not earlier excursions', () => {
    // Upper run at 1 is wiped out at 2 (1.5 + (−2) − 0.5 < 0); the alarming run starts at 3.
    const { states, alarms } = run([2, -2, 1.5, 1.5, 1.5, 1.5], 3.5);
    expect(states[0]!.upperSince).toBe(1);
    expect(states[1]!.upperSince).toBeNull();
    expect(states[1]!.lowerSince).toBe(2);
    expect(states[2]!.upperSince).toBe(3);
    expect(alarms).toEqual([{ at: 6, direction: 'up', onset: 3, statistic: 4 }]);
  });

  it('resets after an alarm and counts it', () => {
    const { state, alarms } = run([3, 3, 3, 3, 3, 3], 4);
    // S = 2.5, 5 → alarm at 2; restart: 2.5, 5 → alarm at 4; again at 6.
    expect(alarms.map((a) => [a.at, a.onset])).toEqual([[2, 1], [4, 3], [6, 5]]);
    expect(state).toMatchObject({ upper: 0, lower: 0, upperSince: null, lowerSince: null, quiet: 0, detections: 3 });
  });

  it('stays at 0 for errors within ±κ', () => {
    const { state, alarms } = run(Array.from({ length: 200 }, (_, i) => 0.5 * Math.sin(i)), 1);
    expect(alarms).toEqual([]);
    expect(state.upper).toBe(0);
    expect(state.lower).toBe(0);
    expect(state.quiet).toBe(200);
  });

  it('counts consecutive quiet buckets (both sums below half the threshold) and restarts the count', () => {
    // threshold 8: quiet while max(S⁺, S⁻) < 4.
    const { states } = run([0, 0, 2.5, 2.5, 0, -1, -1, -1, 0], 8);
    // S⁻: 0, 0, 0, 0, 0, 0.5, 1, 1.5, 1 — below 4 throughout; S⁺ reaches 4 at the fourth step.
    expect(states.map((s) => s.upper)).toEqual([0, 0, 2, 4, 3.5, 2, 0.5, 0, 0]);
    expect(states.map((s) => s.quiet)).toEqual([1, 2, 3, 0, 1, 2, 3, 4, 5]);
  });

  it('keeps the events and detections it was given', () => {
    const event = { onset: 0 } as unknown as DriftEvent;
    const from: DriftState = { ...initialDriftState(), events: [event], detections: 7 };
    const { state } = run([0.1, 9], 5, from);
    expect(state.events).toEqual([event]);
    expect(state.detections).toBe(8);
  });
});

describe('attributeShift', () => {
  const random = seededRandom(41);
  const n = 60;
  const varying = Array.from({ length: n }, () => 0.2 + 0.6 * random.next());
  const other = Array.from({ length: n }, () => 0.2 + 0.6 * random.next());
  const noise = Array.from({ length: n }, () => 0.3 * random.normal());

  it('blames the channel whose regressor explains the errors when its spend varied', () => {
    // The channel lost 3 units of β: e_t = −3·h_t + noise.
    const errors = varying.map((h, t) => -3 * h + noise[t]!);
    const candidates = [
      { name: 'baseline', values: varying.map(() => 1) },
      { name: 'search', values: varying },
      { name: 'social', values: other },
    ];
    // The test is only meaningful if the scores are far enough apart: check that independently.
    const score = (values: readonly number[]) => {
      const cross = values.reduce((s, g, t) => s + g * errors[t]!, 0);
      return (cross * cross) / values.reduce((s, g) => s + g * g, 0);
    };
    const scores = candidates.map((c) => score(c.values));
    expect(scores[1]! - Math.max(scores[0]!, scores[2]!)).toBeGreaterThan(ATTRIBUTION_MARGIN);
    expect(attributeShift(errors, candidates)).toEqual(['search']);
  });

  it('blames the baseline for a level shift', () => {
    const errors = noise.map((e) => 2 + e);
    const candidates = [
      { name: 'baseline', values: varying.map(() => 1) },
      { name: 'search', values: varying },
    ];
    expect(attributeShift(errors, candidates)).toEqual(['baseline']);
  });

  it('blames every candidate that cannot be told apart when spend was constant', () => {
    const errors = noise.map((e) => -1.5 + e);
    const constant = varying.map(() => 0.45);
    const candidates = [
      { name: 'baseline', values: varying.map(() => 1) },
      { name: 'search', values: constant },
      { name: 'social', values: varying.map(() => 0.8) },
    ];
    expect(attributeShift(errors, candidates)).toEqual(['baseline', 'search', 'social']);
  });

  it('applies the margin on the χ² scores: within ATTRIBUTION_MARGIN of the best is blamed, beyond is not', () => {
    // errors (4, 0) and regressor (1, x): score = (4·1)² / (1 + x²) = 16 / (1 + x²).
    expect(ATTRIBUTION_MARGIN).toBeGreaterThan(0);
    expect(ATTRIBUTION_MARGIN).toBeLessThan(15);
    const errors = [4, 0];
    const withScore = (name: string, score: number) => ({ name, values: [1, Math.sqrt(16 / score - 1)] });
    const best = { name: 'best', values: [1, 0] }; // 16
    const inside = withScore('inside', 16 - ATTRIBUTION_MARGIN + 0.01);
    const outside = withScore('outside', 16 - ATTRIBUTION_MARGIN - 0.01);
    expect(attributeShift(errors, [best, inside, outside])).toEqual(['best', 'inside']);
    expect(attributeShift(errors, [withScore('alone', 5)])).toEqual(['alone']);
  });

  it('ignores candidates with an all-zero regressor, and returns nothing when none is left', () => {
    const errors = [1, 2, 3];
    expect(attributeShift(errors, [{ name: 'idle', values: [0, 0, 0] }, { name: 'baseline', values: [1, 1, 1] }])).toEqual(['baseline']);
    expect(attributeShift(errors, [{ name: 'idle', values: [0, 0, 0] }])).toEqual([]);
    expect(attributeShift(errors, [])).toEqual([]);
  });
});
