/**
 * Intervals from an ensemble of fitted models (the Bayesian-bootstrap members of ./fit-history.ts):
 * for each channel its ROI, contribution, marginal ROI at the recent spend and the steady-state
 * response at given spend points, and for the whole model the expected revenue per period at the
 * recent spend mix — all as the central `level` interval of the members' values (linear
 * interpolation between order statistics) with the median. Pure.
 */
import { curveValue } from '../curves/registry.ts';
import { decompose } from './predict.ts';
import type { FitData, FittedModel } from './types.ts';

export interface Interval {
  readonly lower: number;
  readonly median: number;
  readonly upper: number;
}

export interface ChannelIntervals {
  readonly roi: Interval;
  readonly contribution: Interval;
  readonly marginalRoi: Interval;
  /** At the given spend points, in order. */
  readonly response: readonly Interval[];
}

export interface EnsembleSummary {
  readonly level: number;
  readonly members: number;
  readonly channels: Readonly<Record<string, ChannelIntervals>>;
  /**
   * Revenue per period if every channel kept its recent average spend (steady state), on the
   * baseline of the last period: media part and total.
   */
  readonly expectedRevenue: { readonly spendPerPeriod: number; readonly media: Interval; readonly total: Interval };
}

/** The q-quantile (0 ≤ q ≤ 1) of the values, linear between order statistics; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  const fraction = position - below;
  return (sorted[below] ?? 0) * (1 - fraction) + (sorted[above] ?? 0) * fraction;
}

export function interval(values: readonly number[], level: number): Interval {
  const tail = (1 - level) / 2;
  return { lower: quantile(values, tail), median: quantile(values, 0.5), upper: quantile(values, 1 - tail) };
}

/** Media revenue per period at steady state for the recent spend, and the last period's baseline. */
function expectedAtRecentSpend(model: FittedModel, data: FitData): { media: number; baseline: number; spend: number } {
  const parts = decompose(model, data);
  const baseline = parts.baseline[parts.baseline.length - 1] ?? 0;
  let media = 0;
  let spend = 0;
  for (const channel of model.channels) {
    media += curveValue(channel.curve, channel.recentSpend);
    spend += channel.recentSpend;
  }
  return { media, baseline, spend };
}

export function summarizeEnsemble(
  members: readonly FittedModel[],
  data: FitData,
  spendPoints: Readonly<Record<string, readonly number[]>>,
  level = 0.9,
): EnsembleSummary {
  const names = members[0]?.channels.map((c) => c.name) ?? [];
  const channels: Record<string, ChannelIntervals> = {};
  for (const name of names) {
    const fitted = members.map((m) => m.channels.find((c) => c.name === name));
    const values = (pick: (c: NonNullable<(typeof fitted)[number]>) => number) => fitted.flatMap((c) => (c === undefined ? [] : [pick(c)]));
    const points = spendPoints[name] ?? [];
    channels[name] = {
      roi: interval(values((c) => c.roi), level),
      contribution: interval(values((c) => c.contribution), level),
      marginalRoi: interval(values((c) => c.marginalRoi), level),
      response: points.map((x) => interval(values((c) => curveValue(c.curve, x)), level)),
    };
  }
  const expected = members.map((m) => expectedAtRecentSpend(m, data));
  return {
    level,
    members: members.length,
    channels,
    expectedRevenue: {
      spendPerPeriod: expected[0]?.spend ?? 0,
      media: interval(expected.map((e) => e.media), level),
      total: interval(expected.map((e) => e.media + e.baseline), level),
    },
  };
}
