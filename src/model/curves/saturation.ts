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
    const r = Math.pow(x / k, s);
    return (beta * r) / (1 + r);
  },
  derivative({ beta, k, s }, x) {
    if (x <= 0) return s === 1 ? beta / k : s < 1 ? Infinity : 0;
    const r = Math.pow(x / k, s);
    return (beta * s * r) / (x * (1 + r) * (1 + r));
  },
  isConcave: ({ s }) => s <= 1,
  validate: (c) => [...nonNegative('beta', c.beta), ...positive('k', c.k), ...positive('s', c.s)],
};

export const expSaturation: CurveFamily<ExpCurve> = {
  type: 'exp',
  params: ['beta', 'k'],
  value: ({ beta, k }, x) => (x <= 0 ? 0 : beta * -Math.expm1(-x / k)),
  derivative: ({ beta, k }, x) => (beta / k) * Math.exp(-Math.max(0, x) / k),
  isConcave: () => true,
  validate: (c) => [...nonNegative('beta', c.beta), ...positive('k', c.k)],
};

export const logSaturation: CurveFamily<LogCurve> = {
  type: 'log',
  params: ['beta', 'k'],
  value: ({ beta, k }, x) => (x <= 0 ? 0 : beta * Math.log1p(x / k)),
  derivative: ({ beta, k }, x) => beta / (k + Math.max(0, x)),
  isConcave: () => true,
  validate: (c) => [...nonNegative('beta', c.beta), ...positive('k', c.k)],
};
