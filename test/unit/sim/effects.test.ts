import { describe, expect, it } from 'vitest';
import { SpendflowError } from '../../../src/errors.ts';
import { curveTypes, curveValue } from '../../../src/model/curves/registry.ts';
import type { CurveSpec, CurveType } from '../../../src/model/curves/types.ts';
import { effectFactor, parseEffects, responseFactorAt, scaleCurve, type ResponseEffect } from '../../../src/sim/effects.ts';
import { parseScenario } from '../../../src/sim/scenario.ts';
import { builtInScenario } from '../../../src/sim/scenarios.ts';

const step: ResponseEffect = { type: 'step', startDay: 10, factor: 0.6 };
const ramp: ResponseEffect = { type: 'ramp', startDay: 0, endDay: 30, factor: 0.5 };
const outage: ResponseEffect = { type: 'outage', startDay: 12, endDay: 15 };

describe('effect factors over time', () => {
  it('step: ×1 before startDay, ×factor from startDay on', () => {
    expect([0, 9.999, 10, 10.5, 400].map((d) => effectFactor(step, d))).toEqual([1, 1, 0.6, 0.6, 0.6]);
  });

  it('ramp: ×1 up to startDay, linear to ×factor at endDay, held after', () => {
    const late: ResponseEffect = { type: 'ramp', startDay: 5, endDay: 15, factor: 1.4 };
    expect(effectFactor(late, 0)).toBe(1);
    expect(effectFactor(late, 5)).toBe(1);
    expect(effectFactor(late, 7.5)).toBeCloseTo(1.1, 12);
    expect(effectFactor(late, 10)).toBeCloseTo(1.2, 12);
    expect(effectFactor(late, 15)).toBe(1.4);
    expect(effectFactor(late, 90)).toBe(1.4);
    expect(effectFactor(ramp, 15)).toBeCloseTo(0.75, 12);
    expect(effectFactor(ramp, 0.25)).toBeCloseTo(1 - 0.5 * (0.25 / 30), 12);
  });

  it('outage: ×0 in [startDay, endDay), ×1 before and from endDay on', () => {
    expect([11.99, 12, 13.5, 14.999, 15, 20].map((d) => effectFactor(outage, d))).toEqual([1, 0, 0, 0, 1, 1]);
  });

  it('several effects multiply; none is exactly 1', () => {
    const effects = [step, ramp, outage];
    expect(responseFactorAt([], 11)).toBe(1);
    expect(responseFactorAt(effects, 5)).toBeCloseTo(1 - 0.5 * (5 / 30), 12);
    expect(responseFactorAt(effects, 11)).toBeCloseTo(0.6 * (1 - 0.5 * (11 / 30)), 12);
    expect(responseFactorAt(effects, 13)).toBe(0);
    expect(responseFactorAt(effects, 40)).toBeCloseTo(0.6 * 0.5, 12);
    expect(responseFactorAt([step, step], 10)).toBeCloseTo(0.36, 12);
  });
});

describe('scaleCurve', () => {
  const samples: { readonly [T in CurveType]: Extract<CurveSpec, { type: T }> } = {
    hill: { type: 'hill', beta: 3200, k: 700, s: 1.7 },
    exp: { type: 'exp', beta: 1500, k: 450 },
    log: { type: 'log', beta: 800, k: 200 },
  };

  it.each(curveTypes)('scales a %s curve’s value by the factor at every spend', (type) => {
    const curve = samples[type];
    for (const factor of [0, 0.6, 1.4]) {
      const scaled = scaleCurve(curve, factor);
      for (const x of [0, 50, 700, 5000]) {
        expect(curveValue(scaled, x)).toBeCloseTo(factor * curveValue(curve, x), 9);
      }
    }
    expect(scaleCurve(curve, 1)).toBe(curve);
  });
});

describe('parseEffects', () => {
  it('accepts the three types as given', () => {
    expect(parseEffects([step, ramp, outage], 'effects')).toEqual({ effects: [step, ramp, outage], problems: [] });
    expect(parseEffects([], 'effects')).toEqual({ effects: [], problems: [] });
  });

  it('names every bad field', () => {
    const { effects, problems } = parseEffects(
      [
        { type: 'step', startDay: -1, factor: -0.5 },
        { type: 'ramp', startDay: 5, endDay: 5, factor: 0.5 },
        { type: 'outage', startDay: 3, endDay: 2 },
        { type: 'spike', startDay: 1 },
        { startDay: 1 },
        { type: 'step', startDay: 1, factor: 0.5, endDay: 4 },
        { type: 'outage', startDay: 1, endDay: 2, factor: 0 },
        { type: 'step', startDay: '1', factor: Infinity },
        { type: 'ramp', factor: 0.5 },
        7,
      ],
      'p.effects',
    );
    expect(effects).toBeUndefined();
    expect(problems.map((p) => p.field)).toEqual([
      'p.effects[0].startDay',
      'p.effects[0].factor',
      'p.effects[1].endDay',
      'p.effects[2].endDay',
      'p.effects[3].type',
      'p.effects[4].type',
      'p.effects[5].endDay',
      'p.effects[6].factor',
      'p.effects[7].startDay',
      'p.effects[7].factor',
      'p.effects[8].startDay',
      'p.effects[8].endDay',
      'p.effects[9]',
    ]);
    const message = (field: string): string | undefined => problems.find((p) => p.field === `p.effects${field}`)?.message;
    expect(message('[0].factor')).toMatch(/must be >= 0/);
    expect(message('[1].endDay')).toMatch(/must be > startDay \(5\)/);
    expect(message('[3].type')).toMatch(/must be one of step, ramp, outage \(got "spike"\)/);
    expect(message('[4].type')).toMatch(/is required/);
    expect(message('[5].endDay')).toMatch(/is not a known field/);
    expect(message('[7].factor')).toMatch(/finite number/);
  });

  it('rejects a value that is not an array', () => {
    expect(parseEffects({ type: 'step' }, 'effects').problems.map((p) => p.field)).toEqual(['effects']);
    expect(parseEffects(null, 'effects').problems.map((p) => p.field)).toEqual(['effects']);
  });
});

describe('parseScenario with effects', () => {
  function problemFields(json: unknown): string[] {
    try {
      parseScenario(json);
    } catch (err) {
      expect(err).toBeInstanceOf(SpendflowError);
      expect((err as SpendflowError).code).toBe('INPUT_INVALID');
      return (err as SpendflowError).problems.map((p) => p.field);
    }
    throw new Error('expected parseScenario to throw');
  }

  const demoJson = (): { portfolios: { channels: Record<string, unknown>[] }[] } =>
    JSON.parse(JSON.stringify(builtInScenario('demo'))) as { portfolios: { channels: Record<string, unknown>[] }[] };

  it('keeps valid effects on the channel and leaves channels without them unchanged', () => {
    const json = demoJson();
    const search = json.portfolios[0]?.channels[0];
    if (!search) throw new Error('no search channel');
    search['effects'] = [step, outage];
    const parsed = parseScenario(json);
    expect(parsed.portfolios[0]?.channels[0]?.effects).toEqual([step, outage]);
    expect(parsed.portfolios[0]?.channels[1]).not.toHaveProperty('effects');
  });

  it('reports effect problems with their full field path, together with the other problems', () => {
    const json = demoJson();
    const [shop, outdoor] = json.portfolios;
    if (!shop?.channels[1] || !outdoor?.channels[2]) throw new Error('demo shape changed');
    shop.channels[1]['effects'] = [{ type: 'step', startDay: 10, factor: 0.6 }, { type: 'ramp', startDay: 0, endDay: 30, factr: 0.5 }];
    shop.channels[1]['cpm'] = 0;
    outdoor.channels[2]['effects'] = 'none';
    expect(problemFields(json).sort()).toEqual([
      'portfolios[0].channels[1].cpm',
      'portfolios[0].channels[1].effects[1].factor',
      'portfolios[0].channels[1].effects[1].factr',
      'portfolios[1].channels[2].effects',
    ]);
  });
});
