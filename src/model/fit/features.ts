/**
 * The baseline's linear features, shared by the fit (scaled) and `predict` (raw): per period t
 * (counted from the first fitted period) the row is
 *   1, t, then per Fourier block and h = 1..order: sin(2π·h·t/period), cos(2π·h·t/period),
 *   then the controls.
 * The fit rescales the time column to t/(T−1) and the controls by their scale factors.
 */
import type { SeasonalitySpec } from './types.ts';

export interface FourierTerm {
  readonly period: number;
  readonly harmonic: number;
  readonly kind: 'sin' | 'cos';
}

export function fourierTerms(blocks: readonly SeasonalitySpec[]): FourierTerm[] {
  const terms: FourierTerm[] = [];
  for (const { period, order } of blocks) {
    for (let h = 1; h <= order; h++) {
      terms.push({ period, harmonic: h, kind: 'sin' }, { period, harmonic: h, kind: 'cos' });
    }
  }
  return terms;
}

export function fourierValue(term: FourierTerm, t: number): number {
  const angle = (2 * Math.PI * term.harmonic * t) / term.period;
  return term.kind === 'sin' ? Math.sin(angle) : Math.cos(angle);
}

/** Periods per year for a frequency, and the default Fourier blocks (yearly for weekly data). */
export function defaultSeasonality(frequency: 'hourly' | 'daily' | 'weekly'): SeasonalitySpec[] {
  if (frequency === 'weekly') return [{ period: 365.25 / 7, order: 2 }];
  if (frequency === 'daily') return [{ period: 7, order: 2 }, { period: 365.25, order: 2 }];
  return [{ period: 24, order: 3 }, { period: 168, order: 2 }];
}
