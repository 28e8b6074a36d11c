import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../src/model/data/csv.ts';
import { MAX_LISTED_PROBLEMS, prepareHistory, type HistorySpec } from '../../../../src/model/data/prepare-history.ts';
import { fieldsOf, problemsOf } from './problems.ts';

const SPEC: HistorySpec = { date: 'date', target: 'revenue', channels: ['tv', 'search'] };
const utc = (text: string): number => Date.parse(`${text}T00:00:00Z`);

/** A CSV from a header and rows; the header is line 1, so rows[i] is on line i + 2. */
function csv(header: string, ...rows: string[]): string {
  return [header, ...rows].join('\n') + '\n';
}

function prepare(text: string, spec: HistorySpec = SPEC): ReturnType<typeof prepareHistory> {
  return prepareHistory(parseCsv(text), spec);
}

const WEEKLY = csv(
  'date,revenue,tv,search,price,events',
  '2020-01-06,100,10,5,1.5,none', // line 2
  '2020-01-13,110,0,6,1.4,promo',
  '2020-01-20,120,20,7,1.6,none',
  '2020-01-27,130,0,8,1.5,holiday',
  '2020-02-03,140,15,9,1.5,none', // line 6
);

describe('prepareHistory: dates and frequency', () => {
  it('returns aligned series for a clean weekly file', () => {
    const history = prepare(WEEKLY);
    expect(history.frequency).toBe('weekly');
    expect(history.periodMs).toBe(7 * 86_400_000);
    expect(history.dates).toEqual(['2020-01-06', '2020-01-13', '2020-01-20', '2020-01-27', '2020-02-03'].map(utc));
    expect([...history.target]).toEqual([100, 110, 120, 130, 140]);
    expect(Object.keys(history.spend)).toEqual(['tv', 'search']);
    expect([...(history.spend['tv'] ?? [])]).toEqual([10, 0, 20, 0, 15]);
    expect([...(history.spend['search'] ?? [])]).toEqual([5, 6, 7, 8, 9]);
    expect(history.controls).toEqual({ names: [], values: [], groups: [] });
    expect(history.report).toEqual({
      inputRows: 5, rows: 5, droppedRows: [], imputed: [], oneHot: {}, oneHotReference: {}, absentPeriods: 0,
    });
  });

  it('sorts unsorted dates and keeps every column aligned with them', () => {
    const history = prepare(csv('date,revenue,tv,search', '2020-01-03,3,30,300', '2020-01-01,1,10,100', '2020-01-02,2,20,200'));
    expect(history.frequency).toBe('daily');
    expect(history.dates).toEqual(['2020-01-01', '2020-01-02', '2020-01-03'].map(utc));
    expect([...history.target]).toEqual([1, 2, 3]);
    expect([...(history.spend['tv'] ?? [])]).toEqual([10, 20, 30]);
    expect([...(history.spend['search'] ?? [])]).toEqual([100, 200, 300]);
  });

  it('detects an hourly series from timestamps', () => {
    const rows = Array.from({ length: 24 }, (_, h) => `2020-05-01T${String(h).padStart(2, '0')}:00:00Z,${h},1,1`);
    expect(prepare(csv('date,revenue,tv,search', ...rows)).frequency).toBe('hourly');
  });

  it('rejects a date that is not ISO, naming row and column', () => {
    const problems = problemsOf(() => prepare(csv('date,revenue,tv,search', '2020-01-01,1,1,1', '01/02/2020,1,1,1')));
    expect(problems).toEqual([{ field: 'row 3: date', message: '"01/02/2020" is not an ISO date (YYYY-MM-DD, optionally with a time)' }]);
  });

  it('rejects duplicate dates, naming both rows', () => {
    const problems = problemsOf(() =>
      prepare(csv('date,revenue,tv,search', '2020-01-01,1,1,1', '2020-01-02,1,1,1', '2020-01-01,2,2,2', '2020-01-03,1,1,1')),
    );
    expect(problems).toEqual([{ field: 'row 4: date', message: 'duplicate date 2020-01-01 (also on row 2)' }]);
  });

  it('rejects an irregular series, naming the row after the odd gap', () => {
    const rows = ['2020-01-06', '2020-01-13', '2020-01-20', '2020-01-24', '2020-01-27', '2020-02-03'].map((d) => `${d},1,1,1`);
    const problems = problemsOf(() => prepare(csv('date,revenue,tv,search', ...rows)));
    expect(problems.map((p) => p.field)).toEqual(['row 5: date', 'row 6: date']);
    expect(problems[0]?.message).toMatch(/irregular weekly series.*2020-01-24 is 96\.00 hours after 2020-01-20 \(row 4\)/);
  });

  it('rejects a frequency it does not support, on the date column', () => {
    const rows = ['2020-01-01', '2020-02-01', '2020-03-01', '2020-04-01'].map((d) => `${d},1,1,1`);
    expect(fieldsOf(() => prepare(csv('date,revenue,tv,search', ...rows)))).toEqual(['column date']);
  });
});

describe('prepareHistory: column selection', () => {
  it('lists the available columns for every unknown one, all at once', () => {
    const problems = problemsOf(() => prepare(WEEKLY, { date: 'DATE', target: 'revenue', channels: ['tv', 'radio'], controls: ['weather'] }));
    expect(problems.map((p) => p.field)).toEqual(['spec.date', 'spec.channels[1]', 'spec.controls[0]']);
    expect(problems[1]?.message).toBe('unknown column "radio"; available: "date", "revenue", "tv", "search", "price", "events"');
  });

  it('rejects no channels, a column used twice and an unknown missing mode', () => {
    const bad = { date: 'date', target: 'revenue', channels: [], controls: ['revenue'], missing: 'zero' } as unknown as HistorySpec;
    expect(fieldsOf(() => prepare(WEEKLY, bad))).toEqual(['spec.channels', 'spec.controls[0]', 'spec.missing']);
  });
});

describe('prepareHistory: values', () => {
  it('rejects non-numeric values, naming row and column', () => {
    const problems = problemsOf(() => prepare(csv('date,revenue,tv,search', '2020-01-01,1,1,1', '2020-01-02,1,1,abc', '2020-01-03,1,1,1')));
    expect(problems).toEqual([{ field: 'row 3: search', message: '"abc" is not a number' }]);
  });

  it('rejects negative spend, naming row and channel, and never clips it', () => {
    const problems = problemsOf(() => prepare(csv('date,revenue,tv,search', '2020-01-01,-5,1,1', '2020-01-02,1,-0.5,1', '2020-01-03,1,1,1')));
    // A negative target is allowed (returns exceed sales); negative spend is not.
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('row 3: tv');
    expect(problems[0]?.message).toMatch(/negative spend -0\.5/);
  });

  it('reports every problem at once, sorted by row', () => {
    const text = csv(
      'date,revenue,tv,search',
      '2020-01-01,1,1,1',
      '2020-01-02,1,-1,x', // line 3: negative tv, non-numeric search
      'someday,1,1,1', // line 4
      '2020-01-04,$5,1,1', // line 5
      '2020-01-02,1,1,1', // line 6: duplicate of line 3
    );
    expect(fieldsOf(() => prepare(text))).toEqual(['row 3: tv', 'row 3: search', 'row 4: date', 'row 5: revenue', 'row 6: date']);
  });

  it('lists at most MAX_LISTED_PROBLEMS and counts the rest', () => {
    const rows = Array.from({ length: 250 }, (_, i) => `${new Date(Date.UTC(2020, 0, 1 + i)).toISOString().slice(0, 10)},1,bad,1`);
    const problems = problemsOf(() => prepare(csv('date,revenue,tv,search', ...rows)));
    expect(problems).toHaveLength(MAX_LISTED_PROBLEMS + 1);
    expect(problems.at(-1)).toEqual({ field: '(more)', message: '50 more problems not listed' });
  });
});

describe('prepareHistory: missing values', () => {
  const GAPPY = csv(
    'date,revenue,tv,search',
    '2020-01-01,10,1,100', // line 2
    '2020-01-02,20,,200', // line 3: tv empty
    '2020-01-03,30,3,NA', // line 4
    '2020-01-04,na,4,400', // line 5: target missing
    '2020-01-05,50,NaN,null', // line 6
    '2020-01-06,60,6,600', // line 7
    '2020-01-07,70,7,700', // line 8
  );

  it('drops rows with missing values by default and says why', () => {
    const history = prepare(GAPPY);
    expect(history.report.droppedRows).toEqual([
      { row: 3, reason: 'missing tv' },
      { row: 4, reason: 'missing search' },
      { row: 5, reason: 'missing revenue' },
      { row: 6, reason: 'missing tv, search' },
    ]);
    expect(history.report.rows).toBe(3);
    expect([...history.target]).toEqual([10, 60, 70]);
    expect(history.dates).toEqual(['2020-01-01', '2020-01-06', '2020-01-07'].map(utc));
    expect(history.frequency).toBe('daily');
    expect(history.report.absentPeriods).toBe(4);
    expect(history.report.imputed).toEqual([]);
  });

  it('imputes features with the median of the kept rows, never the date or the target', () => {
    const history = prepare(GAPPY, { ...SPEC, missing: 'impute' });
    expect(history.report.droppedRows).toEqual([{ row: 5, reason: 'missing revenue (the date and the target are never imputed)' }]);
    expect(history.report.imputed).toEqual([
      { row: 3, column: 'tv' },
      { row: 4, column: 'search' },
      { row: 6, column: 'tv' },
      { row: 6, column: 'search' },
    ]);
    // tv over kept rows: 1, 3, 6, 7 → median 4.5; search: 100, 200, 600, 700 → median 400.
    expect([...(history.spend['tv'] ?? [])]).toEqual([1, 4.5, 3, 4.5, 6, 7]);
    expect([...(history.spend['search'] ?? [])]).toEqual([100, 200, 400, 400, 600, 700]);
    expect([...history.target]).toEqual([10, 20, 30, 50, 60, 70]);
  });

  it('always drops rows without a date', () => {
    const text = csv('date,revenue,tv,search', '2020-01-01,1,1,1', ',2,2,2', '2020-01-02,3,3,3', '2020-01-03,4,4,4');
    const history = prepare(text, { ...SPEC, missing: 'impute' });
    expect(history.report.droppedRows).toEqual([{ row: 3, reason: 'missing date (the date and the target are never imputed)' }]);
    expect([...history.target]).toEqual([1, 3, 4]);
  });

  it('fails when too few rows are left', () => {
    const text = csv('date,revenue,tv,search', '2020-01-01,1,,1', '2020-01-02,1,1,NA', '2020-01-03,1,1,1');
    expect(fieldsOf(() => prepare(text))).toEqual(['rows']);
  });

  it('fails to impute a column with no values at all', () => {
    const text = csv('date,revenue,tv,search', '2020-01-01,1,NA,1', '2020-01-02,1,NA,2', '2020-01-03,1,NA,3');
    expect(problemsOf(() => prepare(text, { ...SPEC, missing: 'impute' }))).toEqual([
      { field: 'column tv', message: 'has no values in the kept rows to impute from' },
    ]);
  });
});

describe('prepareHistory: controls', () => {
  it('one-hot encodes a text control against its most frequent level, levels sorted', () => {
    const history = prepare(WEEKLY, { ...SPEC, controls: ['price', 'events'] });
    expect(history.controls.names).toEqual(['price', 'events_holiday', 'events_promo']);
    expect(history.controls.values.map((v) => [...v])).toEqual([
      [1.5, 1.4, 1.6, 1.5, 1.5],
      [0, 0, 0, 1, 0],
      [0, 1, 0, 0, 0],
    ]);
    expect(history.report.oneHot).toEqual({ events: ['holiday', 'none', 'promo'] });
    expect(history.report.oneHotReference).toEqual({ events: 'none' });
    // The indicators of one categorical control form a group (the fit pools their effects).
    expect(history.controls.groups).toEqual([{ name: 'events', columns: [1, 2] }]);
  });

  it('breaks a tie for the reference level by sort order', () => {
    const text = csv('date,revenue,tv,search,c', '2020-01-01,1,1,1,b', '2020-01-02,1,1,1,a', '2020-01-03,1,1,1,b', '2020-01-04,1,1,1,a');
    const history = prepare(text, { ...SPEC, controls: ['c'] });
    expect(history.report.oneHotReference).toEqual({ c: 'a' });
    expect(history.controls.names).toEqual(['c_b']);
  });

  it('treats NA as a level of a text control, and an empty cell as missing', () => {
    const text = csv('date,revenue,tv,search,c', '2020-01-01,1,1,1,NA', '2020-01-02,1,1,1,x', '2020-01-03,1,1,1,', '2020-01-04,1,1,1,NA');
    const dropped = prepare(text, { ...SPEC, controls: ['c'] });
    expect(dropped.report.droppedRows).toEqual([{ row: 4, reason: 'missing c' }]);
    expect(dropped.report.oneHot).toEqual({ c: ['NA', 'x'] });
    const imputed = prepare(text, { ...SPEC, controls: ['c'], missing: 'impute' });
    expect(imputed.report.imputed).toEqual([{ row: 4, column: 'c' }]);
    expect(imputed.controls.names).toEqual(['c_x']);
    expect([...(imputed.controls.values[0] ?? [])]).toEqual([0, 1, 0, 0]);
  });

  it('keeps numeric controls numeric, negative values included, and rejects text mixed into them', () => {
    const ok = prepare(csv('date,revenue,tv,search,t', '2020-01-01,1,1,1,-2', '2020-01-02,1,1,1,3e2'), { ...SPEC, controls: ['t'] });
    expect([...(ok.controls.values[0] ?? [])]).toEqual([-2, 300]);
    const problems = problemsOf(() =>
      prepare(csv('date,revenue,tv,search,t', '2020-01-01,1,1,1,5', '2020-01-02,1,1,1,warm'), { ...SPEC, controls: ['t'] }),
    );
    expect(problems.map((p) => p.field)).toEqual(['row 3: t']);
    expect(problems[0]?.message).toMatch(/not a number \(a control mixing numbers and text is numeric/);
  });

  it('drops a level that only occurs in dropped rows', () => {
    const text = csv('date,revenue,tv,search,c', '2020-01-01,1,1,1,a', '2020-01-02,1,,1,rare', '2020-01-03,1,1,1,a', '2020-01-04,1,1,1,b');
    const history = prepare(text, { ...SPEC, controls: ['c'] });
    expect(history.report.oneHot).toEqual({ c: ['a', 'b'] });
    expect(history.controls.names).toEqual(['c_b']);
  });
});

describe('prepareHistory: quoted CSV', () => {
  it('names rows by the line on which they start, after quoted line breaks', () => {
    const text = 'date,revenue,tv,search,note\n2020-01-01,1,1,1,"two\nlines"\n2020-01-02,1,-3,1,x\n';
    expect(fieldsOf(() => prepare(text))).toEqual(['row 4: tv']);
  });
});
