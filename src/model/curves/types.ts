import type { FieldProblem } from '../../errors.ts';

/**
 * A response curve as data: `{ type: 'hill', beta, k, s }` travels through config, Kafka and the
 * API unchanged. Spend is in currency units per allocation period; response is revenue per period.
 */
export type CurveSpec = HillCurve | ExpCurve | LogCurve;

/** β·xˢ/(xˢ + kˢ): concave for s ≤ 1, S-shaped for s > 1. */
export interface HillCurve {
  readonly type: 'hill';
  readonly beta: number;
  readonly k: number;
  readonly s: number;
}

/** β·(1 − e^(−x/k)). */
export interface ExpCurve {
  readonly type: 'exp';
  readonly beta: number;
  readonly k: number;
}

/** β·ln(1 + x/k). */
export interface LogCurve {
  readonly type: 'log';
  readonly beta: number;
  readonly k: number;
}

export type CurveType = CurveSpec['type'];

/** What every registered curve family provides. */
export interface CurveFamily<C extends CurveSpec = CurveSpec> {
  readonly type: C['type'];
  /** Names of the numeric parameters, in a fixed order. */
  readonly params: readonly (keyof Omit<C, 'type'> & string)[];
  value(curve: C, x: number): number;
  /** d value / dx. */
  derivative(curve: C, x: number): number;
  /** Whether f is concave on [0, ∞) for these parameters. */
  isConcave(curve: C): boolean;
  /**
   * Where f stops being convex: f is concave on [inflection, ∞) and f′ decreases there. 0 for
   * concave curves; the solver builds concave envelopes from it for S-shaped ones.
   */
  inflection(curve: C): number;
  /**
   * The x ≥ inflection with f′(x) = p on the decreasing branch of f′: Infinity for p ≤ 0, the
   * inflection point when p is at least f′ there. The exact solver's workhorse. `near`, when
   * given, is a guess (the answer at a nearby p) that numeric families start from.
   */
  inverseDerivative(curve: C, p: number, near?: number): number;
  /** d ln f′(x) / dx = f″(x)/f′(x) (negative where f is concave): how fast returns fall off. */
  logDerivativeSlope(curve: C, x: number): number;
  /** Field problems with the parameters (empty when valid). */
  validate(curve: C): FieldProblem[];
}
