/**
 * History preprocessing for the batch fit: a parsed CSV table in, aligned numeric series out.
 *
 * - Dates: ISO (see `parseIsoDate`), sorted ascending, no duplicates; the frequency (hourly, daily,
 *   weekly) comes from the median gap and the series must be regular (see `detectFrequency`).
 * - Numbers: decimal text (see `parseNumberCell`); any other text in the target, a channel or a
 *   numeric control is an error naming the row and column. Negative spend is an error, never
 *   clipped. Missing cells (see `MISSING_TOKENS`) are dropped or imputed as `HistorySpec.missing`
 *   says, and every dropped row and imputed cell is reported.
 * - Controls: a control with no numeric cell at all is categorical and one-hot encoded against
 *   its most frequent level (see `oneHotEncode`); any other control is numeric.
 *
 * Rows are named by the 1-based CSV line on which they start (the header is line 1), as in
 * `row 17: tv_S`. Every problem found is collected and thrown as one `INPUT_INVALID` error.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { isMissingCell, median, parseNumberCell } from './cells.ts';
import type { CsvTable } from './csv.ts';
import { detectFrequency, formatIsoDate, parseIsoDate, type Frequency } from './dates.ts';
import { resolveColumns, type HistorySpec } from './history-spec.ts';
import { oneHotEncode } from './one-hot.ts';

export type { HistorySpec } from './history-spec.ts';

/** At most this many problems are listed in one error; a last entry counts the rest. */
export const MAX_LISTED_PROBLEMS = 200;

export interface DroppedRow {
  readonly row: number;
  readonly reason: string;
}

export interface ImputedCell {
  readonly row: number;
  readonly column: string;
}

export interface HistoryReport {
  /** Data rows in the table (header and blank lines excluded). */
  readonly inputRows: number;
  /** Rows kept, i.e. the length of every output series. */
  readonly rows: number;
  readonly droppedRows: readonly DroppedRow[];
  readonly imputed: readonly ImputedCell[];
  /** Per categorical control: every level seen in the kept rows, sorted. */
  readonly oneHot: Readonly<Record<string, readonly string[]>>;
  /** Per categorical control: the reference level (the most frequent), which has no column. */
  readonly oneHotReference: Readonly<Record<string, string>>;
  /** Periods absent between the first and last kept date (calendar gaps plus dropped rows). */
  readonly absentPeriods: number;
}

export interface PreparedHistory {
  /** Epoch milliseconds (UTC), strictly ascending. */
  readonly dates: readonly number[];
  readonly frequency: Frequency;
  readonly periodMs: number;
  readonly target: Float64Array;
  readonly spend: Readonly<Record<string, Float64Array>>;
  /** Numeric controls as they are, categorical ones as indicators, in the spec's order. */
  readonly controls: {
    readonly names: readonly string[];
    readonly values: readonly Float64Array[];
    /** Per categorical control, the indices of its indicator columns in `names`. */
    readonly groups: readonly { readonly name: string; readonly columns: readonly number[] }[];
  };
  readonly report: HistoryReport;
}

interface RowProblem extends FieldProblem {
  readonly row: number;
}

type Control =
  | { readonly kind: 'numeric'; readonly name: string; readonly values: Float64Array }
  | { readonly kind: 'categorical'; readonly name: string; readonly cells: readonly (string | undefined)[] };

function historyError(problems: readonly FieldProblem[]): SpendflowError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const listed =
    problems.length <= MAX_LISTED_PROBLEMS
      ? problems
      : [...problems.slice(0, MAX_LISTED_PROBLEMS), { field: '(more)', message: `${problems.length - MAX_LISTED_PROBLEMS} more problems not listed` }];
  return new SpendflowError('INPUT_INVALID', `invalid history (${count})`, { problems: listed });
}

function sortedProblems(problems: readonly RowProblem[]): FieldProblem[] {
  return [...problems].sort((a, b) => a.row - b.row).map(({ field, message }) => ({ field, message }));
}

/** Prepares a parsed history table for fitting; throws one `INPUT_INVALID` error listing every problem. */
export function prepareHistory(table: CsvTable, spec: HistorySpec): PreparedHistory {
  const columns = resolveColumns(table.header, spec);
  const mode = spec.missing ?? 'drop';
  const n = table.rows.length;
  const rowOf = (i: number): number => table.lines[i] ?? i + 2;
  const cellAt = (i: number, column: number): string => table.rows[i]?.[column] ?? '';
  const nameOf = (column: number): string => table.header[column] ?? '';
  const problems: RowProblem[] = [];
  const missing: string[][] = Array.from({ length: n }, () => []);
  const report = (i: number, column: string, message: string): void => {
    problems.push({ row: rowOf(i), field: `row ${rowOf(i)}: ${column}`, message });
  };

  const dateName = nameOf(columns.date);
  const dates = new Float64Array(n).fill(Number.NaN);
  let badDates = 0;
  for (let i = 0; i < n; i++) {
    const text = cellAt(i, columns.date);
    if (isMissingCell(text)) {
      missing[i]?.push(dateName);
      continue;
    }
    const ms = parseIsoDate(text);
    if (ms === undefined) {
      report(i, dateName, `${JSON.stringify(text)} is not an ISO date (YYYY-MM-DD, optionally with a time)`);
      badDates += 1;
    } else {
      dates[i] = ms;
    }
  }

  const readNumeric = (column: number, role: 'target' | 'channel' | 'control'): Float64Array => {
    const name = nameOf(column);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const text = cellAt(i, column);
      values[i] = Number.NaN;
      if (isMissingCell(text)) {
        missing[i]?.push(name);
        continue;
      }
      const value = parseNumberCell(text);
      if (value === undefined) {
        const hint = role === 'control' ? ' (a control mixing numbers and text is numeric; a categorical control has no numeric cells)' : '';
        report(i, name, `${JSON.stringify(text)} is not a number${hint}`);
      } else if (role === 'channel' && value < 0) {
        report(i, name, `negative spend ${value}: spend must be ≥ 0 (fix the data; it is never changed here)`);
      } else {
        values[i] = value;
      }
    }
    return values;
  };

  const targetName = nameOf(columns.target);
  const target = readNumeric(columns.target, 'target');
  const spend = columns.channels.map((column) => readNumeric(column, 'channel'));
  const controls: Control[] = columns.controls.map((column) => {
    const name = nameOf(column);
    const categorical = table.rows.every((row) => parseNumberCell(row[column] ?? '') === undefined);
    if (!categorical) return { kind: 'numeric', name, values: readNumeric(column, 'control') };
    const cells = table.rows.map((row, i) => {
      const text = (row[column] ?? '').trim();
      if (text === '') missing[i]?.push(name);
      return text === '' ? undefined : text;
    });
    return { kind: 'categorical', name, cells };
  });

  const firstRowOf = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const ms = dates[i] ?? Number.NaN;
    if (Number.isNaN(ms)) continue;
    const first = firstRowOf.get(ms);
    if (first === undefined) {
      firstRowOf.set(ms, i);
    } else {
      report(i, dateName, `duplicate date ${formatIsoDate(ms)} (also on row ${rowOf(first)})`);
      badDates += 1;
    }
  }
  // The frequency is a property of the file, so it is detected on every dated row, before rows
  // with missing values are dropped; the holes that dropping leaves are counted in the report.
  let detected: { frequency: Frequency; periodMs: number } | undefined;
  if (badDates === 0) {
    const dated = [...firstRowOf.entries()].sort((a, b) => a[0] - b[0]);
    const result = detectFrequency(dated.map(([ms]) => ms));
    if (result.ok) {
      detected = result;
    } else if (result.irregular.length === 0) {
      problems.push({ row: 0, field: `column ${dateName}`, message: result.message });
    } else {
      for (const index of result.irregular) {
        const [ms, i] = dated[index] ?? [0, 0];
        const [previousMs, previous] = dated[index - 1] ?? [0, 0];
        const hours = ((ms - previousMs) / 3_600_000).toFixed(2);
        report(i, dateName, `${result.message}: ${formatIsoDate(ms)} is ${hours} hours after ${formatIsoDate(previousMs)} (row ${rowOf(previous)})`);
      }
    }
  }
  if (problems.length > 0 || detected === undefined) throw historyError(sortedProblems(problems));
  const { frequency, periodMs } = detected;

  const droppedRows: DroppedRow[] = [];
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const names = missing[i] ?? [];
    if (names.length === 0) {
      keep.push(i);
    } else if (mode === 'drop') {
      droppedRows.push({ row: rowOf(i), reason: `missing ${names.join(', ')}` });
    } else if (names.includes(dateName) || names.includes(targetName)) {
      droppedRows.push({ row: rowOf(i), reason: `missing ${names.join(', ')} (the date and the target are never imputed)` });
    } else {
      keep.push(i);
    }
  }
  if (keep.length < 2) {
    throw historyError([{ field: 'rows', message: `${keep.length} of ${n} rows are left after dropping rows with missing values; at least 2 are needed` }]);
  }
  keep.sort((a, b) => (dates[a] ?? 0) - (dates[b] ?? 0));

  const imputed: ImputedCell[] = [];
  const fillProblems: FieldProblem[] = [];
  /** The kept rows of a numeric column, missing cells replaced by the median of the others. */
  const numericOut = (values: Float64Array, name: string): Float64Array => {
    const present = keep.map((i) => values[i] ?? Number.NaN).filter((v) => !Number.isNaN(v));
    if (present.length === 0) fillProblems.push({ field: `column ${name}`, message: 'has no values in the kept rows to impute from' });
    const fill = present.length > 0 ? median(present) : Number.NaN;
    return Float64Array.from(keep, (i) => {
      const value = values[i] ?? Number.NaN;
      if (!Number.isNaN(value)) return value;
      imputed.push({ row: rowOf(i), column: name });
      return fill;
    });
  };

  const targetOut = Float64Array.from(keep, (i) => target[i] ?? Number.NaN);
  const spendOut = Object.fromEntries(
    columns.channels.map((column, c) => [nameOf(column), numericOut(spend[c] ?? new Float64Array(n), nameOf(column))]),
  );
  const controlNames: string[] = [];
  const controlValues: Float64Array[] = [];
  const levels: [string, readonly string[]][] = [];
  const references: [string, string][] = [];
  const groups: { name: string; columns: number[] }[] = [];
  for (const control of controls) {
    if (control.kind === 'numeric') {
      controlNames.push(control.name);
      controlValues.push(numericOut(control.values, control.name));
      continue;
    }
    // A missing level is imputed with the most frequent one, which stays the reference.
    const present = keep.map((i) => control.cells[i]).filter((cell): cell is string => cell !== undefined);
    const { reference } = oneHotEncode(control.name, present);
    const filled = keep.map((i) => {
      const cell = control.cells[i];
      if (cell !== undefined) return cell;
      imputed.push({ row: rowOf(i), column: control.name });
      return reference;
    });
    const encoding = oneHotEncode(control.name, filled);
    levels.push([control.name, encoding.levels]);
    references.push([control.name, encoding.reference]);
    if (encoding.names.length > 0) groups.push({ name: control.name, columns: encoding.names.map((_, j) => controlNames.length + j) });
    controlNames.push(...encoding.names);
    controlValues.push(...encoding.values);
  }
  const seenNames = new Set<string>();
  for (const name of controlNames) {
    if (seenNames.has(name)) fillProblems.push({ field: `column ${name}`, message: 'two controls produce a column of this name (rename one)' });
    seenNames.add(name);
  }
  if (fillProblems.length > 0) throw historyError(fillProblems);

  const datesOut = keep.map((i) => dates[i] ?? Number.NaN);
  let absentPeriods = 0;
  for (let t = 1; t < datesOut.length; t++) absentPeriods += Math.round(((datesOut[t] ?? 0) - (datesOut[t - 1] ?? 0)) / periodMs) - 1;

  return {
    dates: datesOut,
    frequency,
    periodMs,
    target: targetOut,
    spend: spendOut,
    controls: { names: controlNames, values: controlValues, groups },
    report: {
      inputRows: n,
      rows: keep.length,
      droppedRows,
      imputed: imputed.sort((a, b) => a.row - b.row),
      oneHot: Object.fromEntries(levels),
      oneHotReference: Object.fromEntries(references),
      absentPeriods,
    },
  };
}
