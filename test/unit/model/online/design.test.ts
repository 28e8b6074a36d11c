import { describe, expect, it } from 'vitest';
import {
  baselineWidth,
  mediaColumn,
  seasonalityFor,
  shapeFromLogits,
  steadyHill,
  writeBaselineRow,
  type ChannelShape,
} from '../../../../src/model/online/design.ts';
import { createOnlineModel } from '../../../../src/model/online/online-model.ts';
import type { OnlineModelOptions, WindowRow } from '../../../../src/model/online/types.ts';
import { frameOf } from '../../../../src/model/online/window-fit.ts';
import { seededRandom, type Random } from '../../../../src/random.ts';
import { baselineTerms } from './model-runs.ts';
import { HOUR, START } from './synthetic.ts';

const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
const YEAR = 365.25 * DAY;

/** Spend with zeros sprinkled in, and gaps of 1–4 buckets between rows. */
function randomWindow(random: Random, n: number): { spend: Float64Array; gaps: Float64Array } {
  const spend = Float64Array.from({ length: n }, (_, t) => (t > 0 && random.next() < 0.15 ? 0 : 0.2 + 2 * random.next()));
  const gaps = Float64Array.from({ length: n }, (_, t) => (t === 0 ? 1 : 1 + random.int(4)));
  return { spend, gaps };
}

function randomLogits(random: Random): [number, number, number] {
  return [-3 + 5 * random.next(), Math.log(0.3 + 2 * random.next()), Math.log(0.5 + 2.5 * random.next())];
}

const valueAt = (spend: Float64Array, gaps: Float64Array, logits: readonly [number, number, number]): Float64Array =>
  mediaColumn(spend, gaps, shapeFromLogits(logits[0], logits[1], logits[2]), false).value;

describe('mediaColumn', () => {
  it('derivatives match central finite differences in logit θ, ln k and ln s', () => {
    const random = seededRandom(21);
    const h = 1e-5;
    for (let trial = 0; trial < 8; trial++) {
      const { spend, gaps } = randomWindow(random, 40);
      const logits = randomLogits(random);
      const column = mediaColumn(spend, gaps, shapeFromLogits(...logits), true);
      const analytic = [column.dLogitTheta!, column.dLogK!, column.dLogS!];
      for (let p = 0; p < 3; p++) {
        const up: [number, number, number] = [...logits];
        const down: [number, number, number] = [...logits];
        up[p]! += h;
        down[p]! -= h;
        const plus = valueAt(spend, gaps, up);
        const minus = valueAt(spend, gaps, down);
        for (let t = 0; t < spend.length; t++) {
          const numeric = (plus[t]! - minus[t]!) / (2 * h);
          // Central differences are O(h²) ≈ 1e-10 accurate here; rounding adds ≈ 1e-16/h.
          expect(Math.abs(analytic[p]![t]! - numeric), `trial ${trial} parameter ${p} row ${t}`).toBeLessThan(1e-7 + 1e-5 * Math.abs(numeric));
        }
      }
      // The θ derivative must be exercised: somewhere it is clearly non-zero.
      expect(Math.max(...analytic[0]!.map(Math.abs))).toBeGreaterThan(1e-3);
    }
  });

  it('treats a gap of g buckets as g − 1 buckets of zero spend', () => {
    const random = seededRandom(22);
    const { spend, gaps } = randomWindow(random, 30);
    const shape = shapeFromLogits(...randomLogits(random));
    // Expand: insert the missing buckets explicitly with zero spend and unit gaps.
    const expanded: number[] = [];
    const position: number[] = [];
    for (let t = 0; t < spend.length; t++) {
      if (t > 0) for (let m = 1; m < gaps[t]!; m++) expanded.push(0);
      position.push(expanded.length);
      expanded.push(spend[t]!);
    }
    const dense = mediaColumn(Float64Array.from(expanded), new Float64Array(expanded.length).fill(1), shape, false).value;
    const sparse = mediaColumn(spend, gaps, shape, false).value;
    position.forEach((at, t) => expect(sparse[t]).toBeCloseTo(dense[at]!, 13));
  });

  it('follows the written recursion a_t = θ^g·a_{t−1} + (1 − θ)·x_t, a_0 = x_0, h = aˢ/(aˢ + kˢ)', () => {
    const spend = Float64Array.from([2, 0, 1, 3]);
    const gaps = Float64Array.from([1, 1, 2, 3]);
    const shape: ChannelShape = { theta: 0.5, k: 1, s: 2 };
    const a = [2, 1, 0.25 + 0.5, 0.125 * 0.75 + 1.5];
    const expected = a.map((v) => (v * v) / (v * v + 1));
    const value = mediaColumn(spend, gaps, shape, false).value;
    expected.forEach((e, t) => expect(value[t]).toBeCloseTo(e, 14));
  });

  it('gives adstock = spend and value = steadyHill under constant spend (no missing buckets)', () => {
    const random = seededRandom(23);
    for (let trial = 0; trial < 5; trial++) {
      const x = 0.1 + 3 * random.next();
      const shape = shapeFromLogits(...randomLogits(random));
      const gaps = new Float64Array(25).fill(1);
      const column = mediaColumn(new Float64Array(25).fill(x), gaps, shape, true);
      const hill = Math.pow(x, shape.s) / (Math.pow(x, shape.s) + Math.pow(shape.k, shape.s));
      expect(steadyHill(x, shape)).toBeCloseTo(hill, 14);
      for (let t = 0; t < 25; t++) {
        expect(column.value[t]).toBeCloseTo(hill, 12);
        // Constant adstock does not depend on θ.
        expect(Math.abs(column.dLogitTheta![t]!)).toBeLessThan(1e-12);
      }
    }
  });

  it('gives 0 and finite derivatives for zero spend', () => {
    const shape = shapeFromLogits(0.3, Math.log(1.2), Math.log(1.5));
    const column = mediaColumn(new Float64Array(10), Float64Array.from([1, 1, 2, 1, 5, 1, 1, 1, 1, 1]), shape, true);
    for (const values of [column.value, column.dLogitTheta!, column.dLogK!, column.dLogS!]) {
      for (const v of values) expect(v).toBe(0);
    }
    expect(steadyHill(0, shape)).toBe(0);
    expect(steadyHill(-1, shape)).toBe(0);
  });

  it('leaves the derivatives out unless asked', () => {
    const column = mediaColumn(Float64Array.from([1, 2]), Float64Array.from([1, 1]), { theta: 0.3, k: 1, s: 1 }, false);
    expect(column.dLogitTheta).toBeUndefined();
    expect(column.dLogK).toBeUndefined();
    expect(column.dLogS).toBeUndefined();
  });
});

describe('shapeFromLogits', () => {
  it('maps logit θ, ln k, ln s back to θ, k, s', () => {
    const shape = shapeFromLogits(Math.log(0.2 / 0.8), Math.log(3), Math.log(0.7));
    expect(shape.theta).toBeCloseTo(0.2, 14);
    expect(shape.k).toBeCloseTo(3, 14);
    expect(shape.s).toBeCloseTo(0.7, 14);
  });
});

describe('writeBaselineRow', () => {
  const season = seasonalityFor(HOUR, 24 * 400);

  it('writes an intercept and the sine/cosine terms of the bucket middle', () => {
    for (const start of [START, START + 5 * HOUR, START + 123 * DAY + 7 * HOUR, -3 * DAY + HOUR]) {
      const out = new Float64Array(baselineWidth(season));
      writeBaselineRow(season, start, HOUR, out, 0);
      baselineTerms(season, start, HOUR).forEach((e, j) => expect(out[j], `start ${start} term ${j}`).toBeCloseTo(e, 9));
    }
  });

  it('depends only on the bucket start (not on the offset or what the buffer held)', () => {
    const width = baselineWidth(season);
    const a = new Float64Array(width);
    const b = new Float64Array(width + 5).fill(Number.NaN);
    writeBaselineRow(season, START + 77 * HOUR, HOUR, a, 0);
    writeBaselineRow(season, START + 77 * HOUR, HOUR, b, 5);
    expect([...b.subarray(5)]).toEqual([...a]);
  });

  it('repeats each cycle after its period', () => {
    const daily = [{ periodMs: DAY, order: 3 }];
    const weekly = [{ periodMs: DAY, order: 3 }, { periodMs: WEEK, order: 2 }];
    const row = (blocks: typeof daily, start: number) => {
      const out = new Float64Array(baselineWidth(blocks));
      writeBaselineRow(blocks, start, HOUR, out, 0);
      return [...out];
    };
    const t = START + 13 * HOUR;
    row(daily, t + 9 * DAY).forEach((v, j) => expect(v).toBeCloseTo(row(daily, t)[j]!, 9));
    row(weekly, t + 3 * WEEK).forEach((v, j) => expect(v).toBeCloseTo(row(weekly, t)[j]!, 9));
    // A day later the weekly terms have moved (so the comparison above is not vacuous).
    expect(Math.abs(row(weekly, t + DAY)[7]! - row(weekly, t)[7]!)).toBeGreaterThan(0.1);
  });

  it('gives a bucket the same row whatever window it sits in (frameOf)', () => {
    const options: OnlineModelOptions = {
      bucketMs: HOUR, windowBuckets: 336, halfLifeBuckets: 168, priorRoi: 1.5, priorPrecision: 1, shapeSteps: 1, drift: { enabled: false, threshold: 8 },
    };
    const state = createOnlineModel({ channels: ['a'], referenceSpend: { a: 1 } }, options);
    const row = (t: number): WindowRow => ({ start: START + t * HOUR, revenue: 1, spend: [1], attributed: [0] });
    const early = Array.from({ length: 30 }, (_, t) => row(t));
    const late = Array.from({ length: 30 }, (_, t) => row(t + 17));
    const P = baselineWidth(state.season);
    const first = frameOf(state, early, options);
    const second = frameOf(state, late, options);
    // Bucket 20 is row 20 of the first window and row 3 of the second.
    for (let p = 0; p < P; p++) expect(second.baseline[p * 30 + 3]).toBe(first.baseline[p * 30 + 20]);
  });
});

describe('seasonalityFor', () => {
  const periods = (bucketMs: number, windowBuckets: number) => seasonalityFor(bucketMs, windowBuckets).map((b) => b.periodMs);

  it('uses a cycle when it spans at least two buckets and at most the window', () => {
    expect(periods(HOUR, 23)).toEqual([]);
    expect(periods(HOUR, 24)).toEqual([DAY]);
    expect(periods(HOUR, 167)).toEqual([DAY]);
    expect(periods(HOUR, 168)).toEqual([DAY, WEEK]);
    expect(periods(HOUR, 336)).toEqual([DAY, WEEK]);
    expect(periods(HOUR, 24 * 365)).toEqual([DAY, WEEK]);
    expect(periods(HOUR, 24 * 366)).toEqual([DAY, WEEK, YEAR]);
    expect(periods(12 * HOUR, 2)).toEqual([DAY]);
    expect(periods(DAY, 7)).toEqual([WEEK]); // a day is not two daily buckets
    expect(periods(DAY, 400)).toEqual([WEEK, YEAR]);
    expect(periods(WEEK, 100)).toEqual([YEAR]);
  });

  it('uses orders 3 (daily), 2 (weekly) and 2 (yearly), and baselineWidth counts 1 + 2·Σ order', () => {
    const all = seasonalityFor(HOUR, 24 * 400);
    expect(all.map((b) => b.order)).toEqual([3, 2, 2]);
    expect(baselineWidth(all)).toBe(15);
    expect(baselineWidth(seasonalityFor(HOUR, 336))).toBe(11);
    expect(baselineWidth([])).toBe(1);
  });
});
