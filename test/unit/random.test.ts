import { describe, expect, it } from 'vitest';
import { hashSeed, seededRandom } from '../../src/random.ts';

const draws = (seed: number, n: number) => {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, () => rng.next());
};

describe('seededRandom: reproducibility', () => {
  it('gives the same sequence for the same seed (next, normal and int interleaved)', () => {
    const run = (seed: number) => {
      const rng = seededRandom(seed);
      return Array.from({ length: 300 }, (_, i) => (i % 3 === 0 ? rng.next() : i % 3 === 1 ? rng.normal() : rng.int(17)));
    };
    for (const seed of [0, 1, 42, -7, 2 ** 31, 123456.75]) expect(run(seed)).toEqual(run(seed));
  });

  it('gives different sequences for different integer seeds: neighbours, negatives, beyond 32 bits', () => {
    const seeds = [0, 1, 2, 3, 9, 10, -1, -2, 42, 43, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40];
    const firsts = seeds.map((s) => draws(s, 8).join(','));
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('gives 1000 consecutive seeds 1000 different starts', () => {
    // Two 32-bit draws per seed: a chance collision among 1000 seeds has probability ≈ 10⁶/2⁶⁵.
    const starts = Array.from({ length: 1000 }, (_, s) => draws(s, 2).join(','));
    expect(new Set(starts).size).toBe(1000);
  });

  it('does not repeat within a long run', () => {
    const xs = draws(9, 10_000);
    // 10⁴ draws on a 2³² grid: a repeated value has probability ≈ 10⁸/2³³ ≈ 1%; distinct count
    // must be at least 9 990.
    expect(new Set(xs).size).toBeGreaterThan(9_990);
  });

  it('hashSeed mixes labels into distinct sub-streams, and single-digit seeds stay distinct under a label', () => {
    expect(hashSeed(1, 'a')).not.toBe(hashSeed(1, 'b'));
    expect(hashSeed(1)).not.toBe(hashSeed(2));
    const digits = Array.from({ length: 10 }, (_, d) => hashSeed(d, 'sim:demo-shop:sales'));
    expect(new Set(digits).size).toBe(10);
    expect(hashSeed(5, 'x')).toBe(hashSeed(5, 'x'));
    expect(Number.isInteger(hashSeed(5, 'x'))).toBe(true);
  });
});

describe('seededRandom: distributions', () => {
  const N = 100_000;

  it('next() is in [0, 1) with mean ≈ 1/2 and every tenth about equally filled', () => {
    const xs = draws(2024, N);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    // Uniform: sd 1/√12 ≈ 0.2887; standard error of the mean 0.2887/√N ≈ 0.00091. 5 SE ≈ 0.0046.
    const mean = xs.reduce((s, x) => s + x, 0) / N;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.0046);
    // Each decile count is Binomial(N, 0.1): sd √(N·0.09) ≈ 95; allow 5 sd.
    const counts = new Array<number>(10).fill(0);
    for (const x of xs) counts[Math.floor(x * 10)]!++;
    for (const c of counts) expect(Math.abs(c - N / 10)).toBeLessThan(5 * 95);
  });

  it('normal() has mean ≈ 0 and variance ≈ 1', () => {
    const rng = seededRandom(77);
    const zs = Array.from({ length: N }, () => rng.normal());
    expect(zs.every(Number.isFinite)).toBe(true);
    const mean = zs.reduce((s, z) => s + z, 0) / N;
    const variance = zs.reduce((s, z) => s + (z - mean) ** 2, 0) / (N - 1);
    // Standard errors: mean 1/√N ≈ 0.0032, variance √(2/N) ≈ 0.0045 (normal: Var(s²) = 2σ⁴/N).
    // 5 standard errors each.
    expect(Math.abs(mean)).toBeLessThan(5 * 0.0032);
    expect(Math.abs(variance - 1)).toBeLessThan(5 * 0.0045);
    // Tail check: P(|Z| > 1.96) = 5%; binomial sd √(N·0.05·0.95) ≈ 69.
    const tails = zs.filter((z) => Math.abs(z) > 1.96).length;
    expect(Math.abs(tails - 0.05 * N)).toBeLessThan(5 * 69);
  });

  it('int(n) is an integer in [0, n) and hits every value', () => {
    const rng = seededRandom(5);
    for (const n of [1, 2, 3, 7, 100]) {
      const vs = Array.from({ length: 5_000 }, () => rng.int(n));
      expect(vs.every(Number.isInteger)).toBe(true);
      expect(Math.min(...vs)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...vs)).toBeLessThan(n);
      const seen = new Set(vs);
      // Missing a value of 100 in 5000 draws has probability 100·0.99⁵⁰⁰⁰ ≈ 2e-20.
      expect(seen.size).toBe(n);
    }
  });
});
