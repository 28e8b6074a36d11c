/**
 * Partial pooling of a categorical control's levels in the batch fit: each level's effect is the
 * control's shared effect plus a deviation with a tighter prior, so a level that never occurs in
 * the fitted periods is predicted with the shared effect instead of zero.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBackend } from '../../../../src/model/fit/backend.ts';
import { fitAdditiveModel } from '../../../../src/model/fit/additive-model.ts';
import { scaledDesign } from '../../../../src/model/fit/scaled-design.ts';
import type { FitData } from '../../../../src/model/fit/types.ts';
import { seededRandom } from '../../../../src/random.ts';

const WEEKS = 80;
const PROMO_EFFECT = 30_000;

/** Revenue with a linear media effect, noise, and "promo" weeks of two kinds that lift revenue alike; kind B only ever appears after week 60. */
function history(): FitData {
  const random = seededRandom(5);
  const spend = Float64Array.from({ length: WEEKS }, () => 10_000 * (0.3 + 1.4 * random.next()));
  const kindA = Float64Array.from({ length: WEEKS }, (_, t) => (t < 60 && t % 9 === 4 ? 1 : 0));
  const kindB = Float64Array.from({ length: WEEKS }, (_, t) => (t >= 60 && t % 9 === 4 ? 1 : 0));
  const target = Float64Array.from({ length: WEEKS }, (_, t) => (100_000 + 1.5 * (spend[t] ?? 0) + PROMO_EFFECT * ((kindA[t] ?? 0) + (kindB[t] ?? 0))) * (1 + 0.01 * random.normal()));
  return { target, spend: { tv: spend }, controls: { names: ['promo_a', 'promo_b'], values: [kindA, kindB], groups: [{ name: 'promo', columns: [0, 1] }] } };
}

function head(data: FitData, periods: number, groups: boolean): FitData {
  const cut = (v: Float64Array) => v.subarray(0, periods);
  return {
    target: cut(data.target),
    spend: Object.fromEntries(Object.entries(data.spend).map(([k, v]) => [k, cut(v)])),
    controls: { names: data.controls!.names, values: data.controls!.values.map(cut), ...(groups ? { groups: data.controls!.groups! } : {}) },
  };
}

describe('pooled levels of a categorical control', () => {
  const data = history();
  beforeAll(async () => {
    await ensureBackend();
  }, 60_000);

  it('adds one pooled feature per group after the controls, 1 where any level is set', () => {
    const design = scaledDesign(data, { seasonality: [], maxLag: 2 });
    const P = design.graph.featureCount;
    expect(P).toBe(2 + 2 + 1);
    for (let t = 0; t < WEEKS; t++) expect(design.graph.features[t * P + 4]).toBe((data.controls!.values[0]![t] ?? 0) + (data.controls!.values[1]![t] ?? 0));
    // The levels' deviations have a tighter prior than the shared effect.
    expect(design.graph.linearPrecision![2]).toBeGreaterThan(design.graph.linearPrecision![4]!);
    expect(design.graph.linearPrecision![0]).toBe(0);
  });

  it('gives a level unseen in the fitted weeks most of the shared effect; without pooling it gets none', async () => {
    const options = { steps: 200, members: 1, maxLag: 2 } as const;
    const pooled = await fitAdditiveModel(head(data, 60, true), options);
    const plain = await fitAdditiveModel(head(data, 60, false), options);
    const effect = (model: typeof pooled, name: string) => model.controls.find((c) => c.name === name)!.coefficient;
    expect(effect(pooled, 'promo_a')).toBeGreaterThan(0.8 * PROMO_EFFECT);
    expect(effect(pooled, 'promo_a')).toBeLessThan(1.2 * PROMO_EFFECT);
    expect(effect(pooled, 'promo_b')).toBeGreaterThan(0.7 * PROMO_EFFECT);
    expect(Math.abs(effect(plain, 'promo_b'))).toBeLessThan(0.05 * PROMO_EFFECT);
  }, 60_000);
});
