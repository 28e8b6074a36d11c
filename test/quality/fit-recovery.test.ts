/**
 * Parameter recovery of the batch fit (issue 4): 2 years (104 weeks) of simulated weekly data with
 * 10% multiplicative revenue noise, fitted by the same procedure as `spendflow fit`
 * (src/model/fit/fit-history.ts with its defaults: cross-validation inside the training periods,
 * refit on every week, bootstrap ensemble), on five fixed seeds.
 *
 * Design (test/unit/model/fit/simulate.ts, RECOVERY_*): baseline 60,000/week + 100/week trend +
 * yearly seasonality (±8,000), about half of revenue; flighted TV (bursts of 3–8 weeks at
 * 0.5–2× its mean, 1–4 dark weeks between; Hill s = 1.5, θ = 0.5), always-on search (weekly spend
 * 0.2–1.8× its mean, ~8% dark weeks; Hill s = 1, θ = 0.2), flighted social (Hill s = 1.2,
 * θ = 0.3); geometric normalised adstock with max lag 8.
 *
 * Definitions:
 * - ROI error: fitted contribution / spend over the 104 weeks vs the true one, relative.
 * - Curve error: max over x in [smallest non-zero, largest] weekly spend of |f̂(x) − f(x)| / f(x),
 *   f the true steady-state curve (the saturation curve: the adstock is normalised), f̂ the fitted one.
 * - Oracle: the same data fitted with the TRUE adstock and curves given, only the linear parts
 *   (intercept, trend, seasonality, one multiplier per channel) estimated by least squares. Its
 *   multiplier error is the error any estimator that does not know the curves must expect at
 *   least (it is the efficient estimator of the sub-model where everything else is known).
 *
 * Issue 4's target — every channel's ROI within 10% and every curve within 10% on every seed — is
 * NOT met, and this design shows why it cannot be: the oracle itself misses 10% on 7 of the 15
 * channel-seeds (search: 14–26% on four seeds), so 104 noisy weeks do not hold that much
 * information; the fit is about as accurate as the oracle (mean |ROI error| 11% vs the oracle's
 * 11%). The thresholds below record what IS achieved (docs/model.md, "Measured"), so a
 * regression fails; they are not the issue's target.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { curveValue } from '../../src/model/curves/registry.ts';
import { fitHistory, type HistoryFit } from '../../src/model/fit/fit-history.ts';
import { projectLinear } from '../../src/model/fit/linear-projection.ts';
import { MAX_LAG, RECOVERY_CHANNELS, RECOVERY_INTERCEPT, simulate, WEEKS_PER_YEAR, type Simulation } from '../unit/model/fit/simulate.ts';

const SEEDS = [1, 2, 3, 4, 5];
const WEEKS = 104;
const NOISE = 0.1;

interface Oracle {
  readonly betaError: Record<string, number>;
  readonly rmse: number;
}

function oracleFit(sim: Simulation): Oracle {
  const P = 6;
  const C = RECOVERY_CHANNELS.length;
  const features: number[] = [];
  const media: number[] = [];
  for (let t = 0; t < WEEKS; t++) {
    const a = (2 * Math.PI * t) / WEEKS_PER_YEAR;
    features.push(1, t / (WEEKS - 1), Math.sin(a), Math.cos(a), Math.sin(2 * a), Math.cos(2 * a));
    for (const channel of RECOVERY_CHANNELS) media.push(sim.contributions[channel.name]?.[t] ?? 0);
  }
  const solved = projectLinear({ features, featureCount: P, media, channels: C, y: sim.target, periods: WEEKS, ridge: new Array(P + C).fill(1e-9) });
  if (solved === null) throw new Error('oracle system is singular');
  let sse = 0;
  for (let t = 0; t < WEEKS; t++) {
    let prediction = 0;
    for (let p = 0; p < P; p++) prediction += (solved.coef[p] ?? 0) * (features[t * P + p] ?? 0);
    for (let c = 0; c < C; c++) prediction += (solved.beta[c] ?? 0) * (media[t * C + c] ?? 0);
    sse += ((sim.target[t] ?? 0) - prediction) ** 2;
  }
  return { betaError: Object.fromEntries(RECOVERY_CHANNELS.map((ch, c) => [ch.name, (solved.beta[c] ?? 0) - 1])), rmse: Math.sqrt(sse / WEEKS) };
}

interface ChannelResult {
  readonly seed: number;
  readonly channel: string;
  readonly roiError: number;
  readonly curveError: number;
  readonly oracleError: number;
  readonly covered: boolean;
}

const results: ChannelResult[] = [];
const fits: { seed: number; fit: HistoryFit; oracle: Oracle }[] = [];

describe('batch fit recovery: 104 weeks, 10% noise, seeds 1–5', () => {
  beforeAll(async () => {
    for (const seed of SEEDS) {
      const sim = simulate({ seed, weeks: WEEKS, noise: NOISE, channels: RECOVERY_CHANNELS, intercept: RECOVERY_INTERCEPT });
      const fit = await fitHistory({ target: sim.target, spend: sim.spend }, { seasonality: [{ period: WEEKS_PER_YEAR, order: 2 }], maxLag: MAX_LAG });
      const oracle = oracleFit(sim);
      fits.push({ seed, fit, oracle });
      for (const truth of RECOVERY_CHANNELS) {
        const fitted = fit.model.channels.find((c) => c.name === truth.name);
        if (fitted === undefined) throw new Error(`channel ${truth.name} missing from the fit`);
        const spend = sim.spend[truth.name] ?? new Float64Array(0);
        const trueRoi = (sim.contributions[truth.name] ?? new Float64Array(0)).reduce((s, v) => s + v, 0) / spend.reduce((s, v) => s + v, 0);
        const active = [...spend].filter((v) => v > 0);
        const lo = Math.min(...active);
        const hi = Math.max(...active);
        let curveError = 0;
        for (let i = 0; i <= 200; i++) {
          const x = lo + ((hi - lo) * i) / 200;
          curveError = Math.max(curveError, Math.abs(curveValue(fitted.curve, x) - curveValue(truth.curve, x)) / curveValue(truth.curve, x));
        }
        const interval = fit.uncertainty?.channels[truth.name]?.roi;
        results.push({
          seed,
          channel: truth.name,
          roiError: fitted.roi / trueRoi - 1,
          curveError,
          oracleError: oracle.betaError[truth.name] ?? Number.NaN,
          covered: interval !== undefined && interval.lower <= trueRoi && trueRoi <= interval.upper,
        });
      }
    }
    const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
    console.log(
      ['seed channel  roi-error  curve-error  oracle-error  90%-interval-covers', ...results.map((r) => `${r.seed}    ${r.channel.padEnd(8)} ${pct(r.roiError).padStart(8)} ${pct(r.curveError).padStart(11)} ${pct(r.oracleError).padStart(13)}  ${r.covered}`)].join('\n'),
    );
  }, 600_000);

  it('reaches the least-squares optimum: the fit explains the data about as well as the true model does', () => {
    // The fitted model has more freedom than the oracle (it also picks adstock and curves), so
    // its in-sample RMSE must not be worse than the oracle's by more than the priors cost.
    for (const { seed, fit, oracle } of fits) expect(fit.model.training.rmse, `seed ${seed}`).toBeLessThan(1.05 * oracle.rmse);
  });

  it('is about as accurate as knowing the true curves (the oracle)', () => {
    const mean = (values: number[]) => values.reduce((s, v) => s + Math.abs(v), 0) / values.length;
    expect(mean(results.map((r) => r.roiError))).toBeLessThan(1.5 * mean(results.map((r) => r.oracleError)));
  });

  it('recovers every channel ROI within the achieved bounds (flighted ≤ 25%, always-on search ≤ 35%) on every seed', () => {
    for (const r of results) expect(Math.abs(r.roiError), `seed ${r.seed} ${r.channel}`).toBeLessThan(r.channel === 'search' ? 0.35 : 0.25);
  });

  it('recovers every steady-state curve within 50% over the observed spend range on every seed', () => {
    for (const r of results) expect(r.curveError, `seed ${r.seed} ${r.channel}`).toBeLessThan(0.5);
  });

  it('gives 90% ROI intervals that cover the truth for most channels and seeds', () => {
    expect(results.filter((r) => r.covered).length).toBeGreaterThanOrEqual(10);
  });
});
