import { describe, expect, it } from 'vitest';
import { curveValue } from '../../../src/model/curves/registry.ts';
import { seededRandom } from '../../../src/random.ts';
import type { ResponseEffect } from '../../../src/sim/effects.ts';
import { MarketSimulator, type SalesWire, type SimRecord, type TickTruth } from '../../../src/sim/market.ts';
import type { SimChannel, SimScenario } from '../../../src/sim/scenario.ts';
import { builtInScenario } from '../../../src/sim/scenarios.ts';
import { HOUR, START, byChannel, randomFeasible, sum } from './fixtures.ts';

const DAY = 24 * HOUR;
const demo = builtInScenario('demo');
const quiet = builtInScenario('demo-quiet');

/** The scenario with `effects` added to the named channels of every portfolio. */
function withEffects(scenario: SimScenario, effects: Readonly<Record<string, readonly ResponseEffect[]>>): SimScenario {
  return {
    ...scenario,
    portfolios: scenario.portfolios.map((p) => ({
      ...p,
      channels: p.channels.map((c): SimChannel => (effects[c.id] ? { ...c, effects: effects[c.id] ?? [] } : c)),
    })),
  };
}

/** Runs `ticks` ticks; returns the records and, per tick, each portfolio's truth. */
function run(sim: MarketSimulator, ticks: number): { records: SimRecord[]; truths: Map<string, TickTruth>[] } {
  const records: SimRecord[] = [];
  const truths: Map<string, TickTruth>[] = [];
  for (let i = 0; i < ticks; i++) {
    records.push(...sim.step());
    truths.push(new Map(sim.portfolioIds.map((id) => [id, sim.lastTickTruth(id)])));
  }
  return { records, truths };
}

const salesOf = (records: readonly SimRecord[], portfolioId: string): SalesWire[] =>
  records.flatMap((r) => (r.topic === 'sales' && r.key === portfolioId ? [r.value] : []));
const truthsOf = (truths: readonly Map<string, TickTruth>[], portfolioId: string): TickTruth[] =>
  truths.map((m) => {
    const t = m.get(portfolioId);
    if (!t) throw new Error(`no truth for ${portfolioId}`);
    return t;
  });

describe('response effects: determinism', () => {
  it('effects with factor 1 leave every record and every tick truth byte-identical', () => {
    const neutral = withEffects(demo, {
      search: [{ type: 'step', startDay: 0, factor: 1 }],
      social: [{ type: 'ramp', startDay: 0, endDay: 0.5, factor: 1 }, { type: 'step', startDay: 0.25, factor: 1 }],
      video: [{ type: 'ramp', startDay: 0.1, endDay: 2, factor: 1 }],
    });
    const a = run(new MarketSimulator(demo, { seed: 3, start: START, tickMinutes: 5 }), 400);
    const b = run(new MarketSimulator(neutral, { seed: 3, start: START, tickMinutes: 5 }), 400);
    expect(JSON.stringify(b.records)).toBe(JSON.stringify(a.records));
    expect(JSON.stringify(b.truths.map((m) => [...m]))).toBe(JSON.stringify(a.truths.map((m) => [...m])));
  });

  it('real effects draw exactly the same noise: same spend, same sales before they start, same relative revenue noise after', () => {
    const changed = withEffects(demo, {
      social: [{ type: 'step', startDay: 0.5, factor: 0.6 }],
      search: [{ type: 'outage', startDay: 1, endDay: 1.5 }],
    });
    const ticks = 2 * 48;
    const a = run(new MarketSimulator(demo, { seed: 8, start: START, tickMinutes: 30 }), ticks);
    const b = run(new MarketSimulator(changed, { seed: 8, start: START, tickMinutes: 30 }), ticks);
    const spend = (records: readonly SimRecord[]): SimRecord[] => records.filter((r) => r.topic === 'spend');
    expect(JSON.stringify(spend(b.records))).toBe(JSON.stringify(spend(a.records)));
    for (const id of demo.portfolios.map((p) => p.id)) {
      const [salesA, salesB] = [salesOf(a.records, id), salesOf(b.records, id)];
      const [truthA, truthB] = [truthsOf(a.truths, id), truthsOf(b.truths, id)];
      expect(salesB.slice(0, 24)).toEqual(salesA.slice(0, 24)); // the first 12 hours: no effect yet
      for (let i = 24; i < ticks; i++) {
        const [ma, mb] = [truthA[i]?.expectedRevenue ?? NaN, truthB[i]?.expectedRevenue ?? NaN];
        expect(mb, `${id} tick ${i}`).toBeLessThan(ma); // the effects do lower the truth…
        // …but revenue / truth is 1 + noise·z with the same z in both runs (up to the cent rounding).
        const ratioA = (salesA[i]?.revenue ?? NaN) / ma;
        const ratioB = (salesB[i]?.revenue ?? NaN) / mb;
        expect(Math.abs(ratioA - ratioB), `${id} tick ${i}`).toBeLessThanOrEqual(0.005 / ma + 0.005 / mb + 1e-12);
      }
    }
  });
});

describe('lastTickTruth', () => {
  it('is the mean the market drew around: with noise 0 each sales revenue is it to the cent, baseline + media add up, spend is the spend events', () => {
    const scenario = withEffects(quiet, {
      social: [{ type: 'step', startDay: 0.5, factor: 0.6 }],
      search: [{ type: 'outage', startDay: 0.75, endDay: 1 }],
      video: [{ type: 'ramp', startDay: 0, endDay: 1, factor: 1.4 }],
    });
    const sim = new MarketSimulator(scenario, { seed: 2, start: START, tickMinutes: 10 });
    const { records, truths } = run(sim, 6 * 36);
    for (const id of sim.portfolioIds) {
      const sales = salesOf(records, id);
      truthsOf(truths, id).forEach((t, i) => {
        expect(t.tickStart).toBe(START + i * 10 * 60_000);
        expect(Math.abs((sales[i]?.revenue ?? NaN) - t.expectedRevenue)).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(t.baseline + t.media).toBeCloseTo(t.expectedRevenue, 9);
        const amounts = records.flatMap((r, j) =>
          r.topic === 'spend' && r.key === id && Math.floor(j / 9) === i ? [[r.value.channelId, r.value.amount] as const] : []);
        expect(t.spend).toEqual(Object.fromEntries(amounts));
      });
    }
  });

  it('with noise, revenue / truth averages 1 with the configured relative sd (2000 ticks)', () => {
    // z ~ N(0,1): the mean of 1 + 0.05·z over 2000 ticks has sd 0.05/√2000 ≈ 0.0011; 0.005 is ~4.5 sd.
    const sim = new MarketSimulator(builtInScenario('demo-change-point'), { seed: 5, start: START, tickMinutes: 15 });
    const { records, truths } = run(sim, 2000);
    for (const id of sim.portfolioIds) {
      const ratios = salesOf(records, id).map((s, i) => s.revenue / (truthsOf(truths, id)[i]?.expectedRevenue ?? NaN));
      const m = sum(ratios) / ratios.length;
      const sd = Math.sqrt(sum(ratios.map((r) => (r - m) ** 2)) / (ratios.length - 1));
      expect(Math.abs(m - 1), id).toBeLessThan(0.005);
      expect(Math.abs(sd / 0.05 - 1), id).toBeLessThan(0.1);
    }
  });

  it('at steady spend equals expectedRevenue at the tick’s middle × tick/period, before and after a change point', () => {
    // Quiet and 15-minute ticks: the even split (500 per channel) spends exactly 125 a tick, so adstock stays at 500.
    const scenario = withEffects(quiet, { search: [{ type: 'step', startDay: 1, factor: 0.5 }] });
    const sim = new MarketSimulator(scenario, { seed: 1, start: START, tickMinutes: 15 });
    const plan = sim.plannedBudget('demo-shop');
    const { truths } = run(sim, 2 * 96);
    const shop = truthsOf(truths, 'demo-shop');
    const search = curveValue(scenario.portfolios[0]?.channels[0]?.curve ?? { type: 'exp', beta: NaN, k: 1 }, 500);
    const before = shop[95];
    const after = shop[96];
    expect(before?.expectedRevenue).toBeCloseTo(sim.expectedRevenue('demo-shop', plan) / 4, 9);
    expect(after?.expectedRevenue).toBeCloseTo(sim.expectedRevenue('demo-shop', plan, START + DAY + 7.5 * 60_000) / 4, 9);
    expect(after?.expectedRevenue).toBeCloseTo((sim.expectedRevenue('demo-shop', plan) - 0.5 * search) / 4, 9);
    expect(after?.baseline).toBeCloseTo(1800 / 4, 9);
    expect((before?.media ?? 0) - (after?.media ?? 0)).toBeCloseTo((0.5 * search) / 4, 9);
  });

  it('uses the factor at the tick’s middle', () => {
    // Hourly ticks, step at day 1 + 20 min: the tick [day 1 00:00, 01:00) has its middle after it.
    const scenario = withEffects(quiet, { search: [{ type: 'step', startDay: 1 + 20 / 1440, factor: 0 }] });
    const sim = new MarketSimulator(scenario, { seed: 1, start: START, tickMinutes: 60 });
    const shop = truthsOf(run(sim, 25).truths, 'demo-shop');
    const plan = sim.plannedBudget('demo-shop');
    expect(shop[23]?.expectedRevenue).toBeCloseTo(sim.expectedRevenue('demo-shop', plan), 9);
    expect(shop[24]?.expectedRevenue).toBeCloseTo(sim.expectedRevenue('demo-shop', { ...plan, search: 0 }), 9);
  });

  it('is an error before the first tick', () => {
    const sim = new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 5 });
    expect(() => sim.lastTickTruth('demo-shop')).toThrow(/no tick simulated yet/);
    sim.step();
    expect(() => sim.lastTickTruth('nope')).toThrow(expect.objectContaining({ code: 'PORTFOLIO_NOT_FOUND' }));
  });
});

describe('responseFactor and expectedRevenue over time', () => {
  const scenario = withEffects(demo, {
    search: [{ type: 'step', startDay: 10, factor: 0.6 }, { type: 'ramp', startDay: 0, endDay: 20, factor: 0.5 }],
    social: [{ type: 'outage', startDay: 12, endDay: 15 }],
  });
  const sim = new MarketSimulator(scenario, { seed: 1, start: START, tickMinutes: 5 });

  it('responseFactor multiplies the channel’s effects at a time given in epoch ms', () => {
    expect(sim.responseFactor('demo-shop', 'search', START)).toBe(1);
    expect(sim.responseFactor('demo-shop', 'search', START + 5 * DAY)).toBeCloseTo(0.875, 12);
    expect(sim.responseFactor('demo-shop', 'search', START + 10 * DAY)).toBeCloseTo(0.6 * 0.75, 12);
    expect(sim.responseFactor('demo-shop', 'search', START + 30 * DAY)).toBeCloseTo(0.3, 12);
    expect(sim.responseFactor('demo-shop', 'social', START + 12.5 * DAY)).toBe(0);
    expect(sim.responseFactor('demo-shop', 'social', START + 15 * DAY)).toBe(1);
    expect(sim.responseFactor('demo-shop', 'display', START + 12.5 * DAY)).toBe(1);
    expect(sim.responseFactor('demo-outdoor', 'social', START + 12.5 * DAY)).toBe(0);
    expect(() => sim.responseFactor('demo-shop', 'tv', START)).toThrow(/no channel "tv"/);
    expect(() => sim.responseFactor('demo-shop', 'search', NaN)).toThrow(/time must be/);
  });

  it('expectedRevenue scales each curve by its factor at `time`, the market start by default', () => {
    const plan = { search: 600, shopping: 400, social: 800, display: 200 };
    const curve = (id: string, x: number): number =>
      curveValue(scenario.portfolios[0]?.channels.find((c) => c.id === id)?.curve ?? { type: 'exp', beta: NaN, k: 1 }, x);
    const stationary = new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 5 }).expectedRevenue('demo-shop', plan);
    expect(sim.expectedRevenue('demo-shop', plan)).toBe(stationary);
    expect(sim.expectedRevenue('demo-shop', plan, START)).toBe(stationary);
    expect(sim.expectedRevenue('demo-shop', plan, START + 12.5 * DAY))
      .toBeCloseTo(stationary - curve('social', 800) - (1 - 0.6 * (1 - 0.5 * 12.5 / 20)) * curve('search', 600), 9);
  });
});

describe('oracleAllocation over time (the dynamic oracle)', () => {
  const sim = new MarketSimulator(builtInScenario('demo-change-point'), { seed: 1, start: START, tickMinutes: 5 });
  const stationary = new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 5 });
  const moved = (a: Record<string, number>, b: Record<string, number>): number =>
    sum(Object.keys(a).map((k) => Math.abs((a[k] ?? 0) - (b[k] ?? 0))));

  it.each(['demo-shop', 'demo-outdoor'])('%s: unchanged before the change point, moved after it, and best under the new truth', (id) => {
    const truth = sim.truth(id);
    const atStart = sim.oracleAllocation(id);
    expect(atStart).toEqual(stationary.oracleAllocation(id));
    expect(sim.oracleAllocation(id, undefined, START + 9.99 * DAY)).toEqual(atStart);
    const after = START + 10 * DAY;
    const next = sim.oracleAllocation(id, undefined, after);
    expect(moved(next, atStart)).toBeGreaterThan(0.1 * truth.budget);
    expect(sim.oracleAllocation(id, undefined, START + 25 * DAY)).toEqual(next);
    expect(Math.abs(sum(Object.values(next)) - truth.budget)).toBeLessThan(1e-4 * truth.budget);
    const best = sim.expectedRevenue(id, next, after);
    expect(best).toBeGreaterThan(sim.expectedRevenue(id, atStart, after) + 0.005 * best);
    const ids = truth.channels.map((c) => c.id);
    const [min, max] = [truth.channels.map((c) => c.min ?? 0), truth.channels.map((c) => c.max ?? Infinity)];
    const rng = seededRandom(99);
    for (let n = 0; n < 200; n++) {
      expect(best).toBeGreaterThanOrEqual(sim.expectedRevenue(id, byChannel(ids, randomFeasible(rng, truth.budget, min, max)), after));
    }
  });

  it('returns a fresh object each time (cached solutions cannot be changed by callers)', () => {
    const a = sim.oracleAllocation('demo-shop');
    a['search'] = -1;
    expect(sim.oracleAllocation('demo-shop')['search']).toBeGreaterThan(0);
  });

  it('honours bounds together with time', () => {
    const after = START + 11 * DAY;
    const capped = sim.oracleAllocation('demo-shop', { min: {}, max: { search: 300 } }, after);
    expect(capped['search']).toBeLessThanOrEqual(300);
    expect(sim.expectedRevenue('demo-shop', capped, after)).toBeLessThan(sim.expectedRevenue('demo-shop', sim.oracleAllocation('demo-shop', undefined, after), after));
  });
});
