import { describe, expect, it } from 'vitest';
import { subStream } from '../../../src/sim/streams.ts';

describe('subStream', () => {
  it('is reproducible per (seed, label)', () => {
    const a = subStream(3, 'sim:p:sales');
    const b = subStream(3, 'sim:p:sales');
    expect([a.next(), a.next(), a.normal()]).toEqual([b.next(), b.next(), b.normal()]);
  });

  it('separates every small seed, fractional seeds and labels', () => {
    const firsts = new Set<number>();
    for (const seed of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 42, 0.5, -1]) {
      for (const label of ['sim:a:sales', 'sim:b:sales', 'truth:a']) firsts.add(subStream(seed, label).next());
    }
    expect(firsts.size).toBe(14 * 3);
  });
});
