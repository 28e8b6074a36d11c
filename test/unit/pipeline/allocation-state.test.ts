import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import type { PortfolioConfig } from '../../../src/config/types.ts';
import { channelBounds, initialBudgets, roundToCents } from '../../../src/pipeline/allocation-state.ts';
import { seededRandom, type Random } from '../../../src/random.ts';

interface ChannelSpec {
  id: string;
  min: number;
  max?: number;
  initialShare?: number;
}

/**
 * A portfolio object as the pipeline receives it. Built directly, not through the config loader,
 * because the allocation helpers must also cope with shapes the loader rejects (caps below the
 * budget), as portfolios may later arrive from the API or a control topic.
 */
function portfolio(budget: number, channels: readonly ChannelSpec[]): PortfolioConfig {
  return {
    id: 'p',
    currency: 'EUR',
    budget,
    maxChange: 0.2,
    channels: channels.map((c) => ({ id: c.id, platform: 'google-ads', min: c.min, max: c.max ?? null, initialShare: c.initialShare ?? null })),
  };
}

const cents = (v: number) => Math.round(v * 100);
const sumCents = (b: Record<string, number>) => Object.values(b).reduce((s, v) => s + cents(v), 0);

function expectWholeCents(b: Record<string, number>) {
  for (const v of Object.values(b)) expect(Math.abs(v * 100 - Math.round(v * 100))).toBeLessThan(1e-6);
}

function expectWithinBounds(b: Record<string, number>, p: PortfolioConfig) {
  for (const c of p.channels) {
    expect(b[c.id]!).toBeGreaterThanOrEqual(c.min);
    if (c.max !== null) expect(b[c.id]!).toBeLessThanOrEqual(c.max);
  }
}

describe('initialBudgets', () => {
  const config = defaultConfig();

  it('splits the default portfolios evenly, to the cent, summing to the budget', () => {
    for (const p of config.portfolios) {
      const b = initialBudgets(p);
      expect(Object.keys(b)).toEqual(p.channels.map((c) => c.id));
      expectWholeCents(b);
      expect(sumCents(b)).toBe(cents(p.budget));
      expectWithinBounds(b, p);
      const even = p.budget / p.channels.length;
      for (const c of p.channels) expect(Math.abs(b[c.id]! - even)).toBeLessThanOrEqual(0.01 + 1e-9);
    }
  });

  it('800 over three channels: 266.67 + 266.67 + 266.66 in some order', () => {
    const b = initialBudgets(portfolio(800, [{ id: 'a', min: 0 }, { id: 'b', min: 0 }, { id: 'c', min: 0 }]));
    expect(Object.values(b).sort((x, y) => x - y)).toEqual([266.66, 266.67, 266.67]);
  });

  it('gives a capped channel its cap and splits the rest evenly', () => {
    const b = initialBudgets(portfolio(1000, [{ id: 'a', min: 0, max: 100 }, { id: 'b', min: 0 }, { id: 'c', min: 0 }]));
    expect(b).toEqual({ a: 100, b: 450, c: 450 });
  });

  it('gives a channel its minimum when the even split is below it', () => {
    const b = initialBudgets(portfolio(1000, [{ id: 'a', min: 600 }, { id: 'b', min: 0 }, { id: 'c', min: 0 }]));
    expect(b).toEqual({ a: 600, b: 200, c: 200 });
  });

  it('respects initialShare, splitting what is left among the others', () => {
    expect(initialBudgets(portfolio(1000, [{ id: 'a', min: 0, initialShare: 0.5 }, { id: 'b', min: 0 }, { id: 'c', min: 0 }])))
      .toEqual({ a: 500, b: 250, c: 250 });
    expect(initialBudgets(portfolio(2000, [
      { id: 'a', min: 0, initialShare: 0.2 }, { id: 'b', min: 0, initialShare: 0.3 }, { id: 'c', min: 0, initialShare: 0.5 },
    ]))).toEqual({ a: 400, b: 600, c: 1000 });
  });

  it('spends only Σmax when the caps are below the budget', () => {
    const b = initialBudgets(portfolio(1000, [{ id: 'a', min: 0, max: 100 }, { id: 'b', min: 10, max: 200 }]));
    expect(b).toEqual({ a: 100, b: 200 });
  });

  it('keeps a sub-cent max when rounding (the cent values inside [0, 100.125] stop at 100.12)', () => {
    // Projection puts a at exactly 100.125 (= 10012.5 cents, exact in binary); rounding half up
    // gives 100.13, above the cap, unless the rounding respects the bound.
    const p = portfolio(1000, [{ id: 'a', min: 0, max: 100.125 }, { id: 'b', min: 0 }]);
    const b = initialBudgets(p);
    expect(sumCents(b)).toBe(100_000);
    expect(b['a']!).toBeLessThanOrEqual(100.125);
  });

  it('holds on seeded random portfolios: sum to the cent, bounds kept, shares respected when unbounded', () => {
    const rng = seededRandom(314);
    for (let t = 0; t < 40; t++) {
      const p = randomPortfolio(rng);
      const b = initialBudgets(p);
      const capTotal = p.channels.reduce((s, c) => s + (c.max ?? Infinity), 0);
      expectWholeCents(b);
      expect(sumCents(b)).toBe(cents(Math.min(p.budget, capTotal)));
      expectWithinBounds(b, p);
    }
  });
});

/** Cent-valued bounds with Σmin ≤ budget; some caps, some initial shares. */
function randomPortfolio(rng: Random): PortfolioConfig {
  const n = 1 + rng.int(6);
  const budget = cents(100 + 10_000 * rng.next()) / 100;
  const channels: ChannelSpec[] = [];
  let shares = 0;
  for (let i = 0; i < n; i++) {
    const min = rng.next() < 0.5 ? 0 : cents((budget / n) * 0.8 * rng.next()) / 100;
    const c: ChannelSpec = { id: `ch${i}`, min };
    if (rng.next() < 0.4) c.max = cents(min + (budget / n) * 2 * rng.next()) / 100;
    if (i < n - 1 && rng.next() < 0.3) {
      const share = Math.round(rng.next() * (1 - shares) * 50) / 100;
      c.initialShare = share;
      shares += share;
    }
    channels.push(c);
  }
  return portfolio(budget, channels);
}

describe('roundToCents (seeded random cases)', () => {
  it('preserves the total to the cent, keeps bounds, and moves each channel by little', () => {
    const rng = seededRandom(2718);
    for (let t = 0; t < 200; t++) {
      const p = randomPortfolio(rng);
      const { lo, hi } = channelBounds(p);
      // Random real-valued budgets inside the bounds, adding up to a total inside [Σmin, Σmax].
      const budgets: Record<string, number> = {};
      let total = 0;
      p.channels.forEach((c, i) => {
        const top = Number.isFinite(hi[i]!) ? hi[i]! : lo[i]! + p.budget;
        const v = lo[i]! + (top - lo[i]!) * rng.next();
        budgets[c.id] = v;
        total += v;
      });
      const out = roundToCents(budgets, p, total);
      expect(Object.keys(out).sort()).toEqual(p.channels.map((c) => c.id).sort());
      expectWholeCents(out);
      expect(sumCents(out)).toBe(cents(total));
      expectWithinBounds(out, p);
      // Each channel: its own rounding (≤ ½ cent) plus at most all the unplaced cents, which are an
      // integer ≤ (n + 1)/2 (n roundings of the parts and one of the total, each ≤ ½ cent).
      const spill = 0.01 * Math.floor((p.channels.length + 1) / 2);
      for (const c of p.channels) expect(Math.abs(out[c.id]! - budgets[c.id]!)).toBeLessThanOrEqual(0.005 + spill + 1e-9);
    }
  });

  it('moves a shortfall of cents onto channels with room, largest first', () => {
    const p = portfolio(100, [{ id: 'a', min: 0 }, { id: 'b', min: 0 }, { id: 'c', min: 0 }]);
    // 33.333… each rounds to 33.33; the missing cent goes to a channel with room.
    const out = roundToCents({ a: 100 / 3, b: 100 / 3, c: 100 / 3 }, p, 100);
    expect(sumCents(out)).toBe(10_000);
    expect(Object.values(out).sort((x, y) => x - y)).toEqual([33.33, 33.33, 33.34]);
  });

  it('places leftover cents inside the soft band first, spilling past it only when it must', () => {
    const p = portfolio(1000, [{ id: 'big', min: 0 }, { id: 'small', min: 0 }]);
    // Rounding leaves 2 cents unplaced. With no band they go to the largest channel…
    expect(roundToCents({ big: 624.9525, small: 375.0275 }, p, 1000)).toEqual({ big: 624.97, small: 375.03 });
    // …but when big sits at the edge of its band, small takes them.
    const banded = roundToCents({ big: 624.9525, small: 375.0275 }, p, 1000, { big: { lo: 624.9525, hi: 624.9525 }, small: { lo: 0, hi: 1000 } });
    expect(banded).toEqual({ big: 624.95, small: 375.05 });
    // When no channel has room inside its band, the total still wins.
    const tight = roundToCents({ big: 624.9525, small: 375.0275 }, p, 1000, { big: { lo: 624.95, hi: 624.95 }, small: { lo: 375.03, hi: 375.03 } });
    expect(sumCents(tight)).toBe(100_000);
  });

  it('does not push a channel past its cap to absorb cents', () => {
    const p = portfolio(100, [{ id: 'big', min: 0, max: 60 }, { id: 'small', min: 0 }]);
    // 60.00 + 39.90 leaves 12 cents of 100.02 unplaced; the largest channel (big) is tried first
    // but is at its cap, so all 12 go to small.
    const under = roundToCents({ big: 60, small: 39.9 }, p, 100.02);
    expect(under).toEqual({ big: 60, small: 40.02 });
  });
});
