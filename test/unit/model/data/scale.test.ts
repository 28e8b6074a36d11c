import { describe, expect, it } from 'vitest';
import { scaleColumns, scaleFactor, scaleSeries, unscaleColumns, unscaleSeries } from '../../../../src/model/data/scale.ts';
import { problemsOf } from './problems.ts';

const f64 = (...values: number[]): Float64Array => Float64Array.from(values);

describe('scaleFactor', () => {
  it('is the mean magnitude of the non-zero cells by default', () => {
    // A flighted channel: dark half the time. Overall mean 50, active mean 100.
    expect(scaleFactor(f64(0, 100, 0, 50, 0, 150))).toBe(100);
    expect(scaleFactor(f64(-2, 4))).toBe(3);
  });

  it('is the largest magnitude for max-abs', () => {
    expect(scaleFactor(f64(0, -300, 200), 'max-abs')).toBe(300);
  });

  it('is 1 for indicators, all-zero and empty columns, and ignores non-finite cells', () => {
    expect(scaleFactor(f64(0, 1, 1, 0))).toBe(1);
    expect(scaleFactor(f64(0, 0, 0))).toBe(1);
    expect(scaleFactor(f64(), 'max-abs')).toBe(1);
    expect(scaleFactor(f64(Number.NaN, 2, Number.POSITIVE_INFINITY, 4))).toBe(3);
  });
});

describe('scaleColumns / unscaleColumns', () => {
  it('divides each column by its own factor, leaves the input alone, and converts back', () => {
    const tv = f64(0, 1000, 3000);
    const search = f64(10, 20, 30);
    const { method, factors, scaled } = scaleColumns({ tv, search });
    expect(method).toBe('mean-nonzero');
    expect(factors).toEqual({ tv: 2000, search: 20 });
    expect([...(scaled.tv ?? [])]).toEqual([0, 0.5, 1.5]);
    expect([...(scaled.search ?? [])]).toEqual([0.5, 1, 1.5]);
    expect([...tv]).toEqual([0, 1000, 3000]);
    const back = unscaleColumns(scaled, factors);
    expect([...back.tv]).toEqual([0, 1000, 3000]);
    expect([...back.search]).toEqual([10, 20, 30]);
  });

  it('puts every value in [-1, 1] with max-abs', () => {
    const { scaled } = scaleColumns({ a: f64(-5, 2, 10) }, 'max-abs');
    expect([...(scaled.a ?? [])]).toEqual([-0.5, 0.2, 1]);
  });

  it('refuses to convert back a column without a factor', () => {
    const problems = problemsOf(() => unscaleColumns({ a: f64(1), b: f64(2) }, { a: 1 } as unknown as Record<'a' | 'b', number>));
    expect(problems).toEqual([{ field: 'factors.b', message: 'is missing' }]);
  });
});

describe('scaleSeries / unscaleSeries', () => {
  it('are inverses', () => {
    const x = f64(0, 3, 7.5, 1e6);
    expect([...unscaleSeries(scaleSeries(x, 2.5), 2.5)]).toEqual([...x]);
  });
});
