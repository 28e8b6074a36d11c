import type { PortfolioConfig } from '../../../src/config/types.ts';
import type { Random } from '../../../src/random.ts';

/** Monday 2026-01-05 00:00 UTC. */
export const START = Date.UTC(2026, 0, 5);
export const HOUR = 3_600_000;

/** The default config's portfolios (what the built-in `demo` scenario must match). */
export const demoPortfolioConfigs: readonly PortfolioConfig[] = [
  {
    id: 'demo-shop',
    currency: 'EUR',
    budget: 2000,
    maxChange: 0.2,
    channels: [
      { id: 'search', platform: 'google-ads', min: 200, max: 1200, initialShare: null },
      { id: 'shopping', platform: 'google-ads', min: 100, max: 1000, initialShare: null },
      { id: 'social', platform: 'meta', min: 100, max: 1000, initialShare: null },
      { id: 'display', platform: 'criteo', min: 0, max: 600, initialShare: null },
    ],
  },
  {
    id: 'demo-outdoor',
    currency: 'USD',
    budget: 800,
    maxChange: 0.2,
    channels: [
      { id: 'search', platform: 'google-ads', min: 50, max: 500, initialShare: null },
      { id: 'social', platform: 'meta', min: 50, max: 500, initialShare: null },
      { id: 'video', platform: 'tiktok', min: 0, max: 300, initialShare: null },
    ],
  },
];

/**
 * A random point of {min ≤ x ≤ max, Σx = budget}: random (exponential) weights spread what is
 * left above the minimums; whatever a channel cannot take above its max goes to the others.
 */
export function randomFeasible(rng: Random, budget: number, min: readonly number[], max: readonly number[]): number[] {
  const w = min.map(() => -Math.log(1 - rng.next()) + 1e-12);
  const x = [...min];
  let left = budget - min.reduce((s, v) => s + v, 0);
  for (let round = 0; round < 100 && left > 1e-9; round++) {
    const open = x.flatMap((v, i) => (v < (max[i] ?? Infinity) ? [i] : []));
    const weight = open.reduce((s, i) => s + (w[i] ?? 0), 0);
    let spent = 0;
    for (const i of open) {
      const add = Math.min(left * ((w[i] ?? 0) / weight), (max[i] ?? Infinity) - (x[i] ?? 0));
      x[i] = (x[i] ?? 0) + add;
      spent += add;
    }
    left -= spent;
  }
  return x;
}

export function sum(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

export function byChannel(ids: readonly string[], values: readonly number[]): Record<string, number> {
  return Object.fromEntries(ids.map((id, i) => [id, values[i] ?? 0]));
}
