import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend } from '../../../../src/model/fit/backend.ts';
import { fitHistory, type HistoryFitOptions } from '../../../../src/model/fit/fit-history.ts';
import type { FitData } from '../../../../src/model/fit/types.ts';
import { MAX_LAG, simulate, WEEKS_PER_YEAR, type TrueChannel } from './simulate.ts';

const CHANNELS: readonly TrueChannel[] = [
  { name: 'tv', curve: { type: 'hill', beta: 60_000, k: 20_000, s: 1.5 }, theta: 0.5, meanSpend: 20_000, pattern: 'flighted' },
  { name: 'search', curve: { type: 'hill', beta: 40_000, k: 8_000, s: 1 }, theta: 0.2, meanSpend: 10_000, pattern: 'uniform' },
];
const OPTIONS: HistoryFitOptions = {
  seasonality: [{ period: WEEKS_PER_YEAR, order: 1 }],
  maxLag: MAX_LAG,
  cvSteps: 120,
  steps: 200,
  bootstrapSteps: 60,
  bootstrap: 5,
  grid: { adstock: ['geometric'], saturation: ['hill'], strength: [0.3, 3], theta: [0.2, 0.6], s: [1, 1.6] },
};

describe('fitHistory', () => {
  const sim = simulate({ seed: 5, weeks: 80, noise: 0.02, channels: CHANNELS });
  const data: FitData = { target: sim.target, spend: sim.spend };

  beforeAll(async () => {
    await ensureBackend();
  }, 60_000);

  it('runs cross-validation, hold-out, refit and bootstrap without leaking tensors, reporting progress to the end', async () => {
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const fit = await fitHistory(data, { ...OPTIONS, onProgress: (done, total) => progress.push(done / total) });
    expect(tf.memory().numTensors).toBe(before);
    expect(progress.at(-1)).toBe(1);
    expect(progress.every((p, i) => i === 0 || p >= (progress[i - 1] ?? 0))).toBe(true);
    expect(fit.crossValidation?.scores).toHaveLength(2);
    expect(fit.crossValidation?.members).toBe(2 * 4 * 3);
    expect(fit.ensemble).toHaveLength(5);
    expect(fit.model.periods).toBe(80);
    expect(fit.holdout).toMatchObject({ trainPeriods: 64, periods: 16 });
    expect(fit.holdout.r2).toBeGreaterThan(0.8);
    for (const channel of fit.model.channels) {
      const roi = fit.uncertainty?.channels[channel.name]?.roi;
      expect(roi).toBeDefined();
      expect(roi!.lower).toBeLessThanOrEqual(roi!.upper);
      // Warm-started from the saved model, the bootstrap members scatter around it.
      expect(channel.roi).toBeGreaterThan(0.5 * roi!.lower);
      expect(channel.roi).toBeLessThan(2 * roi!.upper);
    }
  }, 120_000);

  it('never looks at the hold-out before scoring it: changing the held-out revenue changes only the hold-out scores', async () => {
    const options = { ...OPTIONS, refit: false, bootstrap: 0 };
    const changed: FitData = { ...data, target: Float64Array.from(data.target, (v, t) => (t >= 64 ? 3 * v : v)) };
    const [a, b] = [await fitHistory(data, options), await fitHistory(changed, options)];
    expect(b.crossValidation).toEqual(a.crossValidation);
    expect(b.chosen).toEqual(a.chosen);
    expect(b.trainModel.channels.map((c) => c.curve)).toEqual(a.trainModel.channels.map((c) => c.curve));
    expect(b.trainModel.intercept).toBe(a.trainModel.intercept);
    expect(b.holdout.nrmse).not.toBe(a.holdout.nrmse);
  }, 120_000);
});
