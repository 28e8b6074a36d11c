import { describe, expect, it } from 'vitest';
import { solveWindowRegression } from '../../../../src/model/online/information.ts';
import { updateOnlineModel } from '../../../../src/model/online/online-model.ts';
import { forecastRevenue } from '../../../../src/model/online/response.ts';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import { OPTIONS, runOnline, specOf } from './model-runs.ts';
import { CHANNELS, HOUR, syntheticBuckets, syntheticMarket } from './synthetic.ts';

/**
 * Regressions found by review of the online model: each failed before its fix (the inputs are the
 * reviewer's repros).
 */
describe('online model regressions', () => {
  it('non-negative β: the constrained optimum (1.7, 0), not both pinned at 0 (fixing every negative at once was wrong)', () => {
    const design = Float64Array.from([1, 0, -0.9, Math.sqrt(0.19)]); // z₀ = (1, 0), z₁ = (−0.9, 0.4359)
    const target = Float64Array.from([1.7, -2 * Math.sqrt(0.19)]); // = Z·(−0.1, −2)
    const fit = solveWindowRegression({ rows: 2, width: 2, design, target, weight: Float64Array.from([1, 1]), priorPrecision: new Float64Array(2), priorMean: new Float64Array(2), jumps: [], nonNegative: [0, 1] })!;
    expect(fit.mean[0]).toBeCloseTo(1.7, 9); // actual 0
    expect(fit.mean[1]).toBe(0);
    expect(fit.sse).toBeCloseTo(0.76, 9); // actual 3.65
  });

  it('calibration at 3% noise: the noise estimate washes out its first guess, so standardised errors have sd ≈ 1', () => {
    const { reports } = runOnline(syntheticMarket({ seed: 71, buckets: 1000 }).buckets);
    const e = reports.slice(200).map((r) => r.error!);
    const m = e.reduce((s, v) => s + v, 0) / e.length;
    const sd = Math.sqrt(e.reduce((s, v) => s + (v - m) ** 2, 0) / (e.length - 1));
    expect(sd).toBeGreaterThan(0.9); // 0.857 before the fix
    expect(sd).toBeLessThan(1.1);
  });

  it('attribution: the changed channel is among the blamed components when the onset precedes the change', () => {
    const buckets = syntheticBuckets({ seed: 4, buckets: 250, factor: (c, t) => (c === 'search' && t >= 240 ? 0.6 : 1) });
    const { reports } = runOnline(buckets);
    const first = reports.flatMap((r) => r.detected)[0]!;
    expect(first.event.components).toContain('search'); // actual ['baseline', 'display']
  });

  it('attributed revenue above the bucket\'s revenue is refused, naming the field', () => {
    const state = runOnline(syntheticBuckets({ seed: 1, buckets: 3 }), OPTIONS, specOf(CHANNELS, ['search'])).state;
    expect(() => updateOnlineModel(state, { start: state.lastBucket! + HOUR, revenue: 100, spend: {}, attributedRevenue: { search: 500 } }, OPTIONS)).toThrow(
      expect.objectContaining({ code: 'INPUT_INVALID', problems: [expect.objectContaining({ field: 'attributedRevenue' })] }),
    );
  });

  it('contribution intervals include the shape taken jointly with β (the conditional covariance covered the truth in 12 of 24)', () => {
    let inside = 0;
    let total = 0;
    for (let seed = 1; seed <= 8; seed++) {
      const { state } = runOnline(syntheticBuckets({ seed, buckets: 336 }));
      const allocation = Object.fromEntries(CHANNELS.map((c) => [c.id, c.reference]));
      const forecast = forecastRevenue(state, allocation, state.lastBucket! + HOUR);
      for (const c of CHANNELS) {
        const truth = curveValue(c.curve, c.reference);
        const e = forecast.channels[c.id]!;
        if (truth >= e.low && truth <= e.high) inside++;
        total++;
      }
    }
    // Nominal 90% of 24 is 21.6; at least 20 (a binomial(24, 0.9) is below 20 with probability ~0.1).
    expect(total).toBe(24);
    expect(inside).toBeGreaterThanOrEqual(20);
  });
});

