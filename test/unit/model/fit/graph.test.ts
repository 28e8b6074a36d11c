import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { geometricAdstock, weibullAdstock } from '../../../../src/model/adstock.ts';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import { ensureBackend } from '../../../../src/model/fit/backend.ts';
import { buildGraph, ROWS, type GraphData } from '../../../../src/model/fit/graph.ts';
import { DEFAULT_SHAPE, type AdstockFamily, type ChannelShape, type MemberSpec, type SaturationFamily } from '../../../../src/model/fit/members.ts';
import { logit, softplusInverse, weibullScaleFromU, weibullScaleToU, weibullShapeFromU, weibullShapeToU } from '../../../../src/model/fit/transforms.ts';

const T = 12;
const L = 3;
const spendSeries = [1, 0, 2, 0.5, 0, 0, 3, 1, 1, 0, 0.2, 2];

function data(): GraphData {
  const spend = new Float32Array(T * 2);
  spendSeries.forEach((x, t) => {
    spend[t * 2] = x;
    spend[t * 2 + 1] = x / 2;
  });
  const features = new Float32Array(T).fill(1);
  return { y: new Float32Array(T).fill(1), features, featureCount: 1, spend, channels: 2, periods: T, maxLag: L };
}

function member(adstock: AdstockFamily, saturation: SaturationFamily, start: Partial<ChannelShape> = {}, weights?: Float32Array): MemberSpec {
  return { adstock, saturation, centre: DEFAULT_SHAPE, start: { ...DEFAULT_SHAPE, ...start }, strength: 1, ...(weights === undefined ? {} : { weights }) };
}

/** Media features of member m, channel c, as [T] numbers. */
function features(graph: ReturnType<typeof buildGraph>, m: number, c: number): number[] {
  const K = graph.members;
  const values = tf.tidy(() => graph.mediaFeatures().dataSync());
  return Array.from({ length: T }, (_, t) => values[(c * K + m) * T + t] ?? Number.NaN);
}

describe('fit graph', () => {
  beforeAll(async () => {
    await ensureBackend();
  }, 60_000);

  it('inverts its transforms', () => {
    expect(Math.log1p(Math.exp(softplusInverse(0.7)))).toBeCloseTo(0.7, 12);
    expect(1 / (1 + Math.exp(-logit(0.3)))).toBeCloseTo(0.3, 12);
    expect(weibullShapeFromU(weibullShapeToU(2.5))).toBeCloseTo(2.5, 10);
    expect(weibullScaleFromU(weibullScaleToU(3.2, 8), 8)).toBeCloseTo(3.2, 10);
  });

  it('keeps every parameter in range with finite losses and gradients for extreme unconstrained values', () => {
    const graph = buildGraph(data(), [member('geometric', 'hill'), member('weibull-pdf', 'exp'), member('weibull-cdf', 'log')]);
    try {
      tf.tidy(() => {
        const extreme = Float32Array.from({ length: ROWS.length * 2 * 3 }, (_, i) => (i % 3 === 0 ? -40 : i % 3 === 1 ? 40 : (i % 5) - 2));
        graph.params.channel.assign(tf.tensor4d(extreme, [ROWS.length, 2, 3, 1]));
      });
      for (const m of [0, 1, 2]) {
        const p = graph.read(m);
        for (const v of [...p.beta, ...p.k, ...p.s, ...p.weibullShape, ...p.weibullScale]) {
          expect(Number.isFinite(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
        }
        for (const theta of p.theta) expect(theta >= 0 && theta <= 1).toBe(true);
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

  it('computes the adstock of ../adstock.ts (geometric and both Weibull kinds) and the registry curves, one family per member', () => {
    const shape = { theta: 0.6, weibullShape: 1.8, weibullScale: 2.2, k: 0.8, s: 1.7 };
    const graph = buildGraph(data(), [member('geometric', 'hill', shape), member('weibull-pdf', 'exp', shape), member('weibull-cdf', 'log', shape)]);
    try {
      const x = Float64Array.from(spendSeries);
      const params = [graph.read(0), graph.read(1), graph.read(2)];
      const expected = [
        Array.from(geometricAdstock(x, params[0]!.theta[0]!, { maxLag: L, normalize: true }), (a) => curveValue({ type: 'hill', beta: 1, k: params[0]!.k[0]!, s: params[0]!.s[0]! }, a)),
        Array.from(weibullAdstock(x, params[1]!.weibullShape[0]!, params[1]!.weibullScale[0]!, { maxLag: L, kind: 'pdf' }), (a) => curveValue({ type: 'exp', beta: 1, k: params[1]!.k[0]! }, a)),
        Array.from(weibullAdstock(x, params[2]!.weibullShape[0]!, params[2]!.weibullScale[0]!, { maxLag: L, kind: 'cdf' }), (a) => curveValue({ type: 'log', beta: 1, k: params[2]!.k[0]! }, a)),
      ];
      expect(params[0]!.theta[0]).toBeCloseTo(0.6, 5);
      expect(params[1]!.weibullShape[0]).toBeCloseTo(1.8, 4);
      expected.forEach((series, m) => {
        const got = features(graph, m, 0);
        series.forEach((v, t) => expect(got[t], `member ${m}, period ${t}`).toBeCloseTo(v, 4));
      });
      // The decay of every family has a gradient.
      const decayGradient = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(graph.mediaFeatures()) as tf.Scalar, [graph.params.channel]);
        return Array.from(Object.values(grads)[0]?.dataSync() ?? []);
      });
      const at = (row: (typeof ROWS)[number], m: number) => decayGradient[(ROWS.indexOf(row) * 2 + 0) * 3 + m] ?? 0;
      expect(at('theta', 0)).not.toBe(0);
      expect(at('weibullScale', 1)).not.toBe(0);
      expect(at('weibullScale', 2)).not.toBe(0);
      expect(at('theta', 1)).toBe(0);
    } finally {
      graph.dispose();
    }
  });

  it('weighs periods by the member weights: a zero-weight period does not change the loss', () => {
    const y = data();
    const changed = { ...y, y: Float32Array.from(y.y, (v, t) => (t === 5 ? 50 : v)) };
    const weights = Float32Array.from({ length: T }, (_, t) => (t === 5 ? 0 : 1));
    const loss = (d: GraphData) => {
      const graph = buildGraph(d, [member('geometric', 'hill', {}, weights), member('geometric', 'hill')]);
      try {
        return tf.tidy(() => Array.from(graph.memberMse().dataSync()));
      } finally {
        graph.dispose();
      }
    };
    const [weightedBefore, plainBefore] = loss(y);
    const [weightedAfter, plainAfter] = loss(changed);
    expect(weightedAfter).toBeCloseTo(weightedBefore!, 6);
    expect(plainAfter).toBeGreaterThan(plainBefore! + 1);
  });

  it('solves the linear parts exactly: after project() the gradient in coef and β vanishes without priors', () => {
    const d = data();
    const y = Float32Array.from({ length: T }, (_, t) => 2 + 0.3 * (spendSeries[t] ?? 0));
    const graph = buildGraph({ ...d, y }, [{ ...member('geometric', 'hill'), strength: 0 }]);
    try {
      expect(graph.project()).toBe(true);
      const mse = tf.tidy(() => graph.memberMse().dataSync()[0] ?? Number.NaN);
      graph.project();
      const { coefGrad } = tf.tidy(() => {
        const { grads } = tf.variableGrads(() => tf.sum(graph.memberMse()) as tf.Scalar, [graph.params.coef]);
        return { coefGrad: Array.from(Object.values(grads)[0]?.dataSync() ?? []) };
      });
      for (const g of coefGrad) expect(Math.abs(g)).toBeLessThan(1e-3 * Math.max(1, mse));
    } finally {
      graph.dispose();
    }
  });
});
