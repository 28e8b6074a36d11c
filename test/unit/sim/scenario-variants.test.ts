import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import { MarketSimulator } from '../../../src/sim/market.ts';
import { parseScenario, type SimScenario } from '../../../src/sim/scenario.ts';
import { byOptimalShare } from '../../../src/sim/scenario-variants.ts';
import {
  builtInScenario,
  evaluationScenarioNames,
  evaluationScenarios,
  resolveScenario,
  scenarioDescriptions,
  scenarioFromPortfolios,
  scenarioMatches,
  scenarioNames,
} from '../../../src/sim/scenarios.ts';
import { HOUR, START, demoPortfolioConfigs, sum } from './fixtures.ts';

const DAY = 24 * HOUR;
const config = defaultConfig();
const effectScenarios = ['demo-change-point', 'demo-drift', 'demo-outage'] as const;

/** Per portfolio, the channels that carry effects and the effects. */
const effectsOf = (scenario: SimScenario): Record<string, Record<string, unknown>> =>
  Object.fromEntries(scenario.portfolios.map((p) => [p.id, Object.fromEntries(p.channels.flatMap((c) => (c.effects ? [[c.id, c.effects]] : [])))]));

const withoutEffects = (scenario: SimScenario): SimScenario => ({
  ...scenario,
  portfolios: scenario.portfolios.map((p) => ({ ...p, channels: p.channels.map(({ effects: _effects, ...c }) => c) })),
});

describe('built-in scenarios with response effects', () => {
  it('are listed, described, parse, survive JSON and match the default config’s portfolios', () => {
    expect(scenarioNames).toEqual(['demo', 'demo-quiet', 'demo-change-point', 'demo-drift', 'demo-outage']);
    for (const name of scenarioNames) {
      expect(scenarioDescriptions[name].length).toBeGreaterThan(10);
      const scenario = builtInScenario(name);
      expect(scenario.name).toBe(name);
      expect(parseScenario(JSON.parse(JSON.stringify(scenario)))).toEqual(scenario);
      expect(scenarioMatches(scenario, config.portfolios, config.ingest.bucketMinutes), name).toBe(true);
      expect(resolveScenario(name, config.portfolios, config.ingest.bucketMinutes, config.simulator.seed)).toEqual({ scenario, source: 'built-in' });
    }
    expect(() => builtInScenario('nope')).toThrow(/built in: demo, demo-quiet, demo-change-point, demo-drift, demo-outage/);
  });

  it('are the demo plus their effects and nothing else; demo itself has none', () => {
    const demo = builtInScenario('demo');
    expect(effectsOf(demo)).toEqual({ 'demo-shop': {}, 'demo-outdoor': {} });
    for (const name of effectScenarios) expect(withoutEffects(builtInScenario(name)).portfolios, name).toEqual(demo.portfolios);
  });

  it('put each effect on the channel the rule names (by share of the true optimal allocation)', () => {
    const demo = builtInScenario('demo');
    const sim = new MarketSimulator(demo, { seed: 1, start: START, tickMinutes: 60 });
    const ranked = Object.fromEntries(demo.portfolios.map((p) => {
      const oracle = sim.oracleAllocation(p.id);
      return [p.id, p.channels.map((c) => c.id).sort((a, b) => (oracle[b] ?? 0) - (oracle[a] ?? 0))];
    }));
    expect(ranked).toEqual({ 'demo-shop': ['social', 'search', 'shopping', 'display'], 'demo-outdoor': ['social', 'search', 'video'] });
    expect(demo.portfolios.map((p) => byOptimalShare(p).map((i) => p.channels[i]?.id))).toEqual([ranked['demo-shop'], ranked['demo-outdoor']]);
    const step = { type: 'step', startDay: 10, factor: 0.6 };
    const outage = { type: 'outage', startDay: 10, endDay: 13 };
    const fade = { type: 'ramp', startDay: 0, endDay: 30, factor: 0.6 };
    const grow = { type: 'ramp', startDay: 0, endDay: 30, factor: 1.4 };
    expect(effectsOf(builtInScenario('demo-change-point'))).toEqual({ 'demo-shop': { social: [step] }, 'demo-outdoor': { social: [step] } });
    expect(effectsOf(builtInScenario('demo-outage'))).toEqual({ 'demo-shop': { search: [outage] }, 'demo-outdoor': { search: [outage] } });
    expect(effectsOf(builtInScenario('demo-drift'))).toEqual({
      'demo-shop': { social: [fade], display: [grow] },
      'demo-outdoor': { social: [fade], video: [grow] },
    });
  });

  it('the outage channel has a sizeable budget: at least a quarter of the portfolio in the optimal split', () => {
    const scenario = builtInScenario('demo-outage');
    const sim = new MarketSimulator(scenario, { seed: 1, start: START, tickMinutes: 60 });
    for (const p of scenario.portfolios) {
      expect(sim.oracleAllocation(p.id)['search'] ?? 0, p.id).toBeGreaterThan(0.25 * p.budget);
      // During the outage the true best is to spend as little there as the bounds allow.
      const during = sim.oracleAllocation(p.id, undefined, START + 11 * DAY);
      expect(during['search']).toBeCloseTo(p.channels.find((c) => c.id === 'search')?.min ?? NaN, 6);
      expect(sim.oracleAllocation(p.id, undefined, START + 13 * DAY)).toEqual(sim.oracleAllocation(p.id));
    }
  });

  it('demo-drift really moves the optimum: day 30 vs day 0 moves ≥ 20% of the budget and the day-0 split loses ≥ 1.5%', () => {
    const scenario = builtInScenario('demo-drift');
    const sim = new MarketSimulator(scenario, { seed: 1, start: START, tickMinutes: 60 });
    for (const p of scenario.portfolios) {
      const first = sim.oracleAllocation(p.id);
      const mid = sim.oracleAllocation(p.id, undefined, START + 15 * DAY);
      const last = sim.oracleAllocation(p.id, undefined, START + 30 * DAY);
      const moved = (a: Record<string, number>, b: Record<string, number>): number => sum(p.channels.map((c) => Math.abs((a[c.id] ?? 0) - (b[c.id] ?? 0))));
      expect(moved(first, last), p.id).toBeGreaterThan(0.2 * p.budget);
      expect(moved(first, mid), p.id).toBeGreaterThan(0.05 * p.budget);
      expect(moved(first, mid), p.id).toBeLessThan(moved(first, last));
      const best = sim.expectedRevenue(p.id, last, START + 30 * DAY);
      expect(sim.expectedRevenue(p.id, first, START + 30 * DAY), p.id).toBeLessThan(best * (1 - 0.015));
      expect(sim.oracleAllocation(p.id, undefined, START + 45 * DAY)).toEqual(last);
    }
  });
});

describe('evaluation scenarios', () => {
  it('map each evaluation name to a built-in scenario', () => {
    expect(evaluationScenarios).toEqual({ stationary: 'demo', 'change-point': 'demo-change-point', drift: 'demo-drift', outage: 'demo-outage' });
    expect(evaluationScenarioNames).toEqual(['stationary', 'change-point', 'drift', 'outage']);
    for (const name of evaluationScenarioNames) expect(scenarioNames).toContain(evaluationScenarios[name]);
  });
});

describe('resolveScenario for portfolios that do not match the demo', () => {
  const renamed = demoPortfolioConfigs.map((p) => ({ ...p, id: `${p.id}-x` }));

  it('applies the same variant to the generated ground truth', () => {
    const generated = scenarioFromPortfolios(renamed, 60, 4);
    for (const name of effectScenarios) {
      const { scenario, source } = resolveScenario(name, renamed, 60, 4);
      expect(source).toBe('generated');
      expect(scenario.name).toBe(`generated-${name}`);
      expect(withoutEffects(scenario).portfolios).toEqual(generated.portfolios);
      expect(parseScenario(JSON.parse(JSON.stringify(scenario)))).toEqual(scenario);
    }
    const changePoint = resolveScenario('demo-change-point', renamed, 60, 4).scenario;
    for (const p of changePoint.portfolios) {
      const top = byOptimalShare(p)[0] ?? -1;
      expect(p.channels.map((c) => c.effects ?? null)).toEqual(p.channels.map((_, i) => (i === top ? [{ type: 'step', startDay: 10, factor: 0.6 }] : null)));
    }
    expect(resolveScenario('demo', renamed, 60, 4)).toEqual({ scenario: generated, source: 'generated' });
    const quiet = resolveScenario('demo-quiet', renamed, 60, 4).scenario;
    expect(quiet.portfolios.map((p) => [p.weeklyAmplitude, p.dailyAmplitude, p.noise, p.spendNoise])).toEqual([[0, 0, 0, 0], [0, 0, 0, 0]]);
  });
});
