import { describe, expect, it } from 'vitest';
import { SpendflowError } from '../../../src/errors.ts';
import { curveValue } from '../../../src/model/curves/registry.ts';
import { evenSplit } from '../../../src/sim/oracle.ts';
import { parseScenario } from '../../../src/sim/scenario.ts';
import {
  builtInScenario,
  resolveScenario,
  scenarioFromPortfolios,
  scenarioMatches,
  scenarioNames,
} from '../../../src/sim/scenarios.ts';
import { demoPortfolioConfigs } from './fixtures.ts';

function problemsOf(fn: () => unknown): { field: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SpendflowError);
    const e = err as SpendflowError;
    expect(e.code).toBe('INPUT_INVALID');
    return [...e.problems];
  }
  throw new Error('expected a SpendflowError');
}

describe('built-in scenarios', () => {
  it('demo matches the default config portfolios: ids, currencies, budgets, period, channels, platforms, bounds', () => {
    const demo = builtInScenario('demo');
    const shape = demo.portfolios.map((p) => ({
      id: p.id,
      currency: p.currency,
      budget: p.budget,
      periodMinutes: p.periodMinutes,
      channels: p.channels.map((c) => [c.id, c.platform, c.min, c.max]),
    }));
    expect(shape).toEqual([
      {
        id: 'demo-shop', currency: 'EUR', budget: 2000, periodMinutes: 60,
        channels: [
          ['search', 'google-ads', 200, 1200],
          ['shopping', 'google-ads', 100, 1000],
          ['social', 'meta', 100, 1000],
          ['display', 'criteo', 0, 600],
        ],
      },
      {
        id: 'demo-outdoor', currency: 'USD', budget: 800, periodMinutes: 60,
        channels: [
          ['search', 'google-ads', 50, 500],
          ['social', 'meta', 50, 500],
          ['video', 'tiktok', 0, 300],
        ],
      },
    ]);
    expect(scenarioMatches(demo, demoPortfolioConfigs, 60)).toBe(true);
  });

  it('demo-shop has an S-shaped social channel and the brief’s market levels', () => {
    const shop = builtInScenario('demo').portfolios[0];
    expect(shop?.channels.find((c) => c.id === 'social')?.curve).toMatchObject({ type: 'hill', s: 2 });
    expect(shop).toMatchObject({ weeklyAmplitude: 0.15, dailyAmplitude: 0.25, noise: 0.05, spendNoise: 0.08, averageOrderValue: 60 });
    for (const c of shop?.channels ?? []) {
      expect(c.adstockDecay).toBeGreaterThanOrEqual(0.3);
      expect(c.adstockDecay).toBeLessThanOrEqual(0.6);
    }
  });

  it('every built-in scenario is valid input for parseScenario and survives a JSON round trip', () => {
    expect(scenarioNames.length).toBeGreaterThan(0);
    for (const name of scenarioNames) {
      const scenario = builtInScenario(name);
      expect(parseScenario(JSON.parse(JSON.stringify(scenario)))).toEqual(scenario);
    }
  });

  it('demo-quiet is the demo without seasonality or noise', () => {
    const quiet = builtInScenario('demo-quiet');
    const demo = builtInScenario('demo');
    expect(quiet.portfolios.map((p) => [p.weeklyAmplitude, p.dailyAmplitude, p.noise, p.spendNoise])).toEqual([[0, 0, 0, 0], [0, 0, 0, 0]]);
    expect(quiet.portfolios.map((p) => p.channels)).toEqual(demo.portfolios.map((p) => p.channels));
  });

  it('an unknown name is an INPUT_INVALID error that lists the names', () => {
    expect(() => builtInScenario('nope')).toThrow(/unknown scenario "nope"; built in: demo, demo-quiet/);
    expect(problemsOf(() => builtInScenario('nope')).map((p) => p.field)).toEqual(['scenario']);
  });
});

describe('parseScenario', () => {
  it('reports every problem at once, each with its field path', () => {
    const demo = JSON.parse(JSON.stringify(builtInScenario('demo'))) as {
      name?: unknown;
      portfolios: Record<string, unknown>[];
    };
    delete demo.name;
    const shop = demo.portfolios[0] as Record<string, unknown> & { channels: Record<string, unknown>[] };
    shop['currency'] = 'eur';
    shop['bugdet'] = 5;
    shop['dailyAmplitude'] = 0.9;
    (shop.channels[0] as { curve: Record<string, unknown> }).curve['k'] = -1;
    (shop.channels[1] as Record<string, unknown>)['cpm'] = 0;
    (shop.channels[2] as Record<string, unknown>)['adstockDecay'] = 1;
    (shop.channels[3] as Record<string, unknown>)['id'] = 'search';
    const outdoor = demo.portfolios[1] as Record<string, unknown> & { channels: Record<string, unknown>[] };
    outdoor['noise'] = 'high';
    (outdoor.channels[2] as Record<string, unknown>)['min'] = 400;

    const problems = problemsOf(() => parseScenario(demo));
    expect(problems.map((p) => p.field).sort()).toEqual([
      'name',
      'portfolios[0].bugdet',
      'portfolios[0].channels[0].curve.k',
      'portfolios[0].channels[1].cpm',
      'portfolios[0].channels[2].adstockDecay',
      'portfolios[0].channels[3].id',
      'portfolios[0].currency',
      'portfolios[0].dailyAmplitude',
      'portfolios[1].channels[2].max',
      'portfolios[1].noise',
    ]);
    expect(() => parseScenario(demo)).toThrow(/invalid scenario \(10 problems\)/);
    expect(() => parseScenario(demo)).toThrow(/portfolios\[0\]\.channels\[3\]\.id: duplicates portfolios\[0\]\.channels\[0\]\.id/);
  });

  it('names the root, an empty portfolio list, missing fields and a bad curve type', () => {
    expect(problemsOf(() => parseScenario([]))).toEqual([{ field: '(root)', message: expect.stringMatching(/must be a JSON object/) }]);
    expect(problemsOf(() => parseScenario({ name: 'x', portfolios: [] })).map((p) => p.field)).toEqual(['portfolios']);
    const missing = problemsOf(() =>
      parseScenario({ name: 'x', portfolios: [{ id: 'p', channels: [{ id: 'c', curve: { type: 'spline' } }] }] }),
    ).map((p) => p.field);
    expect(missing).toEqual(expect.arrayContaining([
      'portfolios[0].currency', 'portfolios[0].budget', 'portfolios[0].periodMinutes', 'portfolios[0].baseline',
      'portfolios[0].averageOrderValue', 'portfolios[0].channels[0].platform', 'portfolios[0].channels[0].cpm',
      'portfolios[0].channels[0].curve.type',
    ]));
  });

  it('checks that the budget fits the channel bounds', () => {
    const demo = JSON.parse(JSON.stringify(builtInScenario('demo'))) as { portfolios: Record<string, unknown>[] };
    (demo.portfolios[0] as Record<string, unknown>)['budget'] = 5000;
    (demo.portfolios[1] as Record<string, unknown>)['budget'] = 50;
    const problems = problemsOf(() => parseScenario(demo));
    expect(problems).toEqual([
      { field: 'portfolios[0].budget', message: 'exceeds the sum of the channel maximums (3800)' },
      { field: 'portfolios[1].budget', message: 'is below the sum of the channel minimums (100)' },
    ]);
  });
});

describe('scenarioFromPortfolios', () => {
  const renamed = demoPortfolioConfigs.map((p) => ({ ...p, id: `${p.id}-x` }));

  it('is deterministic in the seed and valid scenario input', () => {
    const a = scenarioFromPortfolios(renamed, 30, 7);
    expect(scenarioFromPortfolios(renamed, 30, 7)).toEqual(a);
    expect(scenarioFromPortfolios(renamed, 30, 8)).not.toEqual(a);
    expect(parseScenario(JSON.parse(JSON.stringify(a)))).toEqual(a);
    expect(a.portfolios.map((p) => [p.id, p.currency, p.budget, p.periodMinutes])).toEqual([
      ['demo-shop-x', 'EUR', 2000, 30],
      ['demo-outdoor-x', 'USD', 800, 30],
    ]);
    expect(a.portfolios[0]?.channels.map((c) => [c.id, c.platform, c.min, c.max])).toEqual([
      ['search', 'google-ads', 200, 1200],
      ['shopping', 'google-ads', 100, 1000],
      ['social', 'meta', 100, 1000],
      ['display', 'criteo', 0, 600],
    ]);
  });

  it('scales the truth to the budget: media ROI at an even split is within 1.2..2.5 for many seeds', () => {
    const big = [{ ...renamed[0], id: 'big', budget: 2_000_000, channels: renamed[0]?.channels.map((c) => ({ ...c, min: 0, max: null })) ?? [] }];
    for (let seed = 0; seed < 50; seed++) {
      for (const p of scenarioFromPortfolios([...renamed, ...big] as typeof renamed, 60, seed).portfolios) {
        const even = evenSplit(p.budget, p.channels.map((c) => c.min ?? 0), p.channels.map((c) => c.max ?? Infinity));
        const media = p.channels.reduce((s, c, i) => s + curveValue(c.curve, even[i] ?? 0), 0);
        const roi = media / p.budget;
        expect(roi, `${p.id} seed ${seed}`).toBeGreaterThanOrEqual(1.19);
        expect(roi, `${p.id} seed ${seed}`).toBeLessThanOrEqual(2.51);
      }
    }
  });

  it('draws each portfolio from its own sub-stream: adding a portfolio leaves the others unchanged', () => {
    const alone = scenarioFromPortfolios(renamed.slice(1), 60, 3);
    const both = scenarioFromPortfolios(renamed, 60, 3);
    expect(both.portfolios[1]).toEqual(alone.portfolios[0]);
  });

  it('resolveScenario uses the built-in scenario only when it matches the configuration', () => {
    expect(resolveScenario('demo', demoPortfolioConfigs, 60, 1).source).toBe('built-in');
    expect(resolveScenario('demo', demoPortfolioConfigs, 30, 1).source).toBe('generated');
    const changed = demoPortfolioConfigs.map((p, i) => (i === 0 ? { ...p, budget: 2500 } : p));
    const resolved = resolveScenario('demo', changed, 60, 1);
    expect(resolved.source).toBe('generated');
    expect(resolved.scenario.portfolios[0]?.budget).toBe(2500);
  });
});
