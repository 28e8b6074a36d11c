import type { CurveSpec } from '../model/curves/types.ts';

/** One channel of an allocation problem. Spend is per period, in the portfolio's currency. */
export interface ChannelProblem {
  readonly id: string;
  readonly curve: CurveSpec;
  /** Lowest spend (default 0). */
  readonly min: number;
  /** Highest spend; Infinity for no cap. */
  readonly max: number;
  /** Spend now; `maxChange` limits how far the new spend may move from it. */
  readonly current?: number;
  /** Fixed at `current` (which is then required). */
  readonly locked?: boolean;
  /** Id of the group the channel belongs to (at most one). */
  readonly group?: string;
}

/** Bounds on the total spend of a set of channels. */
export interface GroupConstraint {
  readonly id: string;
  readonly min?: number;
  readonly max?: number;
}

export type Objective = 'revenue' | 'profit';

/**
 * Maximise Σ fᵢ(xᵢ) (revenue) or margin·Σ fᵢ(xᵢ) − Σ xᵢ (profit) over channel spends, subject to
 * the budget (spent exactly for revenue, at most for profit, less for either when `minRoas`
 * demands it), channel bounds, the max change per step, locks, group bounds and a ROAS floor.
 */
export interface AllocationProblem {
  readonly budget: number;
  readonly objective?: Objective;
  readonly channels: readonly ChannelProblem[];
  readonly groups?: readonly GroupConstraint[];
  /** Each channel with `current` stays within ±maxChange·current (a fraction, e.g. 0.2). */
  readonly maxChange?: number | null;
  /** Σ fᵢ / Σ xᵢ must be at least this. */
  readonly minRoas?: number | null;
  /** Revenue → profit factor; required for the profit objective. */
  readonly margin?: number | null;
}

/** How the answer was found: exact (concave), envelope + recovery (S-shaped), or annealing. */
export type SolverPath = 'exact' | 'envelope' | 'annealing';

export interface AllocationResult {
  readonly allocation: Readonly<Record<string, number>>;
  readonly spend: number;
  /** Σ fᵢ(xᵢ). */
  readonly response: number;
  /** The maximised quantity: `response` (revenue) or margin·response − spend (profit). */
  readonly objective: number;
  /** No feasible allocation has a higher objective than this (a Lagrangian dual bound). */
  readonly upperBound: number;
  /** (upperBound − objective) / |upperBound|: the certified optimality gap, ≥ 0. */
  readonly gap: number;
  /** f′ᵢ(xᵢ) per channel at the allocation. */
  readonly marginalRoi: Readonly<Record<string, number>>;
  /**
   * Revenue per extra unit of spend at the optimum (the budget's Lagrange multiplier, of the
   * concave relaxation for S-shaped curves): the slope of the efficient frontier. Null when no
   * price supports the answer (nothing can move).
   */
  readonly budgetPrice: number | null;
  /** Constraints that hold with equality: `budget`, `min:<id>`, `max:<id>`, `maxChange:<id>`, `locked:<id>`, `groupMin:<g>`, `groupMax:<g>`, `minRoas`. */
  readonly binding: readonly string[];
  /** Adjustments made to the problem as stated (only with `relaxMaxChange`). */
  readonly relaxations: readonly string[];
  readonly solver: SolverPath;
  /** Root-finding steps (exact/envelope) or annealing moves. */
  readonly iterations: number;
}

export interface SolveOptions {
  /** Annealing moves for the polish (and the annealing path). Default 2000. */
  readonly iterations?: number;
  readonly seed?: number;
  /** 'auto' picks exact or envelope; 'annealing' forces the general method (warm-started). */
  readonly method?: 'auto' | 'annealing';
  /** Where annealing starts from (default: `current`, else the envelope solution). */
  readonly warmStart?: Readonly<Record<string, number>>;
  /** Drop the max-change band (and say so) when it makes the problem infeasible. Off by default. */
  readonly relaxMaxChange?: boolean;
}
