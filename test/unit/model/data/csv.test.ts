import { describe, expect, it } from 'vitest';
import { parseCsv } from '../../../../src/model/data/csv.ts';
import { fieldsOf, problemsOf } from './problems.ts';

describe('parseCsv', () => {
  it('reads a header and rows, remembering the line each row starts on', () => {
    const table = parseCsv('date,spend\n2020-01-01,5\n2020-01-02,7\n');
    expect(table.header).toEqual(['date', 'spend']);
    expect(table.rows).toEqual([
      ['2020-01-01', '5'],
      ['2020-01-02', '7'],
    ]);
    expect(table.lines).toEqual([2, 3]);
  });

  it('accepts CRLF, LF and lone CR line endings, and no final line break', () => {
    for (const eol of ['\r\n', '\n', '\r']) {
      const table = parseCsv(['a,b', '1,2', '3,4'].join(eol));
      expect(table.rows).toEqual([
        ['1', '2'],
        ['3', '4'],
      ]);
      expect(table.lines).toEqual([2, 3]);
    }
  });

  it('unquotes fields: separators, escaped quotes and line breaks inside quotes are data', () => {
    const text = 'name,note,n\n"Smith, J","He said ""hi""",1\n"multi\r\nline",x,2\nplain,"",3\n';
    const table = parseCsv(text);
    expect(table.rows).toEqual([
      ['Smith, J', 'He said "hi"', '1'],
      ['multi\r\nline', 'x', '2'],
      ['plain', '', '3'],
    ]);
    // The quoted line break moves the next record to line 5.
    expect(table.lines).toEqual([2, 3, 5]);
  });

  it('reads quoted header names and keeps cells as written (no trimming of values)', () => {
    const table = parseCsv('"DATE", revenue \n2020-01-01, 5 \n');
    expect(table.header).toEqual(['DATE', 'revenue']);
    expect(table.rows[0]).toEqual(['2020-01-01', ' 5 ']);
  });

  it('keeps a trailing empty field', () => {
    expect(parseCsv('a,b,c\n1,2,\n').rows).toEqual([['1', '2', '']]);
  });

  it('ignores a byte-order mark and empty lines, keeping true line numbers', () => {
    const table = parseCsv('\uFEFFa,b\n\n1,2\n\n\n3,4\n');
    expect(table.header).toEqual(['a', 'b']);
    expect(table.rows).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(table.lines).toEqual([3, 6]);
  });

  it('returns no rows for a header alone', () => {
    expect(parseCsv('a,b\n')).toEqual({ header: ['a', 'b'], rows: [], lines: [] });
  });

  it('names the line of a record with the wrong number of fields', () => {
    const problems = problemsOf(() => parseCsv('a,b\n1,2\n3\n4,5,6\n'));
    expect(problems).toEqual([
      { field: 'line 3', message: 'expected 2 fields like the header, found 1' },
      { field: 'line 4', message: 'expected 2 fields like the header, found 3' },
    ]);
  });

  it('reports every structural problem at once', () => {
    const fields = fieldsOf(() => parseCsv('a,b\n"x"y,1\nab"c,2\n1,2,3\n'));
    expect(fields).toEqual(['line 2', 'line 3', 'line 4']);
  });

  it('names the line where an unterminated quote opens', () => {
    const problems = problemsOf(() => parseCsv('a,b\n1,2\n3,"never closed\n4,5\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.field).toBe('line 3');
    expect(problems[0]?.message).toMatch(/never closed/);
  });

  it('rejects empty text, empty and duplicate header names', () => {
    expect(fieldsOf(() => parseCsv(''))).toEqual(['line 1']);
    expect(fieldsOf(() => parseCsv('\n\n'))).toEqual(['line 1']);
    const problems = problemsOf(() => parseCsv('a,,a\n1,2,3\n'));
    expect(problems.map((p) => p.message)).toEqual([
      'column 2 has an empty name',
      'column name "a" appears twice (columns 1 and 3)',
    ]);
  });
});
