import type { CurveSpec } from '../model/curves/types.ts';

/** One channel of an allocation problem. Spend is per period, in the portfolio's currency. */
export interface ChannelProblem {
  readonly id: string;
  readonly curve: CurveSpec;
  readonly min: number;
  /** Infinity for no cap. */
  readonly max: number;
  /** Spend now; `maxChange` limits how far the new spend may move from it. */
  readonly current?: number;
}

/** Maximise Σ fᵢ(xᵢ) subject to Σ xᵢ = budget and the channel bounds. */
export interface AllocationProblem {
  readonly budget: number;
  readonly channels: readonly ChannelProblem[];
  /** Each channel with `current` stays within ±maxChange·current (a fraction, e.g. 0.2). */
  readonly maxChange?: number;
}

export interface AllocationResult {
  readonly allocation: Readonly<Record<string, number>>;
  readonly spend: number;
  readonly response: number;
  readonly objective: number;
  /** f′(xᵢ) per channel at the allocation. */
  readonly marginalRoi: Readonly<Record<string, number>>;
  /** Constraints that hold with equality: `budget`, `min:<id>`, `max:<id>`, `maxChange:<id>`. */
  readonly binding: readonly string[];
  /** Adjustments made because the problem as stated had no feasible point. */
  readonly relaxations: readonly string[];
  readonly solver: string;
  readonly iterations: number;
}

export interface SolveOptions {
  readonly iterations: number;
  readonly seed: number;
}
