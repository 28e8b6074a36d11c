import { describe, expect, it } from 'vitest';
import {
  applyAdstock,
  convolveWeights,
  geometricAdstock,
  geometricWeights,
  steadyStateFactor,
  validateAdstock,
  weibullAdstock,
  weibullWeights,
  type AdstockSpec,
  type WeibullKind,
} from '../../../src/model/adstock.ts';
import { seededRandom } from '../../../src/random.ts';
import { problemsOf } from './data/problems.ts';

const f64 = (...values: number[]): Float64Array => Float64Array.from(values);
const list = (values: Float64Array): number[] => [...values];

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, digits = 12): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `index ${i}`).toBeCloseTo(expected[i] ?? Number.NaN, digits);
}

/** a_t = Σ_{l=0..min(L,t)} w_l x_{t−l}, written as plainly as possible. */
function directSum(x: ArrayLike<number>, weight: (lag: number) => number, maxLag: number, t: number): number {
  let sum = 0;
  for (let l = 0; l <= Math.min(maxLag, t); l++) sum += weight(l) * (x[t - l] ?? 0);
  return sum;
}

const impulse = (length: number): Float64Array => {
  const x = new Float64Array(length);
  x[0] = 1;
  return x;
};

describe('geometricAdstock', () => {
  it('matches hand-computed values without a max lag', () => {
    expectClose(geometricAdstock(f64(1, 0, 0, 2), 0.5), [1, 0.5, 0.25, 2.125]);
    expectClose(geometricAdstock(f64(1, 0, 0, 2), 0.5, { normalize: true }), [0.5, 0.25, 0.125, 1.0625]);
  });

  it('matches hand-computed values with a max lag', () => {
    expectClose(geometricAdstock(f64(1, 0, 0, 2), 0.5, { maxLag: 1 }), [1, 0.5, 0, 2]);
    expectClose(geometricAdstock(f64(1, 0, 0, 2), 0.5, { maxLag: 1, normalize: true }), [2 / 3, 1 / 3, 0, 4 / 3]);
    expectClose(geometricAdstock(f64(4, 2, 0, 0, 1), 0.5, { maxLag: 2 }), [4, 4, 2, 0.5, 1]);
  });

  it('is the identity for θ = 0', () => {
    const x = f64(3, 0, 7, 1.5);
    for (const options of [{}, { normalize: true }, { maxLag: 0 }, { maxLag: 5, normalize: true }]) {
      expect(list(geometricAdstock(x, 0, options))).toEqual(list(x));
    }
  });

  it('maps a constant spend to itself at steady state when normalised', () => {
    const x = new Float64Array(400).fill(250);
    const unbounded = geometricAdstock(x, 0.9, { normalize: true });
    expect(unbounded[0]).toBeCloseTo(25, 10);
    expect(unbounded.at(-1)).toBeCloseTo(250, 10);
    for (let t = 1; t < x.length; t++) expect(unbounded[t] ?? 0).toBeGreaterThanOrEqual(unbounded[t - 1] ?? 0);
    const bounded = geometricAdstock(x, 0.9, { maxLag: 10, normalize: true });
    for (let t = 10; t < x.length; t++) expect(bounded[t]).toBeCloseTo(250, 10);
  });

  it('has the weights as its impulse response', () => {
    expectClose(geometricAdstock(impulse(8), 0.6, { maxLag: 4 }), [...geometricWeights(0.6, 4), 0, 0, 0]);
    expectClose(geometricAdstock(impulse(8), 0.6, { maxLag: 4, normalize: true }), [...geometricWeights(0.6, 4, true), 0, 0, 0]);
    expectClose(geometricAdstock(impulse(6), 0.6), [1, 0.6, 0.36, 0.216, 0.1296, 0.07776]);
  });

  it('returns exactly zero after a burst once the max lag has passed', () => {
    const x = f64(1e9, 3, 1e-3, 7e8, 0, 0, 0, 0, 0);
    const a = geometricAdstock(x, 0.95, { maxLag: 3 });
    expect(list(a.subarray(7))).toEqual([0, 0]);
    expect(a.every((v) => v >= 0)).toBe(true);
  });

  it('is linear, so scaling spend scales adstock', () => {
    const x = f64(5, 0, 2, 8, 1);
    expectClose(geometricAdstock(x.map((v) => v * 1e-4), 0.7, { maxLag: 3 }), geometricAdstock(x, 0.7, { maxLag: 3 }).map((v) => v * 1e-4));
  });
});

describe('weibullWeights', () => {
  it('matches hand-computed CDF weights: u = 1, e^-1, e^-3 for shape 1, scale 1', () => {
    const u = [1, Math.exp(-1), Math.exp(-3)];
    const sum = u[0]! + u[1]! + u[2]!;
    expectClose(weibullWeights(1, 1, 2, 'cdf'), u.map((v) => v / sum));
  });

  it('matches hand-computed PDF weights, peaking after lag 0 for shape 3, scale 3', () => {
    const u = [1, 2, 3, 4].map((t) => t * t * Math.exp(-Math.pow(t / 3, 3)));
    const sum = u.reduce((s, v) => s + v, 0);
    const w = weibullWeights(3, 3, 3, 'pdf');
    expectClose(w, u.map((v) => v / sum));
    expect(w.indexOf(Math.max(...w))).toBe(2);
  });

  it('with shape 1, the PDF kind is normalised geometric with θ = e^(-1/scale)', () => {
    expectClose(weibullWeights(1, 4, 12, 'pdf'), geometricWeights(Math.exp(-1 / 4), 12, true));
  });

  it('are non-negative and sum to 1 across shapes, scales and lags, extremes included', () => {
    for (const kind of ['cdf', 'pdf'] as WeibullKind[]) {
      for (const shape of [0.01, 0.5, 1, 2, 5, 20]) {
        for (const scale of [1e-9, 0.3, 1, 4, 30, 1e9]) {
          for (const maxLag of [0, 1, 7, 52]) {
            const w = weibullWeights(shape, scale, maxLag, kind);
            const label = `${kind} shape ${shape} scale ${scale} maxLag ${maxLag}`;
            expect(w, label).toHaveLength(maxLag + 1);
            expect(w.every((v) => Number.isFinite(v) && v >= 0), label).toBe(true);
            expect(w.reduce((s, v) => s + v, 0), label).toBeCloseTo(1, 12);
          }
        }
      }
    }
  });

  it('decay monotonically for the CDF kind', () => {
    const w = weibullWeights(0.7, 5, 20, 'cdf');
    for (let l = 1; l < w.length; l++) expect(w[l] ?? 0).toBeLessThanOrEqual(w[l - 1] ?? 0);
  });

  it('put all weight on lag 0 for a vanishing scale, so adstock is the identity', () => {
    for (const kind of ['cdf', 'pdf'] as WeibullKind[]) {
      expect(list(weibullWeights(2, 1e-6, 4, kind))).toEqual([1, 0, 0, 0, 0]);
      expect(list(weibullAdstock(f64(3, 1, 4), 2, 1e-6, { maxLag: 4, kind }))).toEqual([3, 1, 4]);
    }
  });
});

describe('weibullAdstock', () => {
  it('has the weights as its impulse response and keeps a constant spend at steady state', () => {
    for (const kind of ['cdf', 'pdf'] as WeibullKind[]) {
      const w = weibullWeights(1.5, 3, 6, kind);
      expectClose(weibullAdstock(impulse(10), 1.5, 3, { maxLag: 6, kind }), [...w, 0, 0, 0]);
      const steady = weibullAdstock(new Float64Array(20).fill(42), 1.5, 3, { maxLag: 6, kind });
      for (let t = 6; t < 20; t++) expect(steady[t]).toBeCloseTo(42, 10);
    }
  });
});

describe('long series', () => {
  const n = 100_000;
  const rng = seededRandom(7);
  const x = Float64Array.from({ length: n }, () => (rng.next() < 0.3 ? 0 : 1000 * rng.next()));

  it('computes unbounded geometric adstock of 10⁵ periods in a loop, matching direct sums', () => {
    const theta = 0.8;
    const a = geometricAdstock(x, theta, { normalize: true });
    expect(a).toHaveLength(n);
    // θ^300 ≈ 1e-29: a 300-lag direct sum is exact to double precision.
    for (const t of [0, 1, 299, 5000, 77_777, n - 1]) {
      expect(a[t], `t = ${t}`).toBeCloseTo(directSum(x, (l) => (1 - theta) * theta ** l, 300, t), 8);
    }
  });

  it('computes bounded geometric and Weibull adstock of 10⁵ periods, matching direct sums', () => {
    const geometric = geometricAdstock(x, 0.6, { maxLag: 13 });
    const w = weibullWeights(2, 4, 13, 'pdf');
    const weibull = weibullAdstock(x, 2, 4, { maxLag: 13, kind: 'pdf' });
    for (const t of [0, 5, 13, 14, 50_000, n - 1]) {
      expect(geometric[t], `t = ${t}`).toBeCloseTo(directSum(x, (l) => 0.6 ** l, 13, t), 8);
      expect(weibull[t], `t = ${t}`).toBeCloseTo(directSum(x, (l) => w[l] ?? 0, 13, t), 8);
    }
  });
});

describe('steadyStateFactor', () => {
  it('is Σ w_l: 1 when normalised, 1/(1 − θ) unbounded, (1 − θ^(L+1))/(1 − θ) bounded', () => {
    expect(steadyStateFactor({ type: 'geometric', theta: 0.5 })).toBeCloseTo(2, 14);
    expect(steadyStateFactor({ type: 'geometric', theta: 0.5, maxLag: 2 })).toBeCloseTo(1.75, 14);
    expect(steadyStateFactor({ type: 'geometric', theta: 0.5, normalize: true })).toBe(1);
    expect(steadyStateFactor({ type: 'geometric', theta: 0 })).toBe(1);
    expect(steadyStateFactor({ type: 'weibull', shape: 2, scale: 3, maxLag: 8, kind: 'pdf' })).toBe(1);
  });

  it('is what a constant spend of 1 becomes once the filter is full', () => {
    const specs: AdstockSpec[] = [
      { type: 'geometric', theta: 0.7 },
      { type: 'geometric', theta: 0.7, maxLag: 6 },
      { type: 'geometric', theta: 0.3, maxLag: 4, normalize: true },
      { type: 'weibull', shape: 0.8, scale: 2, maxLag: 10, kind: 'cdf' },
      { type: 'weibull', shape: 3, scale: 5, maxLag: 12, kind: 'pdf' },
    ];
    for (const spec of specs) {
      const a = applyAdstock(new Float64Array(200).fill(1), spec);
      expect(a.at(-1), JSON.stringify(spec)).toBeCloseTo(steadyStateFactor(spec), 10);
    }
  });
});

describe('applyAdstock', () => {
  it('dispatches on the spec type', () => {
    const x = f64(1, 5, 0, 2, 9);
    expect(list(applyAdstock(x, { type: 'geometric', theta: 0.4, maxLag: 2, normalize: true }))).toEqual(
      list(geometricAdstock(x, 0.4, { maxLag: 2, normalize: true })),
    );
    expect(list(applyAdstock(x, { type: 'weibull', shape: 2, scale: 2, maxLag: 3, kind: 'cdf' }))).toEqual(
      list(convolveWeights(x, weibullWeights(2, 2, 3, 'cdf'))),
    );
  });
});

describe('validation', () => {
  it('accepts valid parameters', () => {
    expect(validateAdstock({ type: 'geometric', theta: 0 })).toEqual([]);
    expect(validateAdstock({ type: 'geometric', theta: 0.999, maxLag: 0, normalize: false })).toEqual([]);
    expect(validateAdstock({ type: 'weibull', shape: 0.1, scale: 100, maxLag: 0, kind: 'pdf' })).toEqual([]);
  });

  it('lists every problem with the geometric parameters', () => {
    expect(validateAdstock({ type: 'geometric', theta: 1, maxLag: 1.5 }).map((p) => p.field)).toEqual(['theta', 'maxLag']);
    expect(validateAdstock({ type: 'geometric', theta: -0.1, maxLag: -1 }).map((p) => p.field)).toEqual(['theta', 'maxLag']);
    expect(validateAdstock({ type: 'geometric', theta: Number.NaN }).map((p) => p.field)).toEqual(['theta']);
  });

  it('lists every problem with the Weibull parameters', () => {
    const bad = { type: 'weibull', shape: 0, scale: -1, maxLag: Number.POSITIVE_INFINITY, kind: 'gamma' } as unknown as AdstockSpec;
    expect(validateAdstock(bad).map((p) => p.field)).toEqual(['shape', 'scale', 'maxLag', 'kind']);
    expect(validateAdstock({ type: 'nope' } as unknown as AdstockSpec).map((p) => p.field)).toEqual(['type']);
  });

  it('makes the transforms throw CURVE_INVALID with the problems', () => {
    const x = f64(1, 2);
    expect(problemsOf(() => geometricAdstock(x, 1), 'CURVE_INVALID')).toEqual([{ field: 'theta', message: 'must be in [0, 1) (got 1)' }]);
    expect(problemsOf(() => geometricAdstock(x, 0.5, { maxLag: -2 }), 'CURVE_INVALID').map((p) => p.field)).toEqual(['maxLag']);
    expect(problemsOf(() => weibullAdstock(x, -1, 0, { maxLag: 2, kind: 'cdf' }), 'CURVE_INVALID').map((p) => p.field)).toEqual(['shape', 'scale']);
    expect(problemsOf(() => steadyStateFactor({ type: 'geometric', theta: 2 }), 'CURVE_INVALID').map((p) => p.field)).toEqual(['theta']);
  });
});
