import { describe, expect, it } from 'vitest';
import { FieldReader } from '../../../src/events/fields.ts';
import { parseInputEvent, parseSalesEvent, parseSpendEvent } from '../../../src/events/validate.ts';
import type { FieldProblem } from '../../../src/errors.ts';

// 2026-01-05T10:00:00Z, computed independently of Date.parse.
const TEN_UTC = Date.UTC(2026, 0, 5, 10, 0, 0);

const spend = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId: 'sp-1',
  portfolioId: 'demo-shop',
  channelId: 'search',
  platform: 'google-ads',
  ts: '2026-01-05T10:00:00Z',
  amount: 12.5,
  currency: 'EUR',
  ...over,
});

const sale = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
  eventId: 'sa-1',
  portfolioId: 'demo-shop',
  ts: '2026-01-05T10:00:00Z',
  revenue: 99.9,
  orders: 2,
  ...over,
});

function problemsOf(result: { ok: true } | { ok: false; problems: FieldProblem[] }): FieldProblem[] {
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.problems;
}
const fields = (problems: readonly FieldProblem[]) => problems.map((p) => p.field).sort();

describe('parseSpendEvent: valid input', () => {
  it('parses a spend event with a Z time into the typed object, ts in epoch ms', () => {
    const result = parseSpendEvent(spend({ impressions: 1000, clicks: 40 }));
    expect(result).toEqual({
      ok: true,
      event: {
        kind: 'spend', eventId: 'sp-1', portfolioId: 'demo-shop', channelId: 'search', platform: 'google-ads',
        ts: TEN_UTC, amount: 12.5, currency: 'EUR', impressions: 1000, clicks: 40,
      },
    });
  });

  it('leaves optional counters out when absent (not undefined-valued keys)', () => {
    const result = parseSpendEvent(spend());
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.keys(result.event)).not.toContain('impressions');
      expect(Object.keys(result.event)).not.toContain('clicks');
    }
  });

  it('converts a time with a UTC offset to the same instant', () => {
    for (const ts of ['2026-01-05T11:00:00+01:00', '2026-01-05T05:30:00-04:30', '2026-01-05T10:00:00.000+00:00']) {
      const result = parseSpendEvent(spend({ ts }));
      expect(result.ok && result.event.ts).toBe(TEN_UTC);
    }
  });

  it('accepts epoch milliseconds as they are, within 2000–2100', () => {
    for (const ts of [TEN_UTC, Date.UTC(2000, 0, 1)]) {
      const result = parseSpendEvent(spend({ ts }));
      expect(result.ok && result.event.ts).toBe(ts);
    }
  });

  it.each([0, 1_700_000_000, 9e15, '2101-01-01T00:00:00Z', '1999-12-31T23:59:59Z'])('rejects the out-of-range time %s naming ts', (ts) => {
    const result = parseSpendEvent(spend({ ts }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems).toEqual([{ field: 'ts', message: 'must be between 2000-01-01 and 2100-01-01' }]);
  });

  it('rejects amounts and counts beyond the sanity ceilings', () => {
    const result = parseSpendEvent(spend({ amount: 1e308, clicks: 1e13 }));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map((p) => p.field)).toEqual(['amount', 'clicks']);
  });

  it('accepts a zero amount (min is inclusive)', () => {
    const result = parseSpendEvent(spend({ amount: 0 }));
    expect(result.ok && result.event.amount).toBe(0);
  });
});

describe('parseSalesEvent: valid input', () => {
  it('parses an unattributed sale', () => {
    expect(parseSalesEvent(sale())).toEqual({
      ok: true,
      event: { kind: 'sales', eventId: 'sa-1', portfolioId: 'demo-shop', ts: TEN_UTC, revenue: 99.9, orders: 2 },
    });
  });

  it('parses an attributed sale with currency, epoch ts', () => {
    const result = parseSalesEvent(sale({ ts: TEN_UTC + 1, channelId: 'social', currency: 'EUR' }));
    expect(result).toEqual({
      ok: true,
      event: { kind: 'sales', eventId: 'sa-1', portfolioId: 'demo-shop', ts: TEN_UTC + 1, revenue: 99.9, orders: 2, currency: 'EUR', channelId: 'social' },
    });
  });

  it('parseInputEvent dispatches on the kind', () => {
    expect(parseInputEvent('spend', spend()).ok).toBe(true);
    expect(parseInputEvent('sales', sale()).ok).toBe(true);
    // A sale is not a valid spend event: channel, platform, amount and currency are missing.
    expect(fields(problemsOf(parseInputEvent('spend', sale())))).toEqual(
      ['amount', 'channelId', 'currency', 'orders', 'platform', 'revenue'].sort(),
    );
  });
});

describe('bad fields are named', () => {
  const single: [string, Record<string, unknown>, string, RegExp][] = [
    ['missing eventId', { eventId: undefined }, 'eventId', /required/],
    ['null eventId', { eventId: null }, 'eventId', /required/],
    ['negative amount', { amount: -0.01 }, 'amount', />= 0/],
    ['string amount', { amount: '12' }, 'amount', /number/],
    ['infinite amount', { amount: Infinity }, 'amount', /finite/],
    ['non-integer clicks', { clicks: 2.5 }, 'clicks', /integer/],
    ['negative impressions', { impressions: -1 }, 'impressions', />= 0/],
    ['lower-case currency', { currency: 'eur' }, 'currency', /match/],
    ['4-letter currency', { currency: 'EURO' }, 'currency', /match/],
    ['ts without zone', { ts: '2026-01-05T10:00:00' }, 'ts', /zone/],
    ['date-only ts', { ts: '2026-01-05' }, 'ts', /zone/],
    ['impossible date', { ts: '2026-13-45T10:00:00Z' }, 'ts', /valid/],
    ['negative epoch', { ts: -1 }, 'ts', /epoch/],
    ['fractional epoch', { ts: 1.5 }, 'ts', /epoch/],
    ['unknown field "amout"', { amout: 3 }, 'amout', /not a known field/],
    ['channel id with a space', { channelId: 'paid search' }, 'channelId', /match/],
    ['empty platform', { platform: '  ' }, 'platform', /non-empty/],
  ];

  it.each(single)('spend: %s', (_name, over, field, message) => {
    const problems = problemsOf(parseSpendEvent(spend(over)));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(field);
    expect(problems[0]!.message).toMatch(message);
  });

  it('sales: non-integer orders, negative revenue, bad currency, unknown field', () => {
    const problems = problemsOf(parseSalesEvent(sale({ orders: 1.5, revenue: -3, currency: 'eur', amount: 5 })));
    expect(fields(problems)).toEqual(['amount', 'currency', 'orders', 'revenue']);
  });

  it('sales: a spend-only field such as platform is unknown', () => {
    expect(fields(problemsOf(parseSalesEvent(sale({ platform: 'meta' }))))).toEqual(['platform']);
  });
});

describe('several problems at once', () => {
  it('reports every bad field of one spend event, not just the first', () => {
    const raw = spend({ eventId: undefined, amount: -5, clicks: 1.5, currency: 'eur', ts: '2026-01-05T10:00:00', amout: 5 });
    const problems = problemsOf(parseSpendEvent(raw));
    expect(fields(problems)).toEqual(['amout', 'amount', 'clicks', 'currency', 'eventId', 'ts'].sort());
  });

  it('reports everything missing from an empty object', () => {
    expect(fields(problemsOf(parseSpendEvent({})))).toEqual(
      ['amount', 'channelId', 'currency', 'eventId', 'platform', 'portfolioId', 'ts'],
    );
    expect(fields(problemsOf(parseSalesEvent({})))).toEqual(['eventId', 'orders', 'portfolioId', 'revenue', 'ts']);
  });
});

describe('non-object roots', () => {
  it.each([null, 42, 'spend', [], [spend()], true])('rejects %j with a single (root) problem', (input) => {
    for (const parse of [parseSpendEvent, parseSalesEvent]) {
      const problems = problemsOf(parse(input));
      expect(problems).toHaveLength(1);
      expect(problems[0]!.field).toBe('(root)');
    }
  });
});

describe('FieldReader', () => {
  it('prefixes field paths', () => {
    const r = new FieldReader({ a: -1 }, 'portfolios[0]');
    expect(r.number('a', { min: 0 })).toBeUndefined();
    expect(r.string('b')).toBeUndefined();
    expect(r.problems.map((p) => p.field)).toEqual(['portfolios[0].a', 'portfolios[0].b']);
  });

  it('enforces maxLength (default 200) and max', () => {
    const r = new FieldReader({ s: 'x'.repeat(201), t: 'y'.repeat(200), n: 11 });
    expect(r.string('s')).toBeUndefined();
    expect(r.string('t')).toBe('y'.repeat(200));
    expect(r.number('n', { max: 10 })).toBeUndefined();
    expect(r.problems.map((p) => p.field)).toEqual(['s', 'n']);
  });

  it('has() treats null and undefined as absent', () => {
    const r = new FieldReader({ a: null, b: 0, c: '' });
    expect([r.has('a'), r.has('b'), r.has('c'), r.has('d')]).toEqual([false, true, true, false]);
  });
});

describe('event times that do not exist', () => {
  it.each(['2026-02-30T10:00:00Z', '2026-13-01T10:00:00Z', '2026-01-05T24:00:00Z', '2026-01-05T10:60:00Z'])('rejects %s naming ts', (ts) => {
    const r = parseSalesEvent({ eventId: 'e', portfolioId: 'p', ts, revenue: 1, orders: 1 });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map((p) => p.field)).toEqual(['ts']);
  });

  it('accepts 29 February in a leap year and with an offset', () => {
    expect(parseSalesEvent({ eventId: 'e', portfolioId: 'p', ts: '2028-02-29T23:59:59+02:00', revenue: 1, orders: 1 }).ok).toBe(true);
  });
});

describe('hostile input: bounded, field-named problems', () => {
  it('names at most 10 unknown fields and counts the rest in one (root) problem', () => {
    const junk = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`junk${i}`, i]));
    const problems = problemsOf(parseSpendEvent(spend(junk)));
    expect(problems).toHaveLength(11);
    expect(problems.slice(0, 10).every((p) => p.message === 'is not a known field')).toBe(true);
    expect(problems[10]).toEqual({ field: '(root)', message: 'has 4990 more unknown fields (5000 in all)' });
  });

  it('cuts a very long unknown field name short where it is reported', () => {
    const problems = problemsOf(parseSalesEvent(sale({ ['k'.repeat(10_000)]: 1 })));
    expect(problems).toEqual([{ field: `${'k'.repeat(64)}… (10000 characters)`, message: 'is not a known field' }]);
  });

  it('an absurdly long eventId is rejected by length, not echoed', () => {
    const problems = problemsOf(parseSpendEvent(spend({ eventId: 'e'.repeat(100_000) })));
    expect(problems).toEqual([{ field: 'eventId', message: 'must be at most 200 characters' }]);
  });

  it.each([
    [['a'], 'an array'], [{ id: 'a' }, 'an object'], [7, 'a number'], [true, 'a boolean'],
  ])('an identifier given as %j names the type it got', (eventId, type) => {
    expect(problemsOf(parseSpendEvent(spend({ eventId })))).toEqual([{ field: 'eventId', message: `must be a non-empty string (got ${type})` }]);
  });

  it.each(['NaN', 'Infinity', '-Infinity', '1e3', '12.5'])('the string %j for a number says it must be unquoted', (amount) => {
    expect(problemsOf(parseSpendEvent(spend({ amount })))).toEqual([
      { field: 'amount', message: `must be a finite number, not a string (got ${JSON.stringify(amount)}; send numbers unquoted)` },
    ]);
  });

  it.each([2 ** 53 + 2, 1e15, 1e300])('money beyond the ceiling (%s) is out of range', (revenue) => {
    expect(problemsOf(parseSalesEvent(sale({ revenue })))).toEqual([{ field: 'revenue', message: `must be <= 1000000000000 (got ${revenue})` }]);
  });

  it.each([
    '2026-01-05 10:00:00Z', '05/01/2026 10:00', 'yesterday', 'NaN', '1767608100000', '+275760-09-13T00:00:00Z',
    '10000-01-01T00:00:00Z', '2026-W02-1T10:00Z', 'T10:00:00Z',
  ])('the non-ISO time %j is rejected naming ts', (ts) => {
    expect(problemsOf(parseSalesEvent(sale({ ts })))).toEqual([{ field: 'ts', message: expect.stringMatching(/ISO-8601/) }]);
  });

  it.each(['0000-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '1999-12-31T23:59:59Z', '2100-01-01T00:00:00Z', '9999-12-31T23:59:59Z'])(
    'the time %s outside 2000–2100 is rejected naming ts', (ts) => {
      expect(problemsOf(parseSalesEvent(sale({ ts })))).toEqual([{ field: 'ts', message: 'must be between 2000-01-01 and 2100-01-01' }]);
    },
  );

  it('an offset that is not a real zone (+99:99) is not a valid date-time', () => {
    expect(problemsOf(parseSalesEvent(sale({ ts: '2026-01-05T10:00:00+99:99' })))).toEqual([{ field: 'ts', message: 'is not a valid date-time' }]);
  });

  it('a time string longer than 64 characters is rejected by length', () => {
    expect(problemsOf(parseSalesEvent(sale({ ts: `2026-01-05T10:00:00.${'1'.repeat(100)}Z` })))).toEqual([{ field: 'ts', message: 'must be at most 64 characters' }]);
  });

  it('identifiers with lone surrogates, control characters or a BOM do not match the pattern', () => {
    for (const eventId of ['e\ud800', '\udc00e', 'e\u0000', '\ufeffe-1']) {
      expect(problemsOf(parseSpendEvent(spend({ eventId })))).toEqual([{ field: 'eventId', message: expect.stringMatching(/must match/) }]);
    }
  });
});
