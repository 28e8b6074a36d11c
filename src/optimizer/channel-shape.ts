/**
 * One channel as the exact solver sees it: its feasible box [lo, hi] and the concave envelope of
 * its response curve over that box. For a concave curve the envelope is the curve; for an
 * S-shaped one it is a straight line from (lo, f(lo)) to the tangent point t, then the curve
 * (or a single chord when t lies beyond hi). `demand(π)` is the spend that maximises
 * envelope(x) − π·x on the box: the channel's answer to a price π per unit of spend.
 */
import { curveDerivative, curveInflection, curveInverseDerivative, curveLogDerivativeSlope, curveValue } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';

export type ShapeKind = 'concave' | 'sshape' | 'linear';

export interface ChannelShape {
  readonly curve: CurveSpec;
  readonly lo: number;
  readonly hi: number;
  readonly kind: ShapeKind;
  /** Where the concave part starts: lo (concave), the tangent point (sshape), hi (linear). */
  readonly knee: number;
  /** Slope of the straight part [lo, knee]; NaN for concave. */
  readonly slope: number;
  /** f′ at the knee and at hi (0 when hi = ∞). */
  readonly dKnee: number;
  readonly dHi: number;
  /** Last answer of the inverse derivative: a warm start for the next one. */
  hint: number;
}

/** The tangent point t > inflection of the line from (lo, f(lo)): f′(t)·(t − lo) = f(t) − f(lo). */
export function tangentPoint(curve: CurveSpec, lo: number): number {
  const inflection = curveInflection(curve);
  if (lo === 0 && curve.type === 'hill' && curve.s > 1) return curve.k * Math.pow(curve.s - 1, 1 / curve.s);
  const fLo = curveValue(curve, lo);
  const phi = (t: number) => curveValue(curve, t) - fLo - curveDerivative(curve, t) * (t - lo);
  let a = Math.max(lo, inflection);
  let b = Math.max(a * 2, a + 1);
  while (phi(b) < 0 && b < 1e300) b *= 2;
  let fa = phi(a);
  let fb = phi(b);
  // Illinois (regula falsi that halves the stale end) inside the bracket.
  let side = 0;
  for (let i = 0; i < 200 && b - a > 1e-13 * b; i++) {
    let c = (a * fb - b * fa) / (fb - fa);
    if (!(c > a && c < b)) c = (a + b) / 2;
    const fc = phi(c);
    if (fc < 0) {
      a = c;
      fa = fc;
      if (side === -1) fb /= 2;
      side = -1;
    } else {
      b = c;
      fb = fc;
      if (side === 1) fa /= 2;
      side = 1;
    }
  }
  return (a + b) / 2;
}

export function channelShape(curve: CurveSpec, lo: number, hi: number): ChannelShape {
  const dHi = Number.isFinite(hi) ? curveDerivative(curve, hi) : 0;
  const inflection = curveInflection(curve);
  if (hi <= lo || lo >= inflection) {
    return { curve, lo, hi, kind: 'concave', knee: lo, slope: NaN, dKnee: curveDerivative(curve, lo), dHi, hint: lo };
  }
  const t = tangentPoint(curve, lo);
  if (t >= hi) {
    const slope = (curveValue(curve, hi) - curveValue(curve, lo)) / (hi - lo);
    return { curve, lo, hi, kind: 'linear', knee: hi, slope, dKnee: slope, dHi: slope, hint: hi };
  }
  const slope = curveDerivative(curve, t);
  return { curve, lo, hi, kind: 'sshape', knee: t, slope, dKnee: slope, dHi, hint: t };
}

/**
 * The spend maximising envelope(x) − π·x on the box. Where that is an interval (π equal to the
 * straight part's slope), `up` picks its top end, otherwise its bottom end.
 */
export function demand(sh: ChannelShape, price: number, up: boolean): number {
  if (sh.kind !== 'concave') {
    if (price > sh.slope || (price === sh.slope && !up)) return sh.lo;
    if (sh.kind === 'linear' || price === sh.slope) return sh.knee;
  }
  if (price >= sh.dKnee) return sh.knee;
  if (price <= sh.dHi) return sh.hi;
  const x = curveInverseDerivative(sh.curve, price, sh.hint);
  sh.hint = x;
  return Math.min(sh.hi, Math.max(sh.knee, x));
}

/**
 * d demand / d π at `price`, where the channel sits at `x` = demand(price): 1/f″(x) on the
 * smooth concave part (f′(x) = π there, so f″ = π·d ln f′/dx), 0 at a box end or on a straight
 * stretch (where demand jumps instead).
 */
export function demandSlope(sh: ChannelShape, price: number, x: number): number {
  if (x <= sh.knee || x >= sh.hi || (sh.kind !== 'concave' && price >= sh.slope)) return 0;
  const d = curveLogDerivativeSlope(sh.curve, x);
  return d < 0 ? 1 / (price * d) : 0;
}

/** The envelope's value: the curve, except on the straight part. */
export function envelopeValue(sh: ChannelShape, x: number): number {
  if (sh.kind !== 'concave' && x < sh.knee) return curveValue(sh.curve, sh.lo) + sh.slope * (x - sh.lo);
  return curveValue(sh.curve, x);
}

/** max over the box of f(x) − π·x (= the same for the envelope), for the dual bound. */
export function bestNetValue(sh: ChannelShape, price: number): number {
  const x = demand(sh, price, false);
  if (!Number.isFinite(x)) return price > 0 ? -Infinity : Infinity;
  return curveValue(sh.curve, x) - price * x;
}
