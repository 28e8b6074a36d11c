/**
 * A small RFC 4180 reader for history files. It takes the CSV *text* (the caller reads the file):
 *
 * - the first record is the header; names are trimmed and must be non-empty and unique;
 * - fields are separated by `,`; records end with CRLF, LF or a lone CR;
 * - a field may be quoted with `"`; inside quotes, `""` is one quote and separators and line
 *   breaks are data; text after a closing quote (other than a separator or line break) is an
 *   error, and so is a quote inside an unquoted field;
 * - a UTF-8 byte-order mark at the start is ignored, and so are empty lines (a record with one
 *   empty field when the header has more than one column);
 * - every record must have as many fields as the header.
 *
 * Cell values are returned as written (unquoted, not trimmed). Each row remembers the 1-based line
 * on which its record starts (the header is line 1 unless blank lines precede it), so every later
 * message can point at a line a person can open in an editor. Structural problems are collected
 * and thrown together as one `INPUT_INVALID` error with fields like `line 17`; an unterminated
 * quote stops the reader, since nothing after it can be trusted.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';

export interface CsvTable {
  readonly header: readonly string[];
  /** Data records, in file order; each has `header.length` fields. */
  readonly rows: readonly (readonly string[])[];
  /** `lines[i]` is the 1-based line of the text on which `rows[i]` starts. */
  readonly lines: readonly number[];
}

interface RawRecord {
  readonly fields: string[];
  readonly line: number;
}

const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;

function isBreak(code: number): boolean {
  return code === LF || code === CR;
}

/** Splits the text into records, collecting structural problems. */
function readRecords(text: string, problems: FieldProblem[]): RawRecord[] {
  const records: RawRecord[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;

  /** Consumes one line break at i (CRLF counts as one) and advances the line counter. */
  const consumeBreak = (): void => {
    if (text.charCodeAt(i) === CR && text.charCodeAt(i + 1) === LF) i += 2;
    else i += 1;
    line += 1;
  };

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    for (;;) {
      if (text.charCodeAt(i) === QUOTE) {
        const openLine = line;
        const parts: string[] = [];
        let start = ++i;
        for (;;) {
          if (i >= n) {
            problems.push({ field: `line ${openLine}`, message: 'quoted field is never closed (missing ")' });
            throw invalidCsv(problems);
          }
          const code = text.charCodeAt(i);
          if (code === QUOTE) {
            parts.push(text.slice(start, i));
            if (text.charCodeAt(i + 1) === QUOTE) {
              parts.push('"');
              i += 2;
              start = i;
              continue;
            }
            i += 1;
            break;
          }
          if (isBreak(code)) {
            if (code === CR && text.charCodeAt(i + 1) === LF) i += 1;
            line += 1;
          }
          i += 1;
        }
        fields.push(parts.join(''));
        if (i < n && text.charCodeAt(i) !== COMMA && !isBreak(text.charCodeAt(i))) {
          problems.push({ field: `line ${line}`, message: 'unexpected text after a closing quote (a quote inside a quoted field is written "")' });
          while (i < n && text.charCodeAt(i) !== COMMA && !isBreak(text.charCodeAt(i))) i += 1;
        }
      } else {
        const start = i;
        while (i < n && text.charCodeAt(i) !== COMMA && !isBreak(text.charCodeAt(i))) i += 1;
        const value = text.slice(start, i);
        if (value.includes('"')) {
          problems.push({ field: `line ${line}`, message: `quote inside an unquoted field ${JSON.stringify(value)} (quote the whole field and write "" for a quote)` });
        }
        fields.push(value);
      }
      if (i < n && text.charCodeAt(i) === COMMA) {
        i += 1;
        continue;
      }
      break;
    }
    if (i < n) consumeBreak();
    records.push({ fields, line: recordLine });
  }
  return records;
}

function invalidCsv(problems: readonly FieldProblem[]): SpendflowError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new SpendflowError('INPUT_INVALID', `invalid CSV (${count})`, { problems });
}

function isBlank(record: RawRecord): boolean {
  return record.fields.length === 1 && record.fields[0] === '';
}

/** Parses CSV text with a header row; throws one `INPUT_INVALID` error listing every problem. */
export function parseCsv(text: string): CsvTable {
  const problems: FieldProblem[] = [];
  const records = readRecords(text, problems);
  const first = records.findIndex((r) => !isBlank(r));
  const headerRecord = records[first];
  if (headerRecord === undefined) {
    throw invalidCsv([...problems, { field: 'line 1', message: 'no header row: the text is empty' }]);
  }
  const header = headerRecord.fields.map((name) => name.trim());
  const seen = new Map<string, number>();
  header.forEach((name, column) => {
    if (name === '') {
      problems.push({ field: `line ${headerRecord.line}`, message: `column ${column + 1} has an empty name` });
    } else if (seen.has(name)) {
      problems.push({ field: `line ${headerRecord.line}`, message: `column name ${JSON.stringify(name)} appears twice (columns ${(seen.get(name) ?? 0) + 1} and ${column + 1})` });
    } else {
      seen.set(name, column);
    }
  });

  const rows: string[][] = [];
  const lines: number[] = [];
  for (const record of records.slice(first + 1)) {
    if (header.length > 1 && isBlank(record)) continue;
    if (record.fields.length !== header.length) {
      problems.push({ field: `line ${record.line}`, message: `expected ${header.length} fields like the header, found ${record.fields.length}` });
      continue;
    }
    rows.push(record.fields);
    lines.push(record.line);
  }
  if (problems.length > 0) throw invalidCsv(problems);
  return { header, rows, lines };
}
