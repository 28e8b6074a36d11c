import type { FieldProblem } from '../../errors.ts';
import type { CurveFamily, ExpCurve, HillCurve, LogCurve } from './types.ts';

function positive(name: string, v: number): FieldProblem[] {
  return Number.isFinite(v) && v > 0 ? [] : [{ field: name, message: `must be a finite number > 0 (got ${v})` }];
}
function nonNegative(name: string, v: number): FieldProblem[] {
  return Number.isFinite(v) && v >= 0 ? [] : [{ field: name, message: `must be a finite number >= 0 (got ${v})` }];
}

export const hillSaturation: CurveFamily<HillCurve> = {
  type: 'hill',
  params: ['beta', 'k', 's'],
  value({ beta, k, s }, x) {
    if (x <= 0) return 0;
    // β·r/(1+r) = β/(1 + 1/r): finite for r = ∞ and for r underflowing to 0.
    return beta / (1 + Math.pow(k / x, s));
  },
  derivative({ beta, k, s }, x) {
    if (beta === 0) return 0;
    if (x <= 0) return s === 1 ? beta / k : s < 1 ? Infinity : 0;
    // β·s·r / (x·(1+r)²) = β·s / (x·(r^(−1/2) + r^(1/2))²), safe when r over- or underflows.
    const half = Math.pow(x / k, s / 2);
    const d = 1 / half + half;
    return (beta * s) / (x * d * d);
  },
  isConcave: ({ s }) => s <= 1,
  inflection: ({ k, s }) => (s <= 1 ? 0 : k * Math.pow((s - 1) / (s + 1), 1 / s)),
  inverseDerivative(curve, p, near) {
    const { beta, k, s } = curve;
    if (!(p > 0)) return Infinity;
    if (beta === 0) return 0;
    if (s === 1) return p >= beta / k ? 0 : Math.sqrt((beta * k) / p) - k;
    return hillInverseDerivative(curve, p, near);
  },
  logDerivativeSlope({ k, s }, x) {
    const u = Math.pow(x / k, s);
    return (s - 1 - (2 * s * u) / (1 + u)) / x;
  },
  validate: (c) => [...nonNegative('beta', c.beta), ...positive('k', c.k), ...positive('s', c.s)],
};

/**
 * Solves f′(x) = p on the decreasing branch of a Hill curve, in y = ln(x/k) where
 * h(y) = ln f′ − ln p = c + (s − 1)·y − 2·ln(1 + e^(s·y)) is smooth and strictly decreasing past
 * the inflection. Newton from the guess; when a step leaves the branch or does not settle, the
 * same Newton kept inside a shrinking bracket (bisection when it leaves it). Straight-line code
 * without closures: this runs for every channel at every price the solver tries.
 */
function hillInverseDerivative(curve: HillCurve, p: number, near?: number): number {
  const { beta, k, s } = curve;
  const c = Math.log((beta * s) / k) - Math.log(p);
  let lo = s > 1 ? Math.log((s - 1) / (s + 1)) / s : -745 / Math.max(s, 1e-9);
  if (s > 1 && hillH(c, s, lo) <= 0) return k * Math.exp(lo);
  const start = near !== undefined && near > 0 && Number.isFinite(near) ? Math.log(near / k) : c / (1 + s);
  let y = start > lo ? start : lo;
  for (let i = 0; i < 12; i++) {
    const u = Math.exp(s * y);
    const h = c + (s - 1) * y - 2 * (s * y > 30 ? s * y : Math.log1p(u));
    const dh = s - 1 - (2 * s * u) / (1 + u);
    const step = h / dh;
    const next = y - step;
    if (!Number.isFinite(next) || next < lo) break;
    if (Math.abs(step) <= 1e-13 * (1 + Math.abs(next))) return k * Math.exp(next);
    y = next;
  }
  // Safe path: Newton kept inside a bracket [lo, hi] with h(lo) > 0 > h(hi).
  let hi = Math.max(lo + 1, (2 * Math.abs(c)) / (1 + s) + 2);
  while (hillH(c, s, hi) > 0) hi = hi * 2 + 1;
  if (s < 1) while (hillH(c, s, lo) < 0) lo *= 2;
  y = Math.min(hi, Math.max(lo, start));
  for (let i = 0; i < 200; i++) {
    const v = hillH(c, s, y);
    if (v > 0) lo = y;
    else hi = y;
    const u = Math.exp(s * y);
    let next = y - v / (s - 1 - (2 * s * u) / (1 + u));
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - y) <= 1e-15 * (1 + Math.abs(y))) return k * Math.exp(next);
    y = next;
  }
  return k * Math.exp(y);
}

function hillH(c: number, s: number, y: number): number {
  const z = s * y;
  return c + (s - 1) * y - 2 * (z > 30 ? z : Math.log1p(Math.exp(z)));
}

export const expSaturation: CurveFamily<ExpCurve> = {
  type: 'exp',
  params: ['beta', 'k'],
  value: ({ beta, k }, x) => (x <= 0 ? 0 : beta * -Math.expm1(-x / k)),
  derivative: ({ beta, k }, x) => (beta / k) * Math.exp(-Math.max(0, x) / k),
  isConcave: () => true,
  inflection: () => 0,
  inverseDerivative: ({ beta, k }, p) => (!(p > 0) ? Infinity : p >= beta / k ? 0 : k * Math.log(beta / (k * p))),
  logDerivativeSlope: ({ k }) => -1 / k,
  validate: (c) => [...nonNegative('beta', c.beta), ...positive('k', c.k)],
};

export const logSaturation: CurveFamily<LogCurve> = {
  type: 'log',
  params: ['beta', 'k'],
  value: ({ beta, k }, x) => (x <= 0 ? 0 : beta * Math.log1p(x / k)),
  derivative: ({ beta, k }, x) => beta / (k + Math.max(0, x)),
  isConcave: () => true,
  inflection: () => 0,
  inverseDerivative: ({ beta, k }, p) => (!(p > 0) ? Infinity : p >= beta / k ? 0 : beta / p - k),
  logDerivativeSlope: ({ k }, x) => -1 / (k + x),
  validate: (c) => [...nonNegative('beta', c.beta), ...positive('k', c.k)],
};
