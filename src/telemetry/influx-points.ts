/**
 * What spendflow writes to InfluxDB, as points: the schema (measurements, tags, fields) in one
 * place, and the pure functions that turn pipeline signals into points. Timestamps are event
 * time in milliseconds (the bucket's or the decision's time), so history lines up with the data
 * it came from, not with when spendflow happened to process it.
 */
import type { PortfolioConfig } from '../config/types.ts';
import { explainModel } from '../model/online/explain.ts';
import { lastBucketRecord } from '../model/online/history.ts';
import { isFitted } from '../model/online/response.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import type { PortfolioAllocation } from '../pipeline/allocation-state.ts';

export interface HistoryPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, number | string>>;
  /** Epoch milliseconds. */
  readonly timestamp: number;
}

/** Every measurement with its tags and fields (the boards and their tests read this). */
export const INFLUX_SCHEMA = {
  allocation: { tags: ['portfolio', 'channel', 'platform'], fields: ['budget', 'share', 'expected_revenue', 'marginal_roi', 'version'] },
  portfolio: { tags: ['portfolio'], fields: ['budget', 'allocated', 'utilisation', 'expected_revenue', 'gap', 'version', 'status', 'guardrails'] },
  bucket: { tags: ['portfolio'], fields: ['revenue', 'spend', 'predicted', 'predicted_low', 'predicted_high'] },
  bucket_spend: { tags: ['portfolio', 'channel'], fields: ['spend'] },
  channel_model: {
    tags: ['portfolio', 'channel'],
    fields: ['roi', 'roi_low', 'roi_high', 'marginal_roi', 'marginal_roi_low', 'marginal_roi_high', 'contribution', 'beta', 'k', 's', 'theta'],
  },
} as const;

export type Measurement = keyof typeof INFLUX_SCHEMA;

/** Only finite numbers become fields: InfluxDB refuses NaN and infinities. */
function numbers(fields: Record<string, number | string | null | undefined>): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) out[k] = v;
  }
  return out;
}

/**
 * One `portfolio` point and one `allocation` point per channel for a decision, at its event time
 * `at` (the data cut-off, so every decision of a portfolio has its own time: the allocation's
 * effectiveFrom would not do, since decisions that keep the allocation keep it too).
 */
export function allocationPoints(portfolio: PortfolioConfig, allocation: PortfolioAllocation, budget: number, at: number): HistoryPoint[] {
  if (!Number.isSafeInteger(at)) return [];
  const timestamp = at;
  const allocated = portfolio.channels.reduce((sum, c) => sum + (allocation.budgets[c.id] ?? 0), 0);
  const points: HistoryPoint[] = portfolio.channels.map((c) => ({
    measurement: 'allocation',
    tags: { portfolio: portfolio.id, channel: c.id, platform: c.platform },
    fields: numbers({
      budget: allocation.budgets[c.id] ?? 0,
      share: allocated > 0 ? (allocation.budgets[c.id] ?? 0) / allocated : 0,
      expected_revenue: allocation.expectedRevenue[c.id],
      marginal_roi: allocation.marginalRoi[c.id],
      version: Math.trunc(allocation.version),
    }),
    timestamp,
  }));
  points.push({
    measurement: 'portfolio',
    tags: { portfolio: portfolio.id },
    fields: numbers({
      budget,
      allocated,
      utilisation: budget > 0 ? allocated / budget : 0,
      expected_revenue: allocation.portfolioExpectedRevenue,
      gap: allocation.gap,
      version: Math.trunc(allocation.version),
      status: allocation.status,
      guardrails: allocation.guardrails.join(','),
    }),
    timestamp,
  });
  return points;
}

/**
 * The bucket the model just absorbed: observed revenue and spend, the forecast it had been given,
 * and per channel the model's estimates after absorbing it, at the allocation now in force.
 */
export function bucketPoints(portfolioId: string, model: OnlineModelState, budgets: Readonly<Record<string, number>>): HistoryPoint[] {
  const record = lastBucketRecord(model);
  if (record === null) return [];
  const timestamp = record.start;
  const totalSpend = Object.values(record.spend).reduce((a, b) => a + b, 0);
  const points: HistoryPoint[] = [
    {
      measurement: 'bucket',
      tags: { portfolio: portfolioId },
      fields: numbers({
        revenue: record.revenue,
        spend: totalSpend,
        predicted: record.predicted?.mean,
        predicted_low: record.predicted?.low,
        predicted_high: record.predicted?.high,
      }),
      timestamp,
    },
  ];
  for (const [channel, spend] of Object.entries(record.spend)) {
    points.push({ measurement: 'bucket_spend', tags: { portfolio: portfolioId, channel }, fields: numbers({ spend }), timestamp });
  }
  if (!isFitted(model)) return points;
  const explained = explainModel(model, budgets, (model.lastBucket ?? timestamp) + model.bucketMs, { points: false });
  for (const c of explained.channels) {
    points.push({
      measurement: 'channel_model',
      tags: { portfolio: portfolioId, channel: c.channel },
      fields: numbers({
        roi: c.roi.mean,
        roi_low: c.roi.low,
        roi_high: c.roi.high,
        marginal_roi: c.marginalRoi.mean,
        marginal_roi_low: c.marginalRoi.low,
        marginal_roi_high: c.marginalRoi.high,
        contribution: c.contribution.mean,
        beta: c.curve.beta,
        k: c.curve.k,
        s: c.curve.s,
        theta: c.adstock.theta,
      }),
      timestamp,
    });
  }
  return points;
}
