import type { PortfolioConfig } from '../config/types.ts';
import { projectOntoBudget } from '../optimizer/bounds.ts';

export type AllocationStatus = 'initial' | 'learning' | 'optimized' | 'held' | 'paused';

/**
 * A guardrail that shaped a decision: the learning phase, an unhealthy model, the hold after a
 * detected change, the kill switch, the max change per step, the period's budget cap, a channel
 * bound, a minimum ROAS. Counted (metrics) and named in the reasons.
 */
export type GuardrailKind = 'learning' | 'unhealthy' | 'hold_after_change' | 'paused' | 'max_change' | 'budget_cap' | 'bounds' | 'min_roas';

/** A portfolio's current allocation, as the API shows it and the next reoptimization starts from. */
export interface PortfolioAllocation {
  /** 0 until the first reallocation is published; then its data cut-off in Unix seconds. */
  readonly version: number;
  readonly status: AllocationStatus;
  readonly budgets: Readonly<Record<string, number>>;
  readonly expectedRevenue: Readonly<Record<string, number>>;
  readonly marginalRoi: Readonly<Record<string, number>>;
  /** Marginal ROI per channel at the previous allocation, as the decision saw it (NaN without a model). */
  readonly marginalRoiBefore: Readonly<Record<string, number>>;
  readonly reasons: Readonly<Record<string, string>>;
  /** One sentence for the whole portfolio. */
  readonly summary: string;
  readonly portfolioExpectedRevenue: number;
  readonly effectiveFrom: number | null;
  readonly effectiveUntil: number | null;
  readonly decidedAt: number | null;
  readonly solver: string;
  /**
   * Certified optimality gap of the allocation under the model, (bound − objective)/bound; null
   * while nothing was optimized (initial allocation, learning phase).
   */
  readonly gap: number | null;
  readonly binding: readonly string[];
  /** The guardrails that intervened in this decision (empty when none did). */
  readonly guardrails: readonly GuardrailKind[];
}

/** Channel bounds as arrays in channel order; `max: null` is no cap. */
export function channelBounds(portfolio: PortfolioConfig): { lo: Float64Array; hi: Float64Array } {
  return {
    lo: Float64Array.from(portfolio.channels, (c) => c.min),
    hi: Float64Array.from(portfolio.channels, (c) => c.max ?? Infinity),
  };
}

/**
 * The allocation before anything is learned: configured shares, the rest split evenly among
 * channels without one, then made to respect min/max and sum to the budget.
 */
export function initialBudgets(portfolio: PortfolioConfig): Record<string, number> {
  const fixed = portfolio.channels.reduce((s, c) => s + (c.initialShare ?? 0), 0);
  const open = portfolio.channels.filter((c) => c.initialShare === null).length;
  const rest = open > 0 ? Math.max(0, 1 - fixed) / open : 0;
  const wanted = portfolio.channels.map((c) => (c.initialShare ?? rest) * portfolio.budget);
  const { lo, hi } = channelBounds(portfolio);
  const budget = Math.min(portfolio.budget, hi.reduce((s, v) => s + v, 0));
  const x = projectOntoBudget(wanted, lo, hi, budget);
  return roundToCents(Object.fromEntries(portfolio.channels.map((c, i) => [c.id, x[i]!])), portfolio, budget);
}

/**
 * Rounds budgets to cents keeping their sum equal to `total` (rounded) and each within its
 * bounds: the cents lost or gained by rounding go to channels that have room, largest first.
 * `band` (optional, per channel id) is a softer range such as the max-change band around the
 * current spend: leftover cents go to channels with room inside it first, and only spill past
 * it when no channel has room left.
 */
export function roundToCents(
  budgets: Record<string, number>,
  portfolio: PortfolioConfig,
  total: number,
  band?: Readonly<Record<string, { lo: number; hi: number }>>,
): Record<string, number> {
  const out: Record<string, number> = {};
  const loCents = (c: PortfolioConfig['channels'][number]) => Math.ceil(c.min * 100 - 1e-6);
  const hiCents = (c: PortfolioConfig['channels'][number]) => (c.max === null ? Infinity : Math.floor(c.max * 100 + 1e-6));
  let cents = Math.round(total * 100);
  for (const c of portfolio.channels) {
    const v = Math.min(hiCents(c), Math.max(loCents(c), Math.round((budgets[c.id] ?? 0) * 100)));
    out[c.id] = v;
    cents -= v;
  }
  const order = [...portfolio.channels].sort((a, b) => (out[b.id] ?? 0) - (out[a.id] ?? 0));
  const place = (lo: (c: PortfolioConfig['channels'][number]) => number, hi: (c: PortfolioConfig['channels'][number]) => number) => {
    for (const c of order) {
      if (cents === 0) return;
      const v = out[c.id]!;
      // Never pull a value back into a range it is already outside of: only move towards it.
      const next = Math.min(Math.max(v, hi(c)), Math.max(Math.min(v, lo(c)), v + cents));
      cents -= next - v;
      out[c.id] = next;
    }
  };
  if (band) {
    place(
      (c) => Math.max(loCents(c), Math.round((band[c.id]?.lo ?? -Infinity) * 100)),
      (c) => Math.min(hiCents(c), Math.round((band[c.id]?.hi ?? Infinity) * 100)),
    );
  }
  place(loCents, hiCents);
  for (const id of Object.keys(out)) out[id] = out[id]! / 100;
  return out;
}
