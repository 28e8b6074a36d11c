import { describe, expect, it } from 'vitest';
import { KEY_BY_PATH, type KeySpec } from '../../../src/config/schema.ts';
import { checkPortfolios, checkValue } from '../../../src/config/validate.ts';
import { loadConfig } from '../../../src/config/loader.ts';

function spec(path: string): KeySpec {
  const found = KEY_BY_PATH.get(path);
  if (!found) throw new Error(`no spec for ${path}`);
  return found;
}

const channel = (id: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ id, platform: 'google-ads', min: 0, ...extra });
const portfolio = (extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ id: 'p', currency: 'EUR', budget: 100, maxChange: 0.2, channels: [channel('a'), channel('b')], ...extra });

function fields(raw: unknown): string[] {
  return checkPortfolios(raw).problems.map((p) => p.field);
}

describe('checkValue', () => {
  it('enforces bounds, exclusive minimums, patterns and rules', () => {
    expect(checkValue(spec('service.port'), 0)).toBeUndefined();
    expect(checkValue(spec('service.port'), 65536)).toBe('must be <= 65535 (got 65536)');
    expect(checkValue(spec('service.port'), 80.5)).toBe('must be an integer (got 80.5)');
    expect(checkValue(spec('model.priorRoi'), 0)).toBe('must be > 0 (got 0)');
    expect(checkValue(spec('model.ridge'), 0)).toBeUndefined();
    expect(checkValue(spec('kafka.topics.dlq'), 'a b')).toContain('must match');
    expect(checkValue(spec('kafka.brokers'), ['ok:9092', 'no-port', 'big:70000'])).toBe(
      'item 1 "no-port" is not host:port; item 2 "big:70000" has a port outside 1..65535',
    );
    expect(checkValue(spec('kafka.brokers'), ['[::1]:9092'])).toBeUndefined();
    expect(checkValue(spec('simulator.start'), '2026-01-05T00:00:00')).toContain('with a zone');
    expect(checkValue(spec('simulator.start'), null)).toBeUndefined();
    expect(checkValue(spec('service.host'), null)).toBe('must not be null');
    expect(checkValue(spec('kafka.createTopics'), 'true')).toBe('must be true or false (got "true")');
  });
});

describe('checkPortfolios', () => {
  it('accepts a valid list and fills in optional max and initialShare with null', () => {
    const result = checkPortfolios([portfolio({ channels: [channel('a', { max: 60 }), channel('b')] })]);
    expect(result.problems).toEqual([]);
    expect(result.portfolios?.[0]?.channels).toEqual([
      { id: 'a', platform: 'google-ads', min: 0, max: 60, initialShare: null },
      { id: 'b', platform: 'google-ads', min: 0, max: null, initialShare: null },
    ]);
  });

  it('requires at least one portfolio and a list', () => {
    expect(fields([])).toEqual(['portfolios']);
    expect(fields({ id: 'p' })).toEqual(['portfolios']);
  });

  it('rejects duplicate portfolio ids and bad ids, currencies, budgets and maxChange', () => {
    expect(fields([portfolio(), portfolio()])).toEqual(['portfolios[1].id']);
    expect(fields([portfolio({ id: 'has space', currency: 'eur', budget: 0, maxChange: 1.5 })])).toEqual([
      'portfolios[0].id', 'portfolios[0].currency', 'portfolios[0].maxChange', 'portfolios[0].budget',
    ]);
    expect(fields([portfolio({ maxChange: 0 })])).toEqual(['portfolios[0].maxChange']);
    expect(fields([portfolio({ maxChange: 1 })])).toEqual([]);
  });

  it('rejects unknown fields in portfolios and channels', () => {
    expect(fields([portfolio({ budgte: 5, channels: [channel('a', { mxa: 3 })] })])).toEqual([
      'portfolios[0].budgte', 'portfolios[0].channels[0].mxa',
    ]);
  });

  it('checks channels: non-empty, unique ids, platform, min, max', () => {
    expect(fields([portfolio({ channels: [] })])).toEqual(['portfolios[0].channels']);
    expect(fields([portfolio({ channels: [channel('a'), channel('b'), channel('a')] })])).toEqual(['portfolios[0].channels[2].id']);
    expect(fields([portfolio({ channels: [channel('a', { platform: 'google ads' }), channel('b', { min: -1 })] })])).toEqual([
      'portfolios[0].channels[0].platform', 'portfolios[0].channels[1].min',
    ]);
    expect(fields([portfolio({ channels: [channel('a', { min: 10, max: 5 })] })])).toEqual(['portfolios[0].channels[0].max']);
  });

  it('requires channel minimums to fit in the budget', () => {
    const result = checkPortfolios([portfolio({ channels: [channel('a', { min: 60 }), channel('b', { min: 50 })] })]);
    expect(result.problems).toEqual([
      { field: 'portfolios[0].channels', message: 'channel minimums add up to 110, more than the budget 100' },
    ]);
    expect(fields([portfolio({ channels: [channel('a', { min: 60 }), channel('b', { min: 40 })] })])).toEqual([]);
  });

  it('checks initial shares: each in [0, 1], at most 1 in total, exactly 1 when all are set', () => {
    const shares = (...values: (number | null)[]): string[] =>
      fields([portfolio({ channels: values.map((s, i) => channel(`c${i}`, { initialShare: s })) })]);
    expect(shares(0.5, null)).toEqual([]);
    expect(shares(0.7, 0.3)).toEqual([]);
    expect(shares(0.7, 0.2, null)).toEqual([]);
    expect(shares(0.7, 0.2)).toEqual(['portfolios[0].channels']);
    expect(shares(0.7, 0.6, null)).toEqual(['portfolios[0].channels']);
    expect(shares(1.5, null)).toEqual(['portfolios[0].channels[0].initialShare']);
    expect(shares(0.1 + 0.2, 0.7)).toEqual([]);
  });
});

describe('portfolio caps', () => {
  it('rejects a portfolio whose channel maximums cannot absorb the budget, naming its channels', () => {
    let message = '';
    try {
      loadConfig({
        overrides: {
          portfolios: [
            { id: 'p', currency: 'EUR', budget: 1000, maxChange: 0.2, channels: [{ id: 'a', platform: 'x', min: 0, max: 300 }, { id: 'b', platform: 'x', min: 0, max: 400 }] },
          ],
        },
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('portfolios[0].channels');
    expect(message).toContain('maximums add up to 700, less than the budget 1000');
  });
});

describe('reserved channel ids', () => {
  it('refuses a channel called "baseline", naming the field', () => {
    const { problems } = checkPortfolios([{ id: 'p', currency: 'EUR', budget: 100, maxChange: 0.2, channels: [{ id: 'baseline', platform: 'meta', min: 0 }] }]);
    expect(problems).toEqual([{ field: 'portfolios[0].channels[0].id', message: expect.stringContaining('reserved') }]);
  });
});
