/**
 * What the online model says about an allocation, for analysts: per channel its contribution (for
 * an additive model, exactly its Shapley value relative to zero spend: the channel's curve at its
 * spend, whatever the others spend), ROI, marginal ROI, the response curve around it, each with a
 * 90% interval; the baseline; the changes the model detected. Pure; money per bucket.
 */
import type { HillCurve } from '../curves/types.ts';
import { betaVariances, channelResponseAt, channelShape, forecastRevenue, modelCurves, type Estimate } from './response.ts';
import type { DriftEvent, OnlineModelState } from './types.ts';

export interface CurvePoint {
  readonly spend: number;
  readonly response: number;
  readonly low: number;
  readonly high: number;
}

export interface ChannelExplanation {
  readonly channel: string;
  readonly spend: number;
  readonly contribution: Estimate;
  readonly roi: Estimate;
  readonly marginalRoi: Estimate;
  readonly curve: HillCurve;
  readonly adstock: { readonly type: 'geometric'; readonly theta: number; readonly normalize: true };
  readonly spendShare: number;
  /** Share of the media revenue (Σ contributions). */
  readonly effectShare: number;
  readonly points: readonly CurvePoint[];
  /** Whether a change of this channel's response is still being re-learnt. */
  readonly adapting: boolean;
}

export interface ModelExplanation {
  /** Bucket start the figures are for. */
  readonly start: number;
  readonly total: Estimate;
  readonly baseline: Estimate;
  readonly channels: readonly ChannelExplanation[];
  /** Every change the model still remembers, oldest first, with its block's target. */
  readonly changes: readonly (DriftEvent & { readonly target: string })[];
  readonly detections: number;
  /** Residual sd of the unattributed block, money per bucket. */
  readonly noiseSd: number;
}

const POINTS = 21;

function ratio(e: Estimate, by: number): Estimate {
  if (!(by > 0)) return { mean: 0, sd: 0, low: 0, high: 0 };
  return { mean: e.mean / by, sd: e.sd / by, low: e.low / by, high: e.high / by };
}

/** `points: false` skips the curve points (the costly part), for callers that only need the estimates. */
export function explainModel(state: OnlineModelState, allocation: Readonly<Record<string, number>>, start: number, options: { readonly points?: boolean } = {}): ModelExplanation {
  const withPoints = options.points ?? true;
  const forecast = forecastRevenue(state, allocation, start);
  const curves = modelCurves(state);
  const variances = betaVariances(state);
  const totalSpend = state.channels.reduce((s, id) => s + (allocation[id] ?? 0), 0);
  const totalEffect = state.channels.reduce((s, id) => s + (forecast.channels[id]?.mean ?? 0), 0);
  const adapting = new Set(
    state.blocks.flatMap((b) => b.drift.events.filter((e) => e.settledAt === null).flatMap((e) => e.components)),
  );
  const channels = state.channels.map((id, c): ChannelExplanation => {
    const x = Object.hasOwn(allocation, id) ? allocation[id]! : 0;
    const curve = curves[id]!;
    const contribution = forecast.channels[id] ?? { mean: 0, sd: 0, low: 0, high: 0 };
    const beta = curve.beta / state.revenueScale;
    const betaVariance = variances[c]!;
    const marginalRoi = channelResponseAt(state, c, beta, betaVariance, x).slope;
    const top = 2 * Math.max(x, state.spendScale[c]!);
    const points = Array.from({ length: withPoints ? POINTS : 0 }, (_, i): CurvePoint => {
      const spend = (top * i) / (POINTS - 1);
      const { value } = channelResponseAt(state, c, beta, betaVariance, spend);
      return { spend, response: value.mean, low: value.low, high: value.high };
    });
    return {
      channel: id,
      spend: x,
      contribution,
      roi: ratio(contribution, x),
      marginalRoi,
      curve,
      adstock: { type: 'geometric', theta: channelShape(state, c).theta, normalize: true },
      spendShare: totalSpend > 0 ? x / totalSpend : 0,
      effectShare: totalEffect > 0 ? contribution.mean / totalEffect : 0,
      points,
      adapting: adapting.has(id),
    };
  });
  const changes = state.blocks.flatMap((b) =>
    b.drift.events.map((e) => ({ ...e, target: b.target.kind === 'attributed' ? `attributed:${b.target.channel}` : 'revenue' })),
  ).sort((a, b) => a.onset - b.onset);
  return {
    start,
    total: forecast.total,
    baseline: forecast.baseline,
    channels,
    changes,
    detections: state.blocks.reduce((s, b) => s + b.drift.detections, 0),
    noiseSd: Math.sqrt(state.blocks[0]?.noiseVariance ?? Number.NaN) * state.revenueScale,
  };
}
