/**
 * Seeded pseudo-random numbers for the pure core and the simulator: the same seed gives the same
 * sequence on every machine. Generator: mulberry32 (32-bit state), good enough for annealing moves
 * and simulated noise; not for cryptography.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function seededRandom(seed: number): Random {
  let state = hashSeed(seed);
  let spareNormal: number | null = null;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal() {
      if (spareNormal !== null) {
        const z = spareNormal;
        spareNormal = null;
        return z;
      }
      let u = next();
      while (u <= Number.EPSILON) u = next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spareNormal = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(n: number) {
      return Math.floor(next() * n);
    },
  };
}

/**
 * Derives a well-mixed 32-bit state from any finite number (and from a label, for sub-streams):
 * the seed's two 32-bit halves go through a murmur-style finaliser first, then the label's
 * characters are folded in, so distinct integer seeds give distinct states whatever the label
 * (fractional seeds are floored).
 */
export function hashSeed(seed: number, label = ''): number {
  const whole = Math.floor(seed);
  const low = whole >>> 0;
  const high = Math.floor(whole / 4294967296) >>> 0;
  let h = mix32(mix32(low ^ 0x9e3779b9) ^ high);
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  }
  return mix32(h) | 0;
}

function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
