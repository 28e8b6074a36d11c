/**
 * A synthetic hourly market with exactly the online model's structure, for its tests: revenue =
 * baseline·(1 + daily sine) + Σ β_c·hill(adstock_c(x_c)) + noise, normalised geometric adstock per
 * bucket. Spend varies around each channel's reference (an exploration design) so curves can be
 * identified; `factor` lets a test change a channel's response from some bucket on.
 */
import type { HillCurve } from '../../../../src/model/curves/types.ts';
import { curveValue } from '../../../../src/model/curves/registry.ts';
import type { ModelBucket } from '../../../../src/model/online/types.ts';
import { seededRandom } from '../../../../src/random.ts';

export const HOUR = 3_600_000;
export const START = Date.parse('2026-03-02T00:00:00Z');

export interface TrueChannel {
  readonly id: string;
  readonly curve: HillCurve;
  readonly theta: number;
  readonly reference: number;
}

export const CHANNELS: readonly TrueChannel[] = [
  { id: 'search', curve: { type: 'hill', beta: 3000, k: 700, s: 1 }, theta: 0.3, reference: 600 },
  { id: 'social', curve: { type: 'hill', beta: 2400, k: 600, s: 1.6 }, theta: 0.5, reference: 500 },
  { id: 'display', curve: { type: 'hill', beta: 700, k: 400, s: 1 }, theta: 0.4, reference: 300 },
];

export interface MarketOptions {
  readonly seed: number;
  readonly buckets: number;
  /** Relative sd of revenue noise (default 0.03). */
  readonly noise?: number;
  /** Spend varies uniformly in reference·[1 − spread, 1 + spread] (default 0.5). */
  readonly spread?: number;
  readonly baseline?: number;
  readonly channels?: readonly TrueChannel[];
  /** Response multiplier of a channel in bucket t (default 1). */
  readonly factor?: (channel: string, t: number) => number;
  /** Share of each channel's response that sales events attribute to it (default: none). */
  readonly attributed?: Readonly<Record<string, number>>;
}

/** The market's buckets and, per bucket, the revenue it would have had without noise. */
export interface SyntheticMarket {
  readonly buckets: ModelBucket[];
  readonly expected: number[];
}

export function syntheticBuckets(options: MarketOptions): ModelBucket[] {
  return syntheticMarket(options).buckets;
}

export function syntheticMarket(options: MarketOptions): SyntheticMarket {
  const random = seededRandom(options.seed);
  const channels = options.channels ?? CHANNELS;
  const spread = options.spread ?? 0.5;
  const noise = options.noise ?? 0.03;
  const baseline = options.baseline ?? 2000;
  const adstock = channels.map((c) => c.reference);
  const out: ModelBucket[] = [];
  const expected: number[] = [];
  for (let t = 0; t < options.buckets; t++) {
    const start = START + t * HOUR;
    const spend: Record<string, number> = {};
    const attributedRevenue: Record<string, number> = {};
    const hour = ((start + HOUR / 2) % 86_400_000) / 86_400_000;
    let mean = baseline * (1 + 0.25 * Math.sin(2 * Math.PI * hour));
    let attributedTotal = 0;
    channels.forEach((c, i) => {
      const x = c.reference * (1 - spread + 2 * spread * random.next());
      spend[c.id] = x;
      adstock[i] = c.theta * adstock[i]! + (1 - c.theta) * x;
      const response = curveValue(c.curve, adstock[i]!) * (options.factor?.(c.id, t) ?? 1);
      mean += response;
      const share = options.attributed?.[c.id];
      if (share !== undefined) {
        attributedRevenue[c.id] = share * response;
        attributedTotal += share * response;
      }
    });
    const revenue = Math.max(0, mean * (1 + noise * random.normal()));
    expected.push(mean);
    out.push({ start, revenue, spend, ...(attributedTotal > 0 ? { attributedRevenue } : {}) });
  }
  return { buckets: out, expected };
}

/** The true marginal ROI of a channel at spend x (steady state). */
export function trueMarginal(channel: TrueChannel, x: number, h = 1e-3): number {
  return (curveValue(channel.curve, x + h) - curveValue(channel.curve, x - h)) / (2 * h);
}
