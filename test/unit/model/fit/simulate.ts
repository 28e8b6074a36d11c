/**
 * Simulated weekly history with known truth, for the fit's tests: an additive model with the same
 * form as the one fitted (intercept, linear trend, yearly Fourier seasonality, geometric
 * normalised adstock with max lag 8, Hill curves) and multiplicative Gaussian noise
 * y = μ·(1 + noise·z). Spend has no history before the first week (as the model assumes).
 */
import { geometricAdstock } from '../../../../src/model/adstock.ts';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import type { HillCurve } from '../../../../src/model/curves/types.ts';
import { seededRandom, type Random } from '../../../../src/random.ts';

export type SpendPattern = 'flighted' | 'uniform' | 'walk';

export interface TrueChannel {
  readonly name: string;
  readonly curve: HillCurve;
  readonly theta: number;
  readonly meanSpend: number;
  readonly pattern: SpendPattern;
}

export interface Simulation {
  readonly target: Float64Array;
  readonly spend: Record<string, Float64Array>;
  /** Each channel's true revenue per week. */
  readonly contributions: Record<string, Float64Array>;
  readonly channels: readonly TrueChannel[];
}

export const MAX_LAG = 8;
export const WEEKS_PER_YEAR = 365.25 / 7;

function spendSeries(pattern: SpendPattern, mean: number, weeks: number, random: Random): Float64Array {
  const out = new Float64Array(weeks);
  if (pattern === 'flighted') {
    // Bursts of 3–8 weeks at varied levels, separated by 1–4 dark weeks.
    let t = 0;
    while (t < weeks) {
      const on = 3 + random.int(6);
      const level = mean * (0.5 + 1.5 * random.next());
      for (let i = 0; i < on && t < weeks; i++, t++) out[t] = level * (0.85 + 0.3 * random.next());
      t += 1 + random.int(4);
    }
  } else if (pattern === 'uniform') {
    for (let t = 0; t < weeks; t++) out[t] = random.next() < 0.08 ? 0 : mean * (0.2 + 1.6 * random.next());
  } else {
    let level = 1;
    for (let t = 0; t < weeks; t++) {
      level = Math.min(2, Math.max(0.1, level + 0.25 * random.normal()));
      out[t] = mean * level * (0.9 + 0.2 * random.next());
    }
  }
  return out;
}

export function simulate(options: {
  readonly seed: number;
  readonly weeks: number;
  readonly noise: number;
  readonly channels: readonly TrueChannel[];
  readonly intercept?: number;
  readonly trendPerWeek?: number;
  readonly seasonalAmplitude?: number;
}): Simulation {
  const random = seededRandom(options.seed);
  const { weeks, channels } = options;
  const intercept = options.intercept ?? 100_000;
  const trend = options.trendPerWeek ?? 100;
  const amplitude = options.seasonalAmplitude ?? 8_000;
  const spend: Record<string, Float64Array> = {};
  const contributions: Record<string, Float64Array> = {};
  for (const channel of channels) {
    const series = spendSeries(channel.pattern, channel.meanSpend, weeks, random);
    spend[channel.name] = series;
    const adstock = geometricAdstock(series, channel.theta, { maxLag: MAX_LAG, normalize: true });
    contributions[channel.name] = Float64Array.from(adstock, (a) => curveValue(channel.curve, a));
  }
  const target = new Float64Array(weeks);
  for (let t = 0; t < weeks; t++) {
    const angle = (2 * Math.PI * t) / WEEKS_PER_YEAR;
    let mu = intercept + trend * t + amplitude * Math.sin(angle) + 0.4 * amplitude * Math.cos(2 * angle);
    for (const channel of channels) mu += contributions[channel.name]?.[t] ?? 0;
    target[t] = mu * (1 + options.noise * random.normal());
  }
  return { target, spend, contributions, channels };
}

/**
 * The recovery design of test/quality/fit-recovery.test.ts (and docs/model.md): 104 weeks, 10%
 * multiplicative noise, a baseline of `RECOVERY_INTERCEPT` + 100/week trend + yearly seasonality
 * (±8,000) that is about half of revenue, and three channels a media plan could have —
 * flighted TV (S-shaped, long carry-over), always-on search that varies week to week with a few
 * dark weeks (concave, short carry-over), flighted social (mildly S-shaped).
 */
export const RECOVERY_INTERCEPT = 60_000;
export const RECOVERY_CHANNELS: readonly TrueChannel[] = [
  { name: 'tv', curve: { type: 'hill', beta: 60_000, k: 20_000, s: 1.5 }, theta: 0.5, meanSpend: 20_000, pattern: 'flighted' },
  { name: 'search', curve: { type: 'hill', beta: 40_000, k: 8_000, s: 1 }, theta: 0.2, meanSpend: 10_000, pattern: 'uniform' },
  { name: 'social', curve: { type: 'hill', beta: 50_000, k: 15_000, s: 1.2 }, theta: 0.3, meanSpend: 15_000, pattern: 'flighted' },
];
