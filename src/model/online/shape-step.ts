/**
 * One damped Gauss–Newton step on a channel's curve shape — adstock decay and Hill k, s, as
 * logit θ, ln k, ln s — with the linear coefficients held at their posterior mean (variable
 * projection: the reduced objective's gradient is the partial gradient there). Pure.
 *
 * Objective: ½·Σ_t w_t (y_t − ŷ_t)²/σ² + ½·Σ_p ((φ_p − centre_p)/sd_p)², w_t the forgetting
 * weights. Each channel takes its own 3×3 step (the coupling between channels is left to the
 * next update), damped Levenberg–Marquardt style and capped, then kept inside plausible ranges.
 * Where the data do not speak (no spend, β ≈ 0) the step is the prior's pull alone: shapes that
 * cannot be identified stay near the prior instead of wandering.
 */
import { choleskySolve } from '../linear-algebra.ts';
import type { MediaColumn } from './design.ts';

/** Weak priors on the unconstrained shape, spend in units of the channel's reference spend. */
export const SHAPE_PRIOR = {
  /** θ ≈ 0.3 per bucket, ±1.5 on the logit scale. */
  logitTheta: { centre: Math.log(0.3 / 0.7), sd: 1.5, min: -6, max: 4 },
  /** Half-saturation at 1.5× the reference spend, ±1 in log (×/÷ 2.7). */
  logK: { centre: Math.log(1.5), sd: 1, min: Math.log(0.05), max: Math.log(20) },
  /** s ≈ 1 (concave), ±0.5 in log: S-shapes need evidence. */
  logS: { centre: 0, sd: 0.5, min: Math.log(0.3), max: Math.log(4) },
} as const;

const DAMPING = 0.2;
const MAX_STEP = 0.1;

export interface ShapeStepInput {
  readonly media: MediaColumn;
  /** The channel's β at every row (scaled): today's, or what it was before a change point. */
  readonly beta: Float64Array;
  /** y_t − ŷ_t at the current parameters, per row. */
  readonly residual: Float64Array;
  /** Forgetting weight per row (0 for rows to leave out). */
  readonly weight: Float64Array;
  readonly noiseVariance: number;
  /** Current [logit θ, ln k, ln s]. */
  readonly current: readonly [number, number, number];
}

const PRIORS = [SHAPE_PRIOR.logitTheta, SHAPE_PRIOR.logK, SHAPE_PRIOR.logS] as const;

/** The Gauss–Newton system at the current shape: information a (3×3, data + prior) and gradient g. */
function shapeSystem(input: ShapeStepInput): { a: Float64Array; g: Float64Array } {
  const { media, beta, residual, weight, noiseVariance, current } = input;
  const columns = [media.dLogitTheta, media.dLogK, media.dLogS];
  const a = new Float64Array(9);
  const g = new Float64Array(3);
  const inverseNoise = 1 / Math.max(noiseVariance, 1e-12);
  for (let t = 0; t < residual.length; t++) {
    const w = weight[t]! * inverseNoise;
    if (w === 0) continue;
    const b = beta[t]!;
    const j0 = b * (columns[0]?.[t] ?? 0);
    const j1 = b * (columns[1]?.[t] ?? 0);
    const j2 = b * (columns[2]?.[t] ?? 0);
    const r = residual[t]!;
    g[0]! += w * j0 * r;
    g[1]! += w * j1 * r;
    g[2]! += w * j2 * r;
    a[0]! += w * j0 * j0;
    a[1]! += w * j0 * j1;
    a[2]! += w * j0 * j2;
    a[4]! += w * j1 * j1;
    a[5]! += w * j1 * j2;
    a[8]! += w * j2 * j2;
  }
  a[3] = a[1]!;
  a[6] = a[2]!;
  a[7] = a[5]!;
  for (let p = 0; p < 3; p++) {
    const prior = PRIORS[p]!;
    const precision = 1 / (prior.sd * prior.sd);
    a[p * 4]! += precision;
    g[p]! -= precision * (current[p]! - prior.centre);
  }
  return { a, g };
}

/** One damped Gauss–Newton step from `input.current`, and the shape's Laplace covariance there. */
export function shapeStepWithCovariance(input: ShapeStepInput): { next: [number, number, number]; covariance: number[]; information: number[] } {
  const { a, g } = shapeSystem(input);
  const information = Array.from(a);
  const covariance = inverse3(a) ?? priorShapeCovariance();
  for (let p = 0; p < 3; p++) a[p * 4]! *= 1 + DAMPING;
  const step = choleskySolve(a, g, 3) ?? new Float64Array(3);
  const largest = Math.max(Math.abs(step[0]!), Math.abs(step[1]!), Math.abs(step[2]!));
  const scale = largest > MAX_STEP ? MAX_STEP / largest : 1;
  const next = input.current.map((v, p) => {
    const prior = PRIORS[p]!;
    const moved = v + scale * step[p]!;
    return Number.isFinite(moved) ? Math.min(prior.max, Math.max(prior.min, moved)) : v;
  });
  return { next: [next[0]!, next[1]!, next[2]!], covariance, information };
}

export function shapeStep(input: ShapeStepInput): [number, number, number] {
  return shapeStepWithCovariance(input).next;
}

/** The inverse of a symmetric positive-definite 3×3 matrix (row-major), or null. */
export function inverse3(a: ArrayLike<number>): number[] | null {
  const out: number[] = new Array<number>(9).fill(0);
  for (let j = 0; j < 3; j++) {
    const unit = new Float64Array(3);
    unit[j] = 1;
    const column = choleskySolve(a, unit, 3);
    if (column === null) return null;
    for (let i = 0; i < 3; i++) out[i * 3 + j] = column[i]!;
  }
  return out;
}

/** The prior's covariance of the shape: diagonal, the priors' sd². */
export function priorShapeCovariance(): number[] {
  const [t, k, s] = PRIORS.map((p) => p.sd * p.sd);
  return [t!, 0, 0, 0, k!, 0, 0, 0, s!];
}
