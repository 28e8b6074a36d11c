import { describe, expect, it } from 'vitest';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import { baselineWidth, steadyHill } from '../../../../src/model/online/design.ts';
import { createOnlineModel, fitOnlineModel } from '../../../../src/model/online/online-model.ts';
import { betaSd, channelShape, forecastRevenue, isFitted, modelCurves, sampleCurves, Z90 } from '../../../../src/model/online/response.ts';
import type { OnlineModelState } from '../../../../src/model/online/types.ts';
import { seededRandom } from '../../../../src/random.ts';
import { dot, inverse, matVec } from './dense-reference.ts';
import { baselineTerms, OPTIONS, specOf } from './model-runs.ts';
import { CHANNELS, HOUR, syntheticBuckets } from './synthetic.ts';

// Fitted states to read from: one block, and two (search attributed and fitted on its own).
const buckets = syntheticBuckets({ seed: 61, buckets: 336 });
const single = fitOnlineModel(specOf(), buckets, OPTIONS, 30);
const attributedBuckets = syntheticBuckets({ seed: 62, buckets: 336, attributed: { search: 1 } });
const twoBlocks = fitOnlineModel(specOf(CHANNELS, ['search']), attributedBuckets, OPTIONS, 30);
const NEXT = buckets.at(-1)!.start + HOUR;

/** Where channel c sits: its block, that block's width and the column of its β. */
function locate(state: OnlineModelState, c: number) {
  const block = state.blocks.find((b) => b.channels.includes(c))!;
  const width = block.mean.length;
  const P = width - block.channels.length;
  return { block, width, P, column: P + block.channels.indexOf(c) };
}

/** σ²·J⁻¹ of a block (scaled units), by explicit inversion. */
function covariance(state: OnlineModelState, blockIndex: number): Float64Array {
  const block = state.blocks[blockIndex]!;
  const width = block.mean.length;
  return inverse(block.information, width)!.map((v) => v * block.noiseVariance);
}

function normalCdf(z: number): number {
  // Φ via erfc, W. J. Cody's rational approximation as in Numerical Recipes' erfcc (|error| < 1.2e-7).
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc = t * Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}

const normalPdf = (z: number): number => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);

describe('modelCurves and betaSd', () => {
  it('hand out each channel as a Hill curve in money: β·revenueScale, k·spendScale, s', () => {
    for (const state of [single, twoBlocks]) {
      expect(isFitted(state)).toBe(true);
      const curves = modelCurves(state);
      state.channels.forEach((id, c) => {
        const { block, column } = locate(state, c);
        expect(curves[id]!.type).toBe('hill');
        expect(curves[id]!.beta).toBeCloseTo(Math.max(0, block.mean[column]!) * state.revenueScale, 9);
        expect(curves[id]!.k).toBeCloseTo(Math.exp(state.shape.logK[c]!) * state.spendScale[c]!, 9);
        expect(curves[id]!.s).toBeCloseTo(Math.exp(state.shape.logS[c]!), 12);
      });
    }
  });

  it('betaSd is √(σ²·(J⁻¹)_ββ) in money', () => {
    for (const state of [single, twoBlocks]) {
      const sd = betaSd(state);
      state.channels.forEach((id, c) => {
        const { block, width, column } = locate(state, c);
        const cov = covariance(state, state.blocks.indexOf(block));
        expect(sd[id]).toBeCloseTo(Math.sqrt(cov[column * width + column]!) * state.revenueScale, 6);
      });
    }
  });

  it('reports a fresh model as not fitted', () => {
    expect(isFitted(createOnlineModel(specOf(), OPTIONS))).toBe(false);
  });
});

describe('sampleCurves (Thompson draws)', () => {
  const N = 4000;

  function draws(state: OnlineModelState, seed: number, count = N) {
    const random = seededRandom(seed);
    return Array.from({ length: count }, () => sampleCurves(state, random));
  }

  const stats = (values: readonly number[]) => {
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    return { mean, sd };
  };

  it('draws β around the mean curve with the posterior sd, and keeps the shape', () => {
    const sample = draws(single, 63);
    const mean = modelCurves(single);
    const sd = betaSd(single);
    for (const { id } of CHANNELS) {
      const betas = sample.map((d) => d[id]!.beta);
      const s = stats(betas);
      // Far from 0 (asserted), so the clamp at 0 plays no part: plain normal sampling error.
      expect(mean[id]!.beta / sd[id]!).toBeGreaterThan(2);
      expect(Math.abs(s.mean - mean[id]!.beta), id).toBeLessThan((4 * sd[id]!) / Math.sqrt(N));
      expect(Math.abs(s.sd / sd[id]! - 1), id).toBeLessThan(4 / Math.sqrt(2 * N));
      for (const d of sample.slice(0, 50)) {
        expect(d[id]!.k).toBe(mean[id]!.k);
        expect(d[id]!.s).toBe(mean[id]!.s);
      }
    }
  });

  it('draws the β of one block jointly, with the posterior correlation', () => {
    const sample = draws(single, 64);
    const cov = covariance(single, 0);
    const { width, P } = locate(single, 0);
    for (const [a, b] of [[0, 1], [0, 2], [1, 2]] as const) {
      const expected = cov[(P + a) * width + P + b]! / Math.sqrt(cov[(P + a) * width + P + a]! * cov[(P + b) * width + P + b]!);
      const x = sample.map((d) => d[CHANNELS[a]!.id]!.beta);
      const y = sample.map((d) => d[CHANNELS[b]!.id]!.beta);
      const sx = stats(x);
      const sy = stats(y);
      const r = x.reduce((s, v, i) => s + (v - sx.mean) * (y[i]! - sy.mean), 0) / ((N - 1) * sx.sd * sy.sd);
      // Sampling sd of a correlation ≈ (1 − ρ²)/√N ≤ 0.016.
      expect(Math.abs(r - expected), `${a},${b}: ${r} vs ${expected}`).toBeLessThan(0.06);
    }
  });

  it('draws different blocks independently', () => {
    const sample = draws(twoBlocks, 65);
    const x = sample.map((d) => d.search!.beta);
    const y = sample.map((d) => d.social!.beta);
    const sx = stats(x);
    const sy = stats(y);
    const r = x.reduce((s, v, i) => s + (v - sx.mean) * (y[i]! - sy.mean), 0) / ((N - 1) * sx.sd * sy.sd);
    expect(Math.abs(r)).toBeLessThan(0.06);
    expect(Math.abs(sx.sd / betaSd(twoBlocks).search! - 1)).toBeLessThan(4 / Math.sqrt(2 * N));
  });

  it('keeps β ≥ 0: a draw below zero becomes 0 (a censored normal)', () => {
    // Move display's mean to 0.3 posterior sd above 0 (the state is data).
    const { block, column } = locate(single, 2);
    const sdScaled = betaSd(single).display! / single.revenueScale;
    const mu = 0.3 * sdScaled;
    const mean = [...block.mean];
    mean[column] = mu;
    const state: OnlineModelState = { ...single, blocks: [{ ...block, mean }] };
    const betas = draws(state, 66).map((d) => d.display!.beta / single.revenueScale);
    expect(Math.min(...betas)).toBe(0);
    const zeroShare = betas.filter((b) => b === 0).length / N;
    expect(Math.abs(zeroShare - normalCdf(-0.3))).toBeLessThan(4 * Math.sqrt((0.38 * 0.62) / N));
    // E[max(0, X)] = μΦ(μ/σ) + σφ(μ/σ).
    const expected = mu * normalCdf(0.3) + sdScaled * normalPdf(0.3);
    expect(Math.abs(stats(betas).mean - expected)).toBeLessThan((4 * sdScaled) / Math.sqrt(N));
  });

  it('is reproducible from the seed', () => {
    expect(draws(single, 67, 20)).toEqual(draws(single, 67, 20));
    expect(draws(single, 67, 1)[0]).not.toEqual(draws(single, 68, 1)[0]);
  });
});

describe('forecastRevenue', () => {
  const allocation = { search: 650, social: 420, display: 310 };

  it('adds up: total = baseline + Σ channel contributions, each its curve value at its spend', () => {
    for (const state of [single, twoBlocks]) {
      const forecast = forecastRevenue(state, allocation, NEXT);
      const curves = modelCurves(state);
      let sum = forecast.baseline.mean;
      for (const { id } of CHANNELS) {
        const spend = allocation[id as keyof typeof allocation];
        expect(forecast.channels[id]!.mean).toBeCloseTo(curveValue(curves[id]!, spend), 6);
        sum += forecast.channels[id]!.mean;
      }
      expect(forecast.total.mean).toBeCloseTo(sum, 6);
    }
  });

  it("gives each channel its Shapley value against zero spend (the model is additive)", () => {
    for (const state of [single, twoBlocks]) {
      const full = forecastRevenue(state, allocation, NEXT);
      for (const { id } of CHANNELS) {
        const without = forecastRevenue(state, { ...allocation, [id]: 0 }, NEXT);
        expect(full.total.mean - without.total.mean).toBeCloseTo(full.channels[id]!.mean, 6);
        expect(without.channels[id]!.mean).toBe(0);
      }
      // A channel left out of the allocation spends nothing.
      const { display: _display, ...partial } = allocation;
      expect(forecastRevenue(state, partial, NEXT).channels.display!.mean).toBe(0);
    }
  });

  it('computes the baseline from the calendar terms of the bucket, summed over blocks', () => {
    for (const state of [single, twoBlocks]) {
      const P = baselineWidth(state.season);
      const row = baselineTerms(state.season, NEXT, state.bucketMs);
      const expected = state.blocks.reduce((s, b) => s + dot(row, b.mean.slice(0, P)), 0) * state.revenueScale;
      expect(forecastRevenue(state, allocation, NEXT).baseline.mean).toBeCloseTo(expected, 6);
      // The calendar matters: twelve hours later the daily terms differ.
      expect(forecastRevenue(state, allocation, NEXT + 12 * HOUR).baseline.mean).not.toBeCloseTo(expected, 0);
    }
  });

  it('gives the parameter uncertainty: sd² = Σ_blocks σ²·zᵀJ⁻¹z + the shapes\' part, intervals at ±1.645 sd', () => {
    for (const state of [single, twoBlocks]) {
      const forecast = forecastRevenue(state, allocation, NEXT);
      const P = baselineWidth(state.season);
      const row = baselineTerms(state.season, NEXT, state.bucketMs);
      let total = 0;
      let baseline = 0;
      // The shapes' part, by the delta method on value = β·R·h, h = 1/(1 + (k/x)ˢ), with the joint
      // covariance of (β, ln k, ln s): ∂/∂β = R·h, ∂/∂ln k = −s·h(1−h)·β·R, ∂/∂ln s = s·ln(x/k)·h(1−h)·β·R.
      const shapePart = (c: number, beta: number, spend: number) => {
        const shape = channelShape(state, c);
        const x = spend / state.spendScale[c]!;
        const h = steadyHill(x, shape);
        const unit = h * state.revenueScale;
        const gk = -shape.s * h * (1 - h) * beta * state.revenueScale;
        const gs = shape.s * Math.log(x / shape.k) * h * (1 - h) * beta * state.revenueScale;
        const cov = state.shape.covariance[c]!;
        const cross = state.shape.betaCross[c]!;
        return unit * unit * state.shape.betaExtraVariance[c]! + 2 * unit * (gk * cross[1]! + gs * cross[2]!) + gk * gk * cov[4]! + 2 * gk * gs * cov[5]! + gs * gs * cov[8]!;
      };
      let shapeTotal = 0;
      state.blocks.forEach((block, b) => {
        const width = block.mean.length;
        const cov = covariance(state, b);
        const z = [...row, ...block.channels.map((c) => steadyHill(allocation[state.channels[c]! as keyof typeof allocation] / state.spendScale[c]!, channelShape(state, c)))];
        const zBase = [...row, ...block.channels.map(() => 0)];
        expect(z.length).toBe(width);
        total += dot(z, matVec(cov, z, width));
        baseline += dot(zBase, matVec(cov, zBase, width));
        block.channels.forEach((c, j) => {
          shapeTotal += shapePart(c, Math.max(0, block.mean[P + j]!), allocation[state.channels[c]! as keyof typeof allocation]);
        });
      });
      const R = state.revenueScale;
      expect(shapeTotal).toBeGreaterThan(0);
      expect(forecast.total.sd).toBeCloseTo(Math.sqrt(total * R * R + shapeTotal), 3);
      expect(forecast.baseline.sd).toBeCloseTo(Math.sqrt(baseline) * R, 4);
      expect(forecast.total.low).toBeCloseTo(forecast.total.mean - Z90 * forecast.total.sd, 6);
      expect(forecast.total.high).toBeCloseTo(forecast.total.mean + Z90 * forecast.total.sd, 6);
      expect(P).toBe(row.length);

      const sd = betaSd(state);
      const curves = modelCurves(state);
      for (const { id } of CHANNELS) {
        const e = forecast.channels[id]!;
        const c = state.channels.indexOf(id);
        // Contribution = β·h: β's sd times h, and the shape's part, added in quadrature.
        const fromBeta = (sd[id]! * e.mean) / curves[id]!.beta;
        expect(e.sd).toBeCloseTo(Math.sqrt(fromBeta ** 2 + shapePart(c, curves[id]!.beta / state.revenueScale, allocation[id as keyof typeof allocation])), 3);
        expect(e.low).toBeCloseTo(Math.max(0, e.mean - Z90 * e.sd), 6);
        expect(e.high).toBeCloseTo(e.mean + Z90 * e.sd, 6);
      }
    }
  });
});
