import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fitAdditiveModel } from '../../../../src/model/fit/additive-model.ts';
import { ensureBackend } from '../../../../src/model/fit/backend.ts';
import { nrmse, r2, rmse } from '../../../../src/model/fit/metrics.ts';
import { predict } from '../../../../src/model/fit/predict.ts';
import type { FitData, FittedModel } from '../../../../src/model/fit/types.ts';
import { MAX_LAG, simulate, WEEKS_PER_YEAR, type TrueChannel } from './simulate.ts';

const CHANNELS: readonly TrueChannel[] = [
  { name: 'tv', curve: { type: 'hill', beta: 60_000, k: 20_000, s: 1.5 }, theta: 0.5, meanSpend: 20_000, pattern: 'flighted' },
  { name: 'search', curve: { type: 'hill', beta: 40_000, k: 8_000, s: 1 }, theta: 0.2, meanSpend: 10_000, pattern: 'uniform' },
];
const OPTIONS = { steps: 300, members: 2, maxLag: MAX_LAG, seasonality: [{ period: WEEKS_PER_YEAR, order: 2 }] } as const;

describe('fitAdditiveModel', () => {
  const sim = simulate({ seed: 11, weeks: 104, noise: 0.01, channels: CHANNELS });
  const data: FitData = { target: sim.target, spend: sim.spend };
  let model: FittedModel;
  let tensorsBefore = 0;
  let tensorsAfter = 0;

  beforeAll(async () => {
    await ensureBackend();
    tensorsBefore = tf.memory().numTensors;
    model = await fitAdditiveModel(data, OPTIONS);
    tensorsAfter = tf.memory().numTensors;
  }, 60_000);

  it('leaks no tensors', () => {
    expect(tensorsAfter).toBe(tensorsBefore);
  });

  it('returns finite parameters in range for every channel', () => {
    expect(model.channels.map((c) => c.name)).toEqual(['tv', 'search']);
    for (const channel of model.channels) {
      if (channel.curve.type !== 'hill' || channel.adstock.type !== 'geometric') throw new Error(`expected a hill curve with geometric adstock, got ${JSON.stringify(channel)}`);
      const { beta, k, s } = channel.curve;
      for (const v of [beta, k, s, channel.adstock.theta, channel.contribution, channel.roi, channel.marginalRoi]) expect(Number.isFinite(v)).toBe(true);
      expect(beta).toBeGreaterThan(0);
      expect(k).toBeGreaterThan(0);
      expect(s).toBeGreaterThan(0);
      expect(channel.adstock.theta).toBeGreaterThanOrEqual(0);
      expect(channel.adstock.theta).toBeLessThan(1);
      expect(channel.adstock).toMatchObject({ type: 'geometric', maxLag: MAX_LAG, normalize: true });
      expect(channel.roi).toBeCloseTo(channel.contribution / channel.spend, 10);
    }
    for (const v of [model.intercept, model.trend, ...model.seasonality.flatMap((b) => [...b.sin, ...b.cos])]) expect(Number.isFinite(v)).toBe(true);
  });

  it('decreases the loss and fits the low-noise data closely', () => {
    const history = model.training.lossHistory;
    expect(history.length).toBeGreaterThan(2);
    expect(history.at(-1)!).toBeLessThan(history[0]! / 10);
    expect(history.at(-1)!).toBeLessThanOrEqual(Math.min(...history) * 1.05);
    expect(model.training.memberLosses).toHaveLength(2);
    expect(r2(data.target, predict(model, data))).toBeGreaterThan(0.95);
    expect(model.training.rmse).toBeCloseTo(rmse(data.target, predict(model, data)), 6);
  });

  it('gets each channel ROI roughly right on low-noise data', () => {
    for (const truth of CHANNELS) {
      const fitted = model.channels.find((c) => c.name === truth.name)!;
      const trueRoi = sim.contributions[truth.name]!.reduce((a, b) => a + b, 0) / fitted.spend;
      expect(Math.abs(fitted.roi / trueRoi - 1)).toBeLessThan(0.25);
    }
  });

  it('round-trips through JSON and predicts the same', () => {
    const copy = JSON.parse(JSON.stringify(model)) as FittedModel;
    expect(copy).toEqual(model);
    expect(Array.from(predict(copy, data))).toEqual(Array.from(predict(model, data)));
  });

  it('predicts a hold-out tail from a fit on the head', async () => {
    const split = 84;
    const head: FitData = {
      target: sim.target.subarray(0, split),
      spend: Object.fromEntries(Object.entries(sim.spend).map(([name, x]) => [name, x.subarray(0, split)])),
    };
    const fitted = await fitAdditiveModel(head, OPTIONS);
    const tail = predict(fitted, data).subarray(split);
    expect(nrmse(sim.target.subarray(split), tail)).toBeLessThan(0.15);
  }, 60_000);

  it('rejects bad input with every problem listed', async () => {
    const bad: FitData = { target: new Float64Array([1, 2, 3, 4]), spend: { a: new Float64Array([1, -1, 1, 1]), b: new Float64Array([1, 1]) } };
    await expect(fitAdditiveModel(bad)).rejects.toMatchObject({ code: 'INPUT_INVALID', problems: [{ field: 'spend.a' }, { field: 'spend.b' }] });
  });
});

describe('fitAdditiveModel options', () => {
  it('rejects invalid options', async () => {
    const data: FitData = { target: new Float64Array([1, 2, 3, 4]), spend: { a: new Float64Array([1, 0, 1, 1]) } };
    await expect(fitAdditiveModel(data, { steps: 0 })).rejects.toMatchObject({ code: 'INPUT_INVALID', problems: [{ field: 'steps' }] });
    await expect(fitAdditiveModel(data, { maxLag: -1 })).rejects.toMatchObject({ problems: [{ field: 'maxLag' }] });
    await expect(fitAdditiveModel(data, { learningRate: 0 })).rejects.toMatchObject({ problems: [{ field: 'learningRate' }] });
    await expect(fitAdditiveModel(data, { priorStrength: -1 })).rejects.toMatchObject({ problems: [{ field: 'priorStrength' }] });
  });
});
