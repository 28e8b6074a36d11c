import { describe, expect, it } from 'vitest';
import {
  curveDerivative,
  curveFamilies,
  curveTypes,
  curveValue,
  curveInflection,
  curveInverseDerivative,
  curveLogDerivativeSlope,
  isConcaveCurve,
  parseCurve,
} from '../../../src/model/curves/registry.ts';
import type { CurveFamily, CurveSpec, CurveType } from '../../../src/model/curves/types.ts';

/**
 * Parameter sets per family. Every family in the registry must appear here: the guard test below
 * fails when a new family is registered without parameter sets, so the shared suite covers it.
 */
const PARAMS: Partial<Record<string, readonly Record<string, number>[]>> = {
  hill: [
    { beta: 1000, k: 300, s: 0.5 },
    { beta: 2500, k: 800, s: 1 },
    { beta: 1200, k: 400, s: 2.5 },
    { beta: 50, k: 10, s: 1.3 },
  ],
  exp: [
    { beta: 1000, k: 300 },
    { beta: 4, k: 2500 },
  ],
  log: [
    { beta: 700, k: 150 },
    { beta: 3, k: 4000 },
  ],
};

const familyOf = (type: CurveType): CurveFamily => curveFamilies[type] as CurveFamily;

interface Case {
  readonly name: string;
  readonly curve: CurveSpec;
  /** A spend scale for the grid: the curve's `k`, or 1000 if the family has none. */
  readonly scale: number;
}

const cases: Case[] = curveTypes.flatMap((type) =>
  (PARAMS[type] ?? []).map((params) => {
    const curve = { type, ...params } as unknown as CurveSpec;
    return { name: JSON.stringify(curve), curve, scale: params['k'] ?? 1000 };
  }),
);

/** Grid from 0 to 8·scale; dense near 0 where hill curves with s < 1 change fastest. */
function grid(scale: number): number[] {
  const xs: number[] = [0];
  for (let i = 1; i <= 200; i++) xs.push(8 * scale * (i / 200) ** 2);
  return xs;
}

describe('curve registry: test table', () => {
  it('has parameter sets for every registered family, and only for registered families', () => {
    for (const type of curveTypes) {
      expect(PARAMS[type]?.length ?? 0, `no parameter sets for curve type "${type}"`).toBeGreaterThan(0);
    }
    for (const type of Object.keys(PARAMS)) expect(curveTypes).toContain(type);
  });

  it('every parameter set is valid for its family and names exactly its parameters', () => {
    for (const { curve } of cases) {
      const family = familyOf(curve.type);
      expect(family.type).toBe(curve.type);
      expect(Object.keys(curve).filter((k) => k !== 'type').sort()).toEqual([...family.params].sort());
      expect(family.validate(curve)).toEqual([]);
    }
  });
});

describe.each(cases)('curve $name', ({ curve, scale }) => {
  const f = (x: number) => curveValue(curve, x);

  it('is zero at zero spend', () => {
    expect(f(0)).toBe(0);
  });

  it('is monotone non-decreasing on a grid and positive past zero', () => {
    const xs = grid(scale);
    for (let i = 1; i < xs.length; i++) {
      expect(f(xs[i]!)).toBeGreaterThanOrEqual(f(xs[i - 1]!));
      expect(f(xs[i]!)).toBeGreaterThan(0);
    }
  });

  it('has a derivative matching central finite differences at interior points', () => {
    // Central difference error is h²/6·|f‴| (truncation) + ε·|f|/h (rounding). With h = 1e-4·x,
    // and every derivative of these curves scaling like f/xⁿ near x, truncation is ~1e-8 relative
    // and rounding ~1e-16/1e-4 = 1e-12 relative to f/x. f′·x/f is not tiny at the sampled points
    // (they sit within [0.05, 6]·k), so a 1e-5 relative tolerance leaves three orders of margin.
    for (const m of [0.05, 0.3, 0.9, 1.7, 3, 6]) {
      const x = m * scale;
      const h = 1e-4 * x;
      const numeric = (f(x + h) - f(x - h)) / (2 * h);
      const analytic = curveDerivative(curve, x);
      expect(analytic).toBeGreaterThanOrEqual(0);
      expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-5 * Math.abs(numeric) + 1e-12);
    }
  });

  it('has an inflection point past which f′ decreases, at 0 exactly when the curve is concave', () => {
    const t = curveInflection(curve);
    expect(t === 0).toBe(isConcaveCurve(curve));
    for (const m of [1.01, 1.5, 3, 10]) {
      const x = Math.max(t * m, 0.05 * scale * (m - 1));
      if (x <= 0) continue;
      expect(curveDerivative(curve, x * 1.01)).toBeLessThan(curveDerivative(curve, x));
    }
  });

  it('inverts its derivative on the decreasing branch: f′(inverse(p)) = p', () => {
    // Round trip x → p = f′(x) → x at points past the inflection, relative 1e-8 (the inverse is
    // solved to ~1e-13 in log x; the tolerance leaves room for flat stretches of f′).
    const t = curveInflection(curve);
    for (const m of [0.2, 0.7, 1.3, 2.5, 5]) {
      const x = Math.max(t, 0) + m * scale;
      const p = curveDerivative(curve, x);
      if (!(p > 0)) continue;
      const back = curveInverseDerivative(curve, p);
      expect(Math.abs(back - x)).toBeLessThanOrEqual(1e-8 * x);
      // A nearby warm start lands on the same answer.
      expect(Math.abs(curveInverseDerivative(curve, p, x * 1.3) - x)).toBeLessThanOrEqual(1e-8 * x);
    }
    expect(curveInverseDerivative(curve, 0)).toBe(Infinity);
    expect(curveInverseDerivative(curve, -1)).toBe(Infinity);
  });

  it('reports d ln f′/dx matching finite differences of ln f′ past the inflection', () => {
    const t = curveInflection(curve);
    for (const m of [0.3, 1, 2.5]) {
      const x = t + m * scale;
      const h = 1e-5 * x;
      const numeric = (Math.log(curveDerivative(curve, x + h)) - Math.log(curveDerivative(curve, x - h))) / (2 * h);
      const analytic = curveLogDerivativeSlope(curve, x);
      expect(analytic).toBeLessThan(0);
      expect(Math.abs(analytic - numeric)).toBeLessThanOrEqual(1e-5 * Math.abs(numeric));
    }
  });

  it('has a concavity flag that agrees with numerically checked second differences', () => {
    // Second differences on a uniform grid: ≤ 0 everywhere for a concave f (up to rounding of
    // f, ~1e-12·f). A curve reported non-concave must show a clearly positive one somewhere.
    const h = scale / 50;
    let maxSecond = -Infinity;
    for (let i = 1; i < 400; i++) {
      const x = i * h;
      const second = f(x + h) - 2 * f(x) + f(x - h);
      const noise = 1e-12 * Math.max(1, Math.abs(f(x + h)));
      maxSecond = Math.max(maxSecond, second - noise);
    }
    if (isConcaveCurve(curve)) expect(maxSecond).toBeLessThanOrEqual(0);
    else expect(maxSecond).toBeGreaterThan(1e-9 * f(400 * h));
  });

  it('survives a JSON round trip through parseCurve unchanged', () => {
    const parsed = parseCurve(JSON.parse(JSON.stringify(curve)));
    expect(parsed.problems).toEqual([]);
    expect(parsed.curve).toEqual(curve);
    expect(curveValue(parsed.curve!, 1.3 * scale)).toBe(f(1.3 * scale));
  });

  it('reports a missing parameter together with an unknown extra key', () => {
    const family = familyOf(curve.type);
    for (const name of family.params) {
      const raw: Record<string, unknown> = { ...curve, amout: 3 };
      delete raw[name];
      const { curve: out, problems } = parseCurve(raw, 'c');
      expect(out).toBeUndefined();
      expect(problems.map((p) => p.field).sort()).toEqual([`c.${name}`, 'c.amout'].sort());
    }
  });

  it('reports a non-numeric parameter under its field', () => {
    const name = familyOf(curve.type).params[0]!;
    const { curve: out, problems } = parseCurve({ ...curve, [name]: '12' });
    expect(out).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual([`curve.${name}`]);
  });

  it('reports every negative parameter at once, naming each', () => {
    // All parameters of the registered families are non-negative (β ≥ 0) or positive (k, s > 0).
    const params = familyOf(curve.type).params;
    const raw: Record<string, unknown> = { ...curve };
    for (const name of params) raw[name] = -1;
    const { curve: out, problems } = parseCurve(raw);
    expect(out).toBeUndefined();
    expect(problems.map((p) => p.field).sort()).toEqual(params.map((n) => `curve.${n}`).sort());
  });

  it('rejects a negative or zero k when the family has one', () => {
    if (!(familyOf(curve.type).params as readonly string[]).includes('k')) return;
    for (const k of [-5, 0, Number.NaN]) {
      const { curve: out, problems } = parseCurve({ ...curve, k });
      expect(out).toBeUndefined();
      expect(problems).toHaveLength(1);
      expect(problems[0]!.field).toBe('curve.k');
      expect(problems[0]!.message).toMatch(/> 0/);
    }
  });
});

describe('parseCurve: shape problems', () => {
  it('rejects an unknown or missing type, naming the type field and the known types', () => {
    for (const type of ['spline', 42, undefined]) {
      const { curve, problems } = parseCurve({ type, beta: 1, k: 1 }, 'channels[2].curve');
      expect(curve).toBeUndefined();
      expect(problems).toHaveLength(1);
      expect(problems[0]!.field).toBe('channels[2].curve.type');
      for (const known of curveTypes) expect(problems[0]!.message).toContain(known);
    }
  });

  it('rejects a type that is an Object.prototype key rather than a family', () => {
    const { curve, problems } = parseCurve({ type: 'toString', beta: 1, k: 1 });
    expect(curve).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual(['curve.type']);
  });

  it('rejects non-object roots', () => {
    for (const input of [null, 3, 'hill', [], [{ type: 'exp', beta: 1, k: 1 }]]) {
      const { curve, problems } = parseCurve(input);
      expect(curve).toBeUndefined();
      expect(problems.map((p) => p.field)).toEqual(['curve']);
    }
  });
});
