import { describe, expect, it } from 'vitest';
import { fitSaturatingResponse, type SpendObservation } from '../../../src/model/saturating-fit.ts';
import { seededRandom } from '../../../src/random.ts';

const IDS = ['search', 'social', 'display'] as const;
const BASE = { search: 1000, social: 500, display: 200 } as const;
/** True k as multiples of each channel's average spend: inside the fitter's grid (0.5, 1, 2, 4). */
const K_MULT = { search: 2, social: 1, display: 0.5 } as const;
/** True ROI at average spend, per channel. */
const ROI = { search: 2, social: 1.2, display: 0.6 } as const;
const INTERCEPT = 800;

interface Synthetic {
  readonly history: SpendObservation[];
  readonly truth: number[];
  readonly sigma: number;
}

/** Revenue = b + Σ βᵢ(1 − e^(−x/kᵢ)) + N(0, σ²), with spend varied ±70% around each base level. */
function synthetic(seed: number, periods: number, sigma: number): Synthetic {
  const rng = seededRandom(seed);
  const spends = Array.from({ length: periods }, () =>
    Object.fromEntries(IDS.map((id) => [id, BASE[id] * (0.3 + 1.4 * rng.next())])) as Record<string, number>,
  );
  const mean = Object.fromEntries(IDS.map((id) => [id, spends.reduce((s, x) => s + x[id]!, 0) / periods]));
  const curves = IDS.map((id) => {
    const k = K_MULT[id] * mean[id]!;
    // β such that the curve's average ROI at the mean spend is ROI[id].
    return { k, beta: (ROI[id] * mean[id]!) / (1 - Math.exp(-mean[id]! / k)) };
  });
  const truth = spends.map((x) => INTERCEPT + IDS.reduce((s, id, i) => s + curves[i]!.beta * (1 - Math.exp(-x[id]! / curves[i]!.k)), 0));
  const history = spends.map((spend, t) => ({ spend, revenue: truth[t]! + sigma * rng.normal() }));
  return { history, truth, sigma };
}

function predict(model: ReturnType<typeof fitSaturatingResponse>, spend: Readonly<Record<string, number>>): number {
  return model.intercept + IDS.reduce((s, id) => {
    const c = model.curves[id]!;
    return s + c.beta * (1 - Math.exp(-(spend[id] ?? 0) / c.k));
  }, 0);
}

const options = { ridge: 0.05, priorRoi: 1.5, fallbackSpend: {} };

describe('fitSaturatingResponse on synthetic exp-curve data', () => {
  // Revenue at base spend is ≈ 800 + 2000 + 600 + 120 = 3520; σ = 20 is ~0.6% noise.
  const cases = [11, 12, 13].map((seed) => ({ seed, data: synthetic(seed, 240, 20) }));

  it.each(cases)('seed $seed: predictions at observed spend track the truth', ({ data }) => {
    const model = fitSaturatingResponse(IDS, data.history, options);
    expect(model.healthy).toBe(true);
    expect(model.problem).toBeUndefined();
    expect(model.observations).toBe(240);
    const errors = data.history.map((h, t) => predict(model, h.spend) - data.truth[t]!);
    const rms = Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / errors.length);
    // Least squares with p ≈ 4 effective parameters fits the mean function with an RMS error of
    // about σ·√(p/n) = 20·√(4/240) ≈ 2.6; the weak ridge (pulling β towards ROI 1.5) and the
    // k grid add some bias. σ/2 = 10 allows for that and still fails a fit that ignores spend
    // (the spend-driven part of revenue varies by several hundred across periods).
    expect(rms).toBeLessThan(data.sigma / 2);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThan(2 * data.sigma);
    // The reported rmse is the residual against noisy revenue: ≈ σ (sample sd of 240 normals is
    // within ±20% of σ with overwhelming probability).
    expect(model.rmse).toBeGreaterThan(0.8 * data.sigma);
    expect(model.rmse).toBeLessThan(1.2 * data.sigma);
  });

  it.each(cases)('seed $seed: parameters are non-negative and finite', ({ data }) => {
    const model = fitSaturatingResponse(IDS, data.history, options);
    expect(model.intercept).toBeGreaterThanOrEqual(0);
    for (const id of IDS) {
      const c = model.curves[id]!;
      expect(c.type).toBe('exp');
      expect(c.beta).toBeGreaterThanOrEqual(0);
      expect(c.k).toBeGreaterThan(0);
      expect(Number.isFinite(c.beta) && Number.isFinite(c.k)).toBe(true);
    }
  });

  it('keeps β ≥ 0 and the intercept ≥ 0 when revenue falls with spend', () => {
    const rng = seededRandom(5);
    const history = Array.from({ length: 60 }, () => {
      const x = 100 + 900 * rng.next();
      return { spend: { search: x, social: 300 }, revenue: Math.max(0, 500 - 0.5 * x) };
    });
    const model = fitSaturatingResponse(['search', 'social'], history, { ridge: 0.01, priorRoi: 1.5, fallbackSpend: {} });
    expect(model.intercept).toBeGreaterThanOrEqual(0);
    expect(model.curves['search']!.beta).toBeGreaterThanOrEqual(0);
    expect(model.curves['social']!.beta).toBeGreaterThanOrEqual(0);
  });
});

describe('fitSaturatingResponse: unusable data', () => {
  it('with no observations, is unhealthy and falls back to prior curves (ROI = priorRoi at fallback spend)', () => {
    const model = fitSaturatingResponse(['a', 'b'], [], { ridge: 1, priorRoi: 1.5, fallbackSpend: { a: 400 } });
    expect(model.healthy).toBe(false);
    expect(model.problem).toMatch(/observation/);
    expect(model.observations).toBe(0);
    const a = model.curves['a']!;
    expect(a.beta * (1 - Math.exp(-400 / a.k))).toBeCloseTo(1.5 * 400, 6);
    // No fallback for b: a spend of 1 stands in, still with ROI 1.5 there.
    const b = model.curves['b']!;
    expect(b.beta * (1 - Math.exp(-1 / b.k))).toBeCloseTo(1.5, 9);
  });

  it.each([
    ['NaN revenue', { spend: { a: 10 }, revenue: NaN }],
    ['infinite revenue', { spend: { a: 10 }, revenue: Infinity }],
    ['NaN spend', { spend: { a: NaN }, revenue: 10 }],
    ['infinite spend', { spend: { a: -Infinity }, revenue: 10 }],
  ])('with %s, is unhealthy with a problem string', (_name, bad) => {
    const good = { spend: { a: 12 }, revenue: 20 };
    const model = fitSaturatingResponse(['a'], [good, bad, good], { ridge: 1, priorRoi: 1.5, fallbackSpend: {} });
    expect(model.healthy).toBe(false);
    expect(typeof model.problem).toBe('string');
    expect(model.problem!.length).toBeGreaterThan(0);
    for (const c of Object.values(model.curves)) expect(Number.isFinite(c.beta) && Number.isFinite(c.k)).toBe(true);
  });
});

describe('fitSaturatingResponse: ridge', () => {
  it('with a strong ridge and little data, keeps each curve at ≈ priorRoi × average spend', () => {
    // Three periods in which revenue is 10× spend: far from the prior ROI of 1.5.
    const history = [
      { spend: { a: 100, b: 50 }, revenue: 1500 },
      { spend: { a: 150, b: 40 }, revenue: 1900 },
      { spend: { a: 80, b: 70 }, revenue: 1500 },
    ];
    const mean = { a: 110, b: 160 / 3 };
    const model = fitSaturatingResponse(['a', 'b'], history, { ridge: 1000, priorRoi: 1.5, fallbackSpend: {} });
    expect(model.healthy).toBe(true);
    // The prior weighs like 4000 periods against 3 observed, so β moves by well under 1% of the
    // gap to the data; 5% leaves room and still fails a fit that follows the data (ROI ≈ 10).
    for (const id of ['a', 'b'] as const) {
      const c = model.curves[id]!;
      const roiAtMean = (c.beta * (1 - Math.exp(-mean[id] / c.k))) / mean[id];
      expect(Math.abs(roiAtMean - 1.5)).toBeLessThan(0.05 * 1.5);
    }
  });

  it('with a weak ridge on the same kind of data, moves away from the prior', () => {
    const rng = seededRandom(8);
    const history = Array.from({ length: 100 }, () => {
      const a = 50 + 100 * rng.next();
      return { spend: { a }, revenue: 4 * 200 * (1 - Math.exp(-a / 200)) + rng.normal() };
    });
    const model = fitSaturatingResponse(['a'], history, { ridge: 0.01, priorRoi: 1.5, fallbackSpend: {} });
    const c = model.curves['a']!;
    const mean = history.reduce((s, h) => s + h.spend.a, 0) / history.length;
    // True ROI at ~100 spend is 4·(1 − e^(−0.5))/0.5 ≈ 3.1, well above the prior 1.5.
    expect((c.beta * (1 - Math.exp(-mean / c.k))) / mean).toBeGreaterThan(2.5);
  });
});
