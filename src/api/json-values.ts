/**
 * How figures go out as JSON: times as ISO-8601, and a non-finite figure as null, never as a
 * number that looks like a measurement.
 */
import type { Estimate } from '../model/online/response.ts';

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);

export interface ShownEstimate {
  readonly mean: number | null;
  readonly sd: number | null;
  readonly low: number | null;
  readonly high: number | null;
}

export const shownEstimate = (e: Estimate): ShownEstimate => ({ mean: finite(e.mean), sd: finite(e.sd), low: finite(e.low), high: finite(e.high) });
