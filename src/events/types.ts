/**
 * The events spendflow reads and writes. On the wire they are JSON objects keyed by
 * `portfolioId`; inside, times are epoch milliseconds. See docs/events.md.
 */

/** Money spent on one channel of one portfolio, as reported by an ad platform. */
export interface SpendEvent {
  readonly kind: 'spend';
  readonly eventId: string;
  readonly portfolioId: string;
  readonly channelId: string;
  readonly platform: string;
  /** Event time, epoch ms. */
  readonly ts: number;
  readonly amount: number;
  readonly currency: string;
  readonly impressions?: number;
  readonly clicks?: number;
}

/** Revenue from orders; attributed to a channel when `channelId` is present. */
export interface SalesEvent {
  readonly kind: 'sales';
  readonly eventId: string;
  readonly portfolioId: string;
  readonly ts: number;
  readonly revenue: number;
  readonly orders: number;
  readonly currency?: string;
  readonly channelId?: string;
}

export type InputEvent = SpendEvent | SalesEvent;
export type InputKind = InputEvent['kind'];

/** One channel's budget for the next period: what spendflow tells an ad platform. */
export interface ReallocationEvent {
  /**
   * `<portfolioId>:<version>:<channelId>`: the same decision always has the same id (also when it
   * is published again after a retry or a restart), so consumers can de-duplicate.
   */
  readonly eventId: string;
  readonly portfolioId: string;
  readonly channelId: string;
  readonly platform: string;
  readonly currency: string;
  /**
   * The data cut-off of the decision in Unix seconds (= `dataUntil`): every bucket before it was
   * closed and used. Strictly increasing per portfolio, derived from event time, so it survives
   * restarts; every channel of one reallocation shares it. Apply the highest version seen. (A
   * reoptimization asked for through the API, with no new data, takes the previous version + 1.)
   */
  readonly version: number;
  /**
   * The version this one replaces (0 for the first): a consumer that saw every reallocation of a
   * portfolio sees an unbroken chain, so a gap is detectable.
   */
  readonly previousVersion: number;
  /** End of the last closed bucket the decision used (ISO-8601). */
  readonly dataUntil: string;
  /**
   * Budget per period from `effectiveFrom` on. It holds until a newer version replaces it
   * (spendflow publishes only when the allocation changes); `effectiveUntil` ends the first period.
   */
  readonly budget: number;
  readonly previousBudget: number;
  readonly effectiveFrom: string;
  readonly effectiveUntil: string;
  /** Revenue this channel is expected to bring in the period at `budget` (null if the model has no finite figure). */
  readonly expectedRevenue: number | null;
  /** d revenue / d spend at `budget`; null when unbounded (a Hill curve with s < 1 at zero spend) or unknown. */
  readonly marginalRoi: number | null;
  readonly portfolioBudget: number;
  readonly portfolioExpectedRevenue: number | null;
  /** Plain words: what moved and why, or which guardrail held it. */
  readonly reason: string;
  /** The guardrails that shaped this decision: learning, unhealthy, hold_after_change, max_change, budget_cap, bounds, min_roas. */
  readonly guardrails: readonly string[];
  /** How the allocation was found: `none` (initial), `exact`, `envelope` or `annealing`. */
  readonly solver: string;
  /**
   * Certified optimality gap under the model, (bound − objective)/bound for the media response:
   * no allocation within the constraints does more than this fraction better, as far as the
   * model knows. Null for the initial allocation.
   */
  readonly gap: number | null;
  /** Event time (the watermark) at which the decision was made. */
  readonly decidedAt: string;
}

/** A record that could not be used, with why, and the original bytes as text. */
export interface DeadLetter {
  /** Stable code: wrong_partition (keyed to a partition that does not own the portfolio), too_large, malformed_json, invalid, unknown_portfolio, unknown_channel, late, internal (a bug: see the logs). */
  readonly reason: DeadLetterReason;
  readonly error: string;
  readonly fields: readonly { field: string; message: string }[];
  readonly source: { readonly topic: string; readonly partition?: number; readonly offset?: string };
  readonly key: string | null;
  readonly payload: string;
  readonly receivedAt: string;
}

export type DeadLetterReason = 'wrong_partition' | 'too_large' | 'malformed_json' | 'invalid' | 'unknown_portfolio' | 'unknown_channel' | 'late' | 'internal';
