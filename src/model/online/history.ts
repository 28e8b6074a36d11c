/**
 * What the model predicted for each bucket of its replay window, next to what was observed: the
 * one-step-ahead forecast each bucket got before it was absorbed (so not a fit to itself), with
 * its 90% predictive interval. Everything comes from the state the model already keeps (window
 * rows, per-block innovations and their standard deviations), so it survives a restore.
 */
import { Z90 } from './response.ts';
import type { OnlineModelState } from './types.ts';

export interface BucketRecord {
  readonly start: number;
  /** Observed revenue of the bucket (all of it, attributed or not). */
  readonly revenue: number;
  /** Observed spend per channel. */
  readonly spend: Readonly<Record<string, number>>;
  /** The forecast made before the bucket was seen; null while the model could not predict yet. */
  readonly predicted: { readonly mean: number; readonly low: number; readonly high: number } | null;
}

/** One window row (index `t`) as a record. */
function recordAt(state: OnlineModelState, t: number): BucketRecord {
  const row = state.window[t]!;
  let error = 0;
  let variance = 0;
  let known = state.blocks.length > 0;
  for (const block of state.blocks) {
    const innovation = block.innovations[t];
    const sd = block.innovationSd[t];
    if (innovation === null || innovation === undefined || sd === null || sd === undefined || !Number.isFinite(innovation) || !Number.isFinite(sd)) {
      known = false;
      break;
    }
    error += innovation;
    variance += sd * sd;
  }
  const spend = Object.fromEntries(state.channels.map((id, c) => [id, row.spend[c]!]));
  if (!known) return { start: row.start, revenue: row.revenue, spend, predicted: null };
  // Innovations are y − ŷ in revenue-scaled units, summed over the blocks that split the revenue.
  const mean = row.revenue - error * state.revenueScale;
  const half = Z90 * Math.sqrt(variance) * state.revenueScale;
  return { start: row.start, revenue: row.revenue, spend, predicted: { mean, low: Math.max(0, mean - half), high: mean + half } };
}

/** The last `limit` buckets of the window, oldest first. */
export function bucketHistory(state: OnlineModelState, limit = Infinity): BucketRecord[] {
  const from = Math.max(0, state.window.length - Math.max(0, Math.floor(limit)));
  const out: BucketRecord[] = [];
  for (let t = from; t < state.window.length; t++) out.push(recordAt(state, t));
  return out;
}

/** The bucket the model absorbed last, or null before the first. */
export function lastBucketRecord(state: OnlineModelState): BucketRecord | null {
  return state.window.length === 0 ? null : recordAt(state, state.window.length - 1);
}
