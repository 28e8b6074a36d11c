import { describe, expect, it } from 'vitest';
import type { ReallocationEvent } from '../../../src/events/types.ts';
import { MarketSimulator, seasonFactor, type SalesWire, type SimRecord, type SpendWire } from '../../../src/sim/market.ts';
import { builtInScenario } from '../../../src/sim/scenarios.ts';
import type { SimScenario } from '../../../src/sim/scenario.ts';
import { HOUR, START } from './fixtures.ts';

const demo = builtInScenario('demo');
const quiet = builtInScenario('demo-quiet');

function run(sim: MarketSimulator, ticks: number): SimRecord[] {
  const out: SimRecord[] = [];
  for (let i = 0; i < ticks; i++) out.push(...sim.step());
  return out;
}

const spends = (records: readonly SimRecord[], portfolioId: string): SpendWire[] =>
  records.flatMap((r) => (r.topic === 'spend' && r.key === portfolioId ? [r.value] : []));
const sales = (records: readonly SimRecord[], portfolioId: string): SalesWire[] =>
  records.flatMap((r) => (r.topic === 'sales' && r.key === portfolioId ? [r.value] : []));
const mean = (xs: readonly number[]): number => xs.reduce((s, v) => s + v, 0) / xs.length;

function realloc(over: Partial<ReallocationEvent> & Pick<ReallocationEvent, 'channelId' | 'version' | 'budget' | 'effectiveFrom'>): ReallocationEvent {
  return {
    eventId: `demo-shop:${over.version}:${over.channelId}`, portfolioId: 'demo-shop', platform: 'google-ads', currency: 'EUR',
    previousBudget: 500, effectiveUntil: new Date(Date.parse(over.effectiveFrom) + HOUR).toISOString(), expectedRevenue: 0,
    marginalRoi: 1, portfolioBudget: 2000, portfolioExpectedRevenue: 0, reason: 'test', guardrails: [], previousVersion: 0, solver: 'test', decidedAt: over.effectiveFrom,
    dataUntil: over.effectiveFrom, gap: null,
    ...over,
  };
}

describe('MarketSimulator: determinism', () => {
  it('same seed and inputs give byte-identical output; another seed (even a single-digit one) differs', () => {
    const a = JSON.stringify(run(new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 5 }), 300));
    const b = JSON.stringify(run(new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 5 }), 300));
    const c = JSON.stringify(run(new MarketSimulator(demo, { seed: 2, start: START, tickMinutes: 5 }), 300));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c.length).toBeGreaterThan(0.9 * a.length);
  });

  it('gives each portfolio its own noise: adding a portfolio leaves the others byte-identical', () => {
    const shopOnly: SimScenario = { name: 'shop', portfolios: demo.portfolios.filter((p) => p.id === 'demo-shop') };
    const alone = run(new MarketSimulator(shopOnly, { seed: 9, start: START, tickMinutes: 10 }), 100);
    const both = run(new MarketSimulator(demo, { seed: 9, start: START, tickMinutes: 10 }), 100);
    expect(JSON.stringify(both.filter((r) => r.key === 'demo-shop'))).toBe(JSON.stringify(alone));
  });
});

describe('MarketSimulator: wire events', () => {
  const sim = new MarketSimulator(demo, { seed: 4, start: START, tickMinutes: 5 });
  const records = run(sim, 24);

  it('have exactly the documented fields, JSON-ready types, and a fixed order per tick', () => {
    const first = records.slice(0, 7).map((r) => [r.topic, r.key, 'channelId' in r.value ? r.value.channelId : '-']);
    expect(first).toEqual([
      ['spend', 'demo-shop', 'search'], ['spend', 'demo-shop', 'shopping'], ['spend', 'demo-shop', 'social'],
      ['spend', 'demo-shop', 'display'], ['sales', 'demo-shop', '-'], ['spend', 'demo-outdoor', 'search'],
      ['spend', 'demo-outdoor', 'social'],
    ]);
    expect(records).toHaveLength(24 * 9);
    for (const r of records) {
      expect(Object.keys(r)).toEqual(['topic', 'key', 'value']);
      expect(r.key).toBe(r.value.portfolioId);
      expect(r.value.ts).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      if (r.topic === 'spend') {
        expect(Object.keys(r.value).sort()).toEqual(['amount', 'channelId', 'clicks', 'currency', 'eventId', 'impressions', 'platform', 'portfolioId', 'ts']);
        expect(Math.round(r.value.amount * 100) / 100).toBe(r.value.amount);
        expect(r.value.amount).toBeGreaterThan(0);
        expect(Number.isInteger(r.value.impressions) && Number.isInteger(r.value.clicks)).toBe(true);
        expect(r.value.clicks).toBeGreaterThanOrEqual(0);
        expect(r.value.clicks).toBeLessThanOrEqual(r.value.impressions);
      } else {
        expect(Object.keys(r.value).sort()).toEqual(['currency', 'eventId', 'orders', 'portfolioId', 'revenue', 'ts']);
        expect(Math.round(r.value.revenue * 100) / 100).toBe(r.value.revenue);
        expect(Number.isInteger(r.value.orders) && r.value.orders >= 0).toBe(true);
      }
    }
    expect(JSON.parse(JSON.stringify(records))).toEqual(records);
  });

  it('use deterministic, unique event ids and the middle of the tick as ts', () => {
    expect(records[0]?.value.eventId).toBe(`sim:demo-shop:${START}:spend:search`);
    expect(records[4]?.value.eventId).toBe(`sim:demo-shop:${START}:sales`);
    expect(records[0]?.value.ts).toBe('2026-01-05T00:02:30.000Z');
    expect(records[9]?.value.ts).toBe('2026-01-05T00:07:30.000Z');
    expect(new Set(records.map((r) => r.value.eventId)).size).toBe(records.length);
    expect(sim.now()).toBe(START + 24 * 5 * 60_000);
    expect(sim.tickIndex).toBe(24);
  });

  it('derive impressions from cpm and orders from the average order value', () => {
    const shop = demo.portfolios[0];
    for (const s of spends(records, 'demo-shop')) {
      const cpm = shop?.channels.find((c) => c.id === s.channelId)?.cpm ?? NaN;
      expect(s.impressions).toBe(Math.round((s.amount * 1000) / cpm));
    }
    for (const s of sales(records, 'demo-shop')) expect(s.orders).toBe(Math.round(s.revenue / 60));
  });
});

describe('MarketSimulator: spend and revenue', () => {
  it('spends the planned budget per period on average (200 periods of 12 ticks: within 1%)', () => {
    // spendNoise 0.08 per tick ⇒ the relative sd of a 2400-tick mean is 0.08/√2400 ≈ 0.16%; 1% ≈ 6 sd.
    const sim = new MarketSimulator(demo, { seed: 11, start: START, tickMinutes: 5 });
    const plans = Object.fromEntries(sim.portfolioIds.map((id) => [id, sim.plannedBudget(id)]));
    const records = run(sim, 2400);
    for (const id of sim.portfolioIds) {
      for (const [channelId, planned] of Object.entries(plans[id] ?? {})) {
        const total = spends(records, id).filter((s) => s.channelId === channelId).reduce((t, s) => t + s.amount, 0);
        expect(Math.abs(total / 200 / planned - 1), `${id}/${channelId}`).toBeLessThan(0.01);
      }
    }
  });

  it('earns expectedRevenue per period on average over whole weeks (within 1%)', () => {
    // Hourly ticks over 4 weeks: the season sums to exactly 1; revenue noise 0.05 gives a mean with
    // sd 0.05/√672 ≈ 0.2%; spend noise adds < 0.1% (adstock smooths it, curves are near-linear
    // over ±8%). So 1% is ~4 sd and still catches a wrong baseline, curve or season average.
    const sim = new MarketSimulator(demo, { seed: 12, start: START, tickMinutes: 60 });
    const plans = Object.fromEntries(sim.portfolioIds.map((id) => [id, sim.plannedBudget(id)]));
    const records = run(sim, 4 * 7 * 24);
    for (const id of sim.portfolioIds) {
      const observed = mean(sales(records, id).map((s) => s.revenue));
      const expected = sim.expectedRevenue(id, plans[id] ?? {});
      expect(Math.abs(observed / expected - 1), id).toBeLessThan(0.01);
    }
  });

  it('without noise or season, every tick earns expectedRevenue × tick/period (to 0.01%)', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 15 });
    const expected = sim.expectedRevenue('demo-shop', sim.plannedBudget('demo-shop')) / 4;
    for (const s of sales(run(sim, 20), 'demo-shop')) expect(Math.abs(s.revenue / expected - 1)).toBeLessThan(1e-4);
  });

  it('more spend on a channel brings the revenue its curve says (same noise: within 2%; other noise: within 20%)', () => {
    const base = { start: START, tickMinutes: 60 };
    const even = { 'demo-shop': { search: 500, shopping: 500, social: 500, display: 500 } };
    const more = { 'demo-shop': { search: 900, shopping: 500, social: 500, display: 500 } };
    const ticks = 4 * 7 * 24;
    const revenue = (seed: number, plan: typeof even): number =>
      mean(sales(run(new MarketSimulator(demo, { ...base, seed, initialPlan: plan }), ticks), 'demo-shop').map((s) => s.revenue));
    const sim = new MarketSimulator(demo, { ...base, seed: 0 });
    const expectedGain = sim.expectedRevenue('demo-shop', more['demo-shop']) - sim.expectedRevenue('demo-shop', even['demo-shop']);
    expect(expectedGain).toBeGreaterThan(400);
    // Same seed: the noise draws are the same, so the difference is the curve's gain × (1 + 0.05·z)
    // averaged over 672 ticks (sd ≈ 0.2%) plus a little pacing noise.
    expect(Math.abs((revenue(21, more) - revenue(21, even)) / expectedGain - 1)).toBeLessThan(0.02);
    // Different seeds: each mean has sd ≈ 0.05·5500/√672 ≈ 11, the difference ≈ 15; 20% of ≈470 is ~6 sd.
    expect(Math.abs((revenue(22, more) - revenue(23, even)) / expectedGain - 1)).toBeLessThan(0.2);
  });

  it('carries spend over through adstock: cutting a channel lowers revenue gradually', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 5 });
    const plan = sim.plannedBudget('demo-shop');
    const steady = sim.expectedRevenue('demo-shop', plan) / 12;
    const without = sim.expectedRevenue('demo-shop', { ...plan, search: 0 }) / 12;
    sim.applyReallocation(realloc({ channelId: 'search', version: 1, budget: 0, effectiveFrom: new Date(START).toISOString() }));
    const revenue = sales(run(sim, 12 * 12), 'demo-shop').map((s) => s.revenue);
    expect(revenue[0]).toBeLessThan(steady * 0.999);
    expect(revenue[0]).toBeGreaterThan(without + 0.9 * (steady - without));
    expect(revenue[11]).toBeLessThan(without + 0.5 * (steady - without)); // after one period: 30% of the adstock left
    expect(Math.abs((revenue.at(-1) ?? 0) / without - 1)).toBeLessThan(1e-3);
  });
});

describe('MarketSimulator: reallocations', () => {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const searchAmounts = (sim: MarketSimulator, ticks: number): number[] =>
    spends(run(sim, ticks), 'demo-shop').filter((s) => s.channelId === 'search').map((s) => s.amount);

  it('take effect from the first tick starting at or after effectiveFrom, not before', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 15 });
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 1, budget: 1000, effectiveFrom: iso(START + HOUR) }))).toBe('scheduled');
    expect(sim.applyReallocation(realloc({ channelId: 'display', version: 1, budget: 100, effectiveFrom: iso(START + HOUR + 5 * 60_000) }))).toBe('scheduled');
    expect(sim.plannedBudget('demo-shop')).toEqual({ search: 500, shopping: 500, social: 500, display: 500 });
    const records = run(sim, 8);
    const amounts = (channelId: string): number[] => spends(records, 'demo-shop').filter((s) => s.channelId === channelId).map((s) => s.amount);
    expect(amounts('search')).toEqual([125, 125, 125, 125, 250, 250, 250, 250]);
    expect(amounts('display')).toEqual([125, 125, 125, 125, 125, 25, 25, 25]);
    expect(sim.plannedBudget('demo-shop')).toEqual({ search: 1000, shopping: 500, social: 500, display: 100 });
    expect(spends(records, 'demo-outdoor').map((s) => s.amount).slice(0, 3)).toEqual([66.67, 66.67, 66.67]);
  });

  it('due one millisecond after a tick starts: waits for the next tick', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 15 });
    sim.applyReallocation(realloc({ channelId: 'search', version: 1, budget: 1000, effectiveFrom: iso(START + 1) }));
    expect(sim.plannedBudget('demo-shop')['search']).toBe(500);
    expect(searchAmounts(sim, 2)).toEqual([125, 250]);
  });

  it('when an older pending plan falls due in the same tick as a newer one, the newer wins', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 60 });
    sim.applyReallocation(realloc({ channelId: 'search', version: 7, budget: 900, effectiveFrom: iso(START + 2 * HOUR) }));
    sim.applyReallocation(realloc({ channelId: 'search', version: 8, budget: 300, effectiveFrom: iso(START + 1.5 * HOUR) }));
    expect(searchAmounts(sim, 4)).toEqual([500, 500, 300, 300]);
  });

  it('already due: effective at once', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 30 });
    run(sim, 2);
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 1, budget: 800, effectiveFrom: iso(START) }))).toBe('effective');
    expect(sim.plannedBudget('demo-shop')['search']).toBe(800);
    expect(searchAmounts(sim, 1)).toEqual([400]);
  });

  it('ignore versions not newer than the newest accepted, and drop pending plans superseded by a newer one', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 30 });
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 2, budget: 800, effectiveFrom: iso(START + HOUR) }))).toBe('scheduled');
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 1, budget: 300, effectiveFrom: iso(START) }))).toBe('stale');
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 2, budget: 999, effectiveFrom: iso(START) }))).toBe('stale');
    expect(sim.plannedBudget('demo-shop')['search']).toBe(500);
    // v4 is due at +3h but v5 (newer) is due earlier, at +2h30: v4 must never take effect.
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 4, budget: 1200, effectiveFrom: iso(START + 3 * HOUR) }))).toBe('scheduled');
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 5, budget: 600, effectiveFrom: iso(START + 2.5 * HOUR) }))).toBe('scheduled');
    // another channel keeps its own version line
    expect(sim.applyReallocation(realloc({ channelId: 'display', version: 1, budget: 0, effectiveFrom: iso(START) }))).toBe('effective');
    expect(searchAmounts(sim, 8)).toEqual([250, 250, 400, 400, 400, 300, 300, 300]);
    expect(sim.applyReallocation(realloc({ channelId: 'search', version: 4, budget: 1, effectiveFrom: iso(START) }))).toBe('stale');
    expect(sim.plannedBudget('demo-shop')).toEqual({ search: 600, shopping: 500, social: 500, display: 0 });
  });

  it('reject unknown portfolios and channels and unusable fields', () => {
    const sim = new MarketSimulator(quiet, { seed: 1, start: START, tickMinutes: 30 });
    const ok = realloc({ channelId: 'search', version: 1, budget: 1, effectiveFrom: iso(START) });
    expect(() => sim.applyReallocation({ ...ok, portfolioId: 'nope' })).toThrow(expect.objectContaining({ code: 'PORTFOLIO_NOT_FOUND' }));
    expect(() => sim.applyReallocation({ ...ok, channelId: 'tv' })).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
    expect(() => sim.applyReallocation({ ...ok, effectiveFrom: 'soon' })).toThrow(/effectiveFrom/);
    expect(() => sim.applyReallocation({ ...ok, budget: -1 })).toThrow(/budget/);
    expect(sim.plannedBudget('demo-shop')['search']).toBe(500);
  });
});

describe('MarketSimulator: options and helpers', () => {
  it('validates options and the initial plan', () => {
    const opts = { seed: 1, start: START, tickMinutes: 5 };
    expect(() => new MarketSimulator(demo, { ...opts, tickMinutes: 0 })).toThrow(/tickMinutes/);
    expect(() => new MarketSimulator(demo, { ...opts, start: 1.5 })).toThrow(/start/);
    expect(() => new MarketSimulator(demo, { ...opts, initialPlan: { nope: {} } })).toThrow(/unknown portfolio "nope"/);
    expect(() => new MarketSimulator(demo, { ...opts, initialPlan: { 'demo-outdoor': { search: 1, social: 1 } } })).toThrow(/video/);
    const sim = new MarketSimulator(demo, { ...opts, initialPlan: { 'demo-outdoor': { search: 400, social: 300, video: 100 } } });
    expect(sim.plannedBudget('demo-outdoor')).toEqual({ search: 400, social: 300, video: 100 });
    expect(sim.plannedBudget('demo-shop')).toEqual({ search: 500, shopping: 500, social: 500, display: 500 });
    expect(() => sim.expectedRevenue('demo-shop', { tv: 1 })).toThrow(/no channel "tv"/);
    expect(() => sim.truth('x')).toThrow(expect.objectContaining({ code: 'PORTFOLIO_NOT_FOUND' }));
    expect(sim.truth('demo-shop')).toEqual(demo.portfolios[0]);
  });

  it('clamps the initial even split into the channel bounds', () => {
    const shop = demo.portfolios[0];
    if (!shop) throw new Error('no demo-shop');
    const tight: SimScenario = { name: 't', portfolios: [{ ...shop, channels: shop.channels.map((c) => (c.id === 'display' ? { ...c, max: 200 } : c)) }] };
    const plan = new MarketSimulator(tight, { seed: 1, start: START, tickMinutes: 5 }).plannedBudget('demo-shop');
    expect(plan).toEqual({ search: 600, shopping: 600, social: 600, display: 200 });
  });

  it('expectedRevenue is baseline plus the curves, channels left out spending 0', () => {
    const sim = new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 5 });
    expect(sim.expectedRevenue('demo-shop', {})).toBe(1800);
    expect(sim.expectedRevenue('demo-shop', { search: 700 })).toBeCloseTo(1800 + 1600, 9);
  });

  it('season peaks Sunday 12:00 / 20:00 UTC, troughs Thursday 00:00 / 08:00 UTC, and averages 1', () => {
    const p = { weeklyAmplitude: 0.15, dailyAmplitude: 0 };
    const d = { weeklyAmplitude: 0, dailyAmplitude: 0.25 };
    expect(seasonFactor(p, Date.UTC(2026, 0, 4, 12))).toBeCloseTo(1.15, 12); // Sunday
    expect(seasonFactor(p, Date.UTC(2026, 0, 8, 0))).toBeCloseTo(0.85, 12); // Thursday
    expect(seasonFactor(d, Date.UTC(2026, 0, 5, 20))).toBeCloseTo(1.25, 12);
    expect(seasonFactor(d, Date.UTC(2026, 0, 5, 8))).toBeCloseTo(0.75, 12);
    const both = { weeklyAmplitude: 0.15, dailyAmplitude: 0.25 };
    const hours = Array.from({ length: 168 }, (_, h) => seasonFactor(both, START + h * HOUR + 1234));
    expect(mean(hours)).toBeCloseTo(1, 12);
  });
});
