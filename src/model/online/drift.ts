/**
 * Change detection on a block's one-step-ahead errors, and what a change is blamed on. Pure.
 *
 * Every bucket the model first predicts the new bucket's revenue from what it knew before (the
 * innovation e = y − ŷ, standardised by its predictive sd). A two-sided CUSUM with reference
 * value κ = 0.5 accumulates evidence of a persistent shift: S⁺ ← max(0, S⁺ + e − κ),
 * S⁻ ← max(0, S⁻ − e − κ); an alarm is S > threshold. The onset is where the alarming run began.
 *
 * Attribution: the shift since the onset is regressed on each candidate's regressor — 1 for the
 * baseline, the Hill value h_t for a channel — and each candidate's score statistic
 * (Σ e_t g_t)² / Σ g_t² (a 1-degree-of-freedom χ²) says how well a change of that coefficient
 * alone explains the errors. Every candidate within ATTRIBUTION_MARGIN of the best is blamed:
 * when spend barely varied since the onset, a channel change and a baseline change look the
 * same, and the model says so and re-learns all of them rather than guessing.
 */
import type { DriftState } from './types.ts';

export const CUSUM_REFERENCE = 0.5;
export const ATTRIBUTION_MARGIN = 6;
/** Rows a block needs before its errors are watched (its predictions are poor before). */
export const DRIFT_WARMUP_ROWS = 24;
/** Consecutive quiet buckets after which an adapting component counts as settled. */
export const SETTLE_BUCKETS = 24;

export function initialDriftState(): DriftState {
  return { upper: 0, lower: 0, upperSince: null, lowerSince: null, quiet: 0, events: [], detections: 0 };
}

export interface CusumResult {
  readonly state: DriftState;
  /** Set when this bucket raised an alarm. */
  readonly alarm?: { readonly direction: 'up' | 'down'; readonly onset: number; readonly statistic: number };
}

/** Advances the CUSUM by one standardised error observed in the bucket starting at `start`. */
export function cusumStep(state: DriftState, error: number, start: number, threshold: number): CusumResult {
  const upperRaw = state.upper + error - CUSUM_REFERENCE;
  const lowerRaw = state.lower - error - CUSUM_REFERENCE;
  const upper = Math.max(0, upperRaw);
  const lower = Math.max(0, lowerRaw);
  const upperSince = upper === 0 ? null : (state.upperSince ?? start);
  const lowerSince = lower === 0 ? null : (state.lowerSince ?? start);
  const quiet = Math.max(upper, lower) < threshold / 2 ? state.quiet + 1 : 0;
  const next: DriftState = { ...state, upper, lower, upperSince, lowerSince, quiet };
  if (upper > threshold || lower > threshold) {
    const direction = upper >= lower ? 'up' : 'down';
    const onset = (direction === 'up' ? upperSince : lowerSince) ?? start;
    return {
      state: { ...next, upper: 0, lower: 0, upperSince: null, lowerSince: null, quiet: 0, detections: state.detections + 1 },
      alarm: { direction, onset, statistic: Math.max(upper, lower) },
    };
  }
  return { state: next };
}

export interface Candidate {
  readonly name: string;
  /** The candidate's regressor on the rows since the onset. */
  readonly values: ArrayLike<number>;
}

/** The candidates blamed for a shift in the standardised errors `errors` (same rows as the values). */
export function attributeShift(errors: ArrayLike<number>, candidates: readonly Candidate[]): string[] {
  const scores = candidates.map(({ name, values }) => {
    let cross = 0;
    let square = 0;
    for (let t = 0; t < errors.length; t++) {
      const g = values[t] ?? 0;
      cross += (errors[t] ?? 0) * g;
      square += g * g;
    }
    return { name, score: square > 1e-12 ? (cross * cross) / square : -Infinity };
  });
  const best = Math.max(...scores.map((s) => s.score));
  if (!Number.isFinite(best)) return [];
  return scores.filter((s) => s.score >= best - ATTRIBUTION_MARGIN).map((s) => s.name);
}
