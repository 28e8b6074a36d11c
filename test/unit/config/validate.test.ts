import { describe, expect, it } from 'vitest';
import { KEY_BY_PATH, PORTFOLIO_EXAMPLE, type KeySpec } from '../../../src/config/schema.ts';
import { checkPortfolios, checkValue, validatePortfolio } from '../../../src/config/validate.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import { renderConfigurationMarkdown } from '../../../src/config/render.ts';
import type { FieldProblem } from '../../../src/errors.ts';
import { parse } from 'yaml';

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

describe('validatePortfolio', () => {
  const problemFields = (raw: unknown, path?: string): string[] => validatePortfolio(raw, path).problems.map((p) => p.field);

  it('returns one valid portfolio, omitted optional fields absent, with paths relative to the portfolio', () => {
    const result = validatePortfolio(portfolio());
    expect(result.problems).toEqual([]);
    expect(result.portfolio).toEqual({
      id: 'p', currency: 'EUR', budget: 100, maxChange: 0.2,
      channels: [
        { id: 'a', platform: 'google-ads', min: 0, max: null, initialShare: null },
        { id: 'b', platform: 'google-ads', min: 0, max: null, initialShare: null },
      ],
    });
    expect(Object.keys(result.portfolio ?? {})).toEqual(['id', 'currency', 'budget', 'maxChange', 'channels']);
    expect(problemFields(portfolio({ budget: 0, channels: [channel('a'), channel('b', { max: -1 })] }))).toEqual(['budget', 'channels[1].max']);
    expect(problemFields(portfolio({ budget: 0 }), 'body')).toEqual(['body.budget']);
    expect(validatePortfolio(portfolio({ budget: 0 })).portfolio).toBeUndefined();
  });

  it('names the root when the body is not a mapping', () => {
    expect(validatePortfolio([1, 2]).problems).toEqual([{ field: '(root)', message: expect.stringContaining('mapping') }]);
    expect(problemFields('x', 'portfolios[3]')).toEqual(['portfolios[3]']);
  });

  it('applies the same rules as checkPortfolios', () => {
    const raw = portfolio({ currency: 'eur', channels: [channel('a', { min: 60 }), channel('b', { min: 50, mxa: 1 })] });
    expect(problemFields(raw, 'portfolios[0]')).toEqual(fields([raw]));
  });
});

describe('portfolio objective', () => {
  it('accepts revenue and profit with a margin > 0', () => {
    expect(validatePortfolio(portfolio({ objective: { type: 'revenue' } })).portfolio?.objective).toEqual({ type: 'revenue' });
    expect(validatePortfolio(portfolio({ objective: { type: 'profit', margin: 0.35 } })).portfolio?.objective).toEqual({ type: 'profit', margin: 0.35 });
    expect(validatePortfolio(portfolio({ objective: null })).portfolio).not.toHaveProperty('objective');
  });

  it('rejects a bad objective, naming the field', () => {
    expect(fields([portfolio({ objective: 'profit' })])).toEqual(['portfolios[0].objective']);
    expect(fields([portfolio({ objective: {} })])).toEqual(['portfolios[0].objective.type']);
    expect(fields([portfolio({ objective: { type: 'roas' } })])).toEqual(['portfolios[0].objective.type']);
    expect(fields([portfolio({ objective: { type: 'profit', margni: 0.3 } })])).toEqual([
      'portfolios[0].objective.margni', 'portfolios[0].objective.margin',
    ]);
    expect(fields([portfolio({ objective: { type: 'revenue', margin: 0.3 } })])).toEqual(['portfolios[0].objective.margin']);
    const margin = (value: unknown): FieldProblem[] => validatePortfolio(portfolio({ objective: { type: 'profit', margin: value } })).problems;
    expect(margin(undefined)).toEqual([{ field: 'objective.margin', message: expect.stringContaining('required by the profit objective') }]);
    expect(margin(0)).toEqual([{ field: 'objective.margin', message: 'must be > 0 (got 0)' }]);
    expect(margin(-0.2)).toEqual([{ field: 'objective.margin', message: 'must be > 0 (got -0.2)' }]);
    expect(margin('0.3')).toEqual([{ field: 'objective.margin', message: 'must be a number (got "0.3")' }]);
  });
});

describe('portfolio minRoas', () => {
  it('accepts a number > 0 or null, and stays absent when omitted', () => {
    expect(validatePortfolio(portfolio({ minRoas: 2.5 })).portfolio?.minRoas).toBe(2.5);
    expect(validatePortfolio(portfolio({ minRoas: null })).portfolio?.minRoas).toBeNull();
    expect(validatePortfolio(portfolio()).portfolio).not.toHaveProperty('minRoas');
  });

  it('rejects zero, negatives and non-numbers, naming the field', () => {
    expect(validatePortfolio(portfolio({ minRoas: 0 })).problems).toEqual([
      { field: 'minRoas', message: 'must be > 0 (got 0); use null or leave it out for no floor' },
    ]);
    expect(fields([portfolio({ minRoas: -1 })])).toEqual(['portfolios[0].minRoas']);
    expect(fields([portfolio({ minRoas: '2' })])).toEqual(['portfolios[0].minRoas']);
    expect(fields([portfolio({ minRoas: Number.POSITIVE_INFINITY })])).toEqual(['portfolios[0].minRoas']);
  });
});

describe('portfolio groups', () => {
  const grouped = (groups: unknown, channels: unknown[] = [channel('a', { group: 'g1' }), channel('b')]): Record<string, unknown> =>
    portfolio({ groups, channels });

  it('accepts groups with bounds or nulls, filling omitted bounds with null', () => {
    const result = validatePortfolio(grouped([{ id: 'g1', min: 10, max: 60 }, { id: 'g2', max: null }, { id: 'g3' }]));
    expect(result.problems).toEqual([]);
    expect(result.portfolio?.groups).toEqual([
      { id: 'g1', min: 10, max: 60 }, { id: 'g2', min: null, max: null }, { id: 'g3', min: null, max: null },
    ]);
    expect(validatePortfolio(grouped([{ id: 'g1', min: 5, max: 5 }])).problems).toEqual([]);
    expect(validatePortfolio(portfolio({ groups: [] })).portfolio?.groups).toEqual([]);
    expect(validatePortfolio(portfolio()).portfolio).not.toHaveProperty('groups');
  });

  it('rejects a non-list and bad entries, naming the field', () => {
    expect(fields([grouped({ id: 'g1' }, [channel('a'), channel('b')])])).toEqual(['portfolios[0].groups']);
    expect(fields([grouped(['g1'], [channel('a'), channel('b')])])).toEqual(['portfolios[0].groups[0]']);
    expect(fields([grouped([{ id: 'g1' }, { min: 1 }])])).toEqual(['portfolios[0].groups[1].id']);
    expect(fields([grouped([{ id: 'g1' }, { id: 'has space' }])])).toEqual(['portfolios[0].groups[1].id']);
    expect(fields([grouped([{ id: 'g1', min: -1 }])])).toEqual(['portfolios[0].groups[0].min']);
    expect(fields([grouped([{ id: 'g1' }, { id: 'g2', max: -5 }])])).toEqual(['portfolios[0].groups[1].max']);
    expect(fields([grouped([{ id: 'g1', max: '50' }])])).toEqual(['portfolios[0].groups[0].max']);
    expect(fields([grouped([{ id: 'g1', mni: 3 }])])).toEqual(['portfolios[0].groups[0].mni']);
  });

  it('requires unique ids and min <= max', () => {
    const dup = checkPortfolios([grouped([{ id: 'g1' }, { id: 'g1' }])]).problems;
    expect(dup).toEqual([{ field: 'portfolios[0].groups[1].id', message: 'duplicates portfolios[0].groups[0].id ("g1")' }]);
    const crossed = checkPortfolios([grouped([{ id: 'g1' }, { id: 'g2', min: 30, max: 20 }])]).problems;
    expect(crossed).toEqual([{ field: 'portfolios[0].groups[1].max', message: 'must be >= min (got max 20 < min 30)' }]);
  });

  it('requires the group minimums to fit in the budget', () => {
    const channels = [channel('a', { group: 'g1' }), channel('b', { group: 'g2' })];
    expect(checkPortfolios([grouped([{ id: 'g1', min: 60 }, { id: 'g2', min: 50 }], channels)]).problems).toEqual([
      { field: 'portfolios[0].groups', message: 'group minimums add up to 110, more than the budget 100' },
    ]);
    expect(fields([grouped([{ id: 'g1', min: 60 }, { id: 'g2', min: 40 }], channels)])).toEqual([]);
  });

  it('requires group bounds its channels can meet', () => {
    const members = [channel('a', { group: 'g1', min: 30, max: 40 }), channel('b', { group: 'g1', min: 20, max: 40 }), channel('c')];
    expect(fields([grouped([{ id: 'g1', max: 50 }], members)])).toEqual([]);
    expect(validatePortfolio(grouped([{ id: 'g1', max: 45 }], members)).problems).toEqual([
      { field: 'groups[0].max', message: "is less than the minimums of the group's channels, which add up to 50 (got 45)" },
    ]);
    expect(validatePortfolio(grouped([{ id: 'g1', min: 90 }], members)).problems).toEqual([
      { field: 'groups[0].min', message: "is more than the maximums of the group's channels, which add up to 80 (got 90)" },
    ]);
    expect(validatePortfolio(grouped([{ id: 'g1' }, { id: 'empty', min: 5 }], members)).problems).toEqual([
      { field: 'groups[1].min', message: 'can never be met: no channel names group "empty" (got 5)' },
    ]);
  });

  it('requires channel and group caps together to leave room for the whole budget', () => {
    const channels = [channel('a', { group: 'g1' }), channel('b', { group: 'g1' }), channel('c', { max: 30 })];
    expect(validatePortfolio(grouped([{ id: 'g1', max: 60 }], channels)).problems).toEqual([
      { field: 'groups', message: 'channel and group maximums let at most 90 be spent, less than the budget 100: it could never be spent' },
    ]);
    expect(fields([grouped([{ id: 'g1', max: 70 }], channels)])).toEqual([]);
  });
});

describe('channel locked and group', () => {
  it('keeps locked: true and group, and leaves them absent otherwise', () => {
    const result = validatePortfolio(portfolio({
      groups: [{ id: 'search' }],
      channels: [channel('a', { locked: true, group: 'search' }), channel('b', { locked: false }), channel('c', { locked: null })],
    }));
    expect(result.problems).toEqual([]);
    expect(result.portfolio?.channels).toEqual([
      { id: 'a', platform: 'google-ads', min: 0, max: null, initialShare: null, locked: true, group: 'search' },
      { id: 'b', platform: 'google-ads', min: 0, max: null, initialShare: null },
      { id: 'c', platform: 'google-ads', min: 0, max: null, initialShare: null },
    ]);
  });

  it('rejects a locked value that is not a boolean, naming the field', () => {
    expect(checkPortfolios([portfolio({ channels: [channel('a'), channel('b', { locked: 'yes' })] })]).problems).toEqual([
      { field: 'portfolios[0].channels[1].locked', message: 'must be true or false (got "yes")' },
    ]);
    expect(fields([portfolio({ channels: [channel('a', { locked: 1 })] })])).toEqual(['portfolios[0].channels[0].locked']);
  });

  it('rejects a malformed group, naming the field', () => {
    const groups = [{ id: 'g1' }];
    expect(fields([portfolio({ groups, channels: [channel('a', { group: 7 })] })])).toEqual(['portfolios[0].channels[0].group']);
    expect(fields([portfolio({ groups, channels: [channel('a'), channel('b', { group: 'g 1' })] })])).toEqual(['portfolios[0].channels[1].group']);
    expect(fields([portfolio({ groups, channels: [channel('a', { group: '' })] })])).toEqual(['portfolios[0].channels[0].group']);
  });

  it("requires a channel's group to be one of the portfolio's groups", () => {
    const result = checkPortfolios([portfolio({
      groups: [{ id: 'g1' }, { id: 'g2' }],
      channels: [channel('a', { group: 'g1' }), channel('b'), channel('c', { group: 'g3' })],
    })]);
    expect(result.problems).toEqual([
      { field: 'portfolios[0].channels[2].group', message: 'names group "g3", which is not in portfolios[0].groups ("g1", "g2")' },
    ]);
    expect(validatePortfolio(portfolio({ channels: [channel('a', { group: 'g1' })] })).problems).toEqual([
      { field: 'channels[0].group', message: 'names group "g1", but the portfolio has no groups (add it under groups)' },
    ]);
    // Checked even when the channel has another problem; not reported again when groups is not a list.
    expect(fields([portfolio({ groups: [], channels: [channel('a', { group: 'g1', min: -1 })] })])).toEqual([
      'portfolios[0].channels[0].min', 'portfolios[0].channels[0].group',
    ]);
    expect(fields([portfolio({ groups: 'g1', channels: [channel('a', { group: 'g1' })] })])).toEqual(['portfolios[0].groups']);
  });
});

describe('the documented portfolio example', () => {
  it('is valid and comes back unchanged', () => {
    expect(validatePortfolio(PORTFOLIO_EXAMPLE)).toEqual({ portfolio: PORTFOLIO_EXAMPLE, problems: [] });
  });

  it('reads back from the YAML in docs/configuration.md', () => {
    const markdown = renderConfigurationMarkdown();
    const block = /every optional field:\n\n```yaml\n([\s\S]*?)```/.exec(markdown)?.[1];
    expect(block).toBeDefined();
    const { portfolios } = parse(block ?? '') as { portfolios: unknown[] };
    expect(checkPortfolios(portfolios)).toEqual({ portfolios: [PORTFOLIO_EXAMPLE], problems: [] });
  });
});
