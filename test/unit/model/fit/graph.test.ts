import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { geometricAdstock } from '../../../../src/model/adstock.ts';
import { ensureBackend } from '../../../../src/model/fit/backend.ts';
import { buildGraph, logit, readMember, softplusInverse, type GraphData } from '../../../../src/model/fit/graph.ts';

const T = 12;
const L = 3;
const spendSeries = [1, 0, 2, 0.5, 0, 0, 3, 1, 1, 0, 0.2, 2];

function data(): GraphData {
  const spend = new Float32Array(T * 2);
  spendSeries.forEach((x, t) => {
    spend[t * 2] = x;
    spend[t * 2 + 1] = x / 2;
  });
  const features = new Float32Array(T);
  features.fill(1);
  return { y: new Float32Array(T).fill(1), features, featureCount: 1, spend, channels: 2, periods: T, maxLag: L };
}

describe('fit graph', () => {
  beforeAll(async () => {
    await ensureBackend();
  });

  it('inverts its transforms', () => {
    expect(Math.log1p(Math.exp(softplusInverse(0.7)))).toBeCloseTo(0.7, 12);
    expect(1 / (1 + Math.exp(-logit(0.3)))).toBeCloseTo(0.3, 12);
  });

  it('keeps β, k, s > 0 and θ in [0, 1) with finite outputs for extreme unconstrained values', () => {
    const graph = buildGraph(data(), 2, 0.5);
    try {
      tf.tidy(() => {
        graph.params.uBeta.assign(tf.tensor2d([[-40, 40], [0, -5]]));
        graph.params.uK.assign(tf.tensor2d([[-40, 40], [3, -5]]));
        graph.params.uS.assign(tf.tensor2d([[-40, 40], [-3, 5]]));
        graph.params.uTheta.assign(tf.tensor2d([[-40, 40], [8, -8]]));
      });
      for (const m of [0, 1]) {
        const p = readMember(graph, m, 2);
        for (const v of [...p.beta, ...p.k, ...p.s]) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
        }
        for (const theta of p.theta) {
          expect(theta).toBeGreaterThanOrEqual(0);
          expect(theta).toBeLessThanOrEqual(1);
        }
      }
      const losses = tf.tidy(() => Array.from(graph.memberLoss().dataSync()));
      for (const loss of losses) expect(Number.isFinite(loss)).toBe(true);
      const gradients = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(graph.memberLoss()) as tf.Scalar);
        return Object.values(grads).flatMap((g) => Array.from(g.dataSync()));
      });
      for (const g of gradients) expect(Number.isFinite(g)).toBe(true);
    } finally {
      graph.dispose();
    }
  });

  it('computes the same normalised geometric adstock as ../adstock.ts, with a gradient in θ', () => {
    const graph = buildGraph(data(), 1, 0);
    try {
      const theta = 0.6;
      tf.tidy(() => {
        graph.params.uTheta.assign(tf.tensor2d([[logit(theta), logit(theta)]]));
        // k = 1, s = 1: hill = a/(a + 1), so a = hill/(1 − hill).
        graph.params.uK.assign(tf.tensor2d([[softplusInverse(1), softplusInverse(1)]]));
        graph.params.uS.assign(tf.tensor2d([[softplusInverse(1), softplusInverse(1)]]));
      });
      const hill = tf.tidy(() => Array.from(graph.hillValues().dataSync()));
      const expected = geometricAdstock(Float64Array.from(spendSeries), theta, { maxLag: L, normalize: true });
      expected.forEach((a, t) => {
        const h = hill[t * 2] ?? 0;
        expect(h / (1 - h)).toBeCloseTo(a, 4);
      });
      const thetaGradient = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(graph.hillValues()) as tf.Scalar, [graph.params.uTheta]);
        return Array.from(Object.values(grads)[0]?.dataSync() ?? []);
      });
      expect(thetaGradient.every((g) => Number.isFinite(g) && g !== 0)).toBe(true);
    } finally {
      graph.dispose();
    }
  });
});
