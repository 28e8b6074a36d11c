/**
 * Which columns of a history file play which role, checked against the header before any cell is
 * read. Every problem is reported at once.
 */
import { SpendflowError, type FieldProblem } from '../../errors.ts';

export interface HistorySpec {
  /** Column with ISO dates (`YYYY-MM-DD`, optionally with a time). */
  readonly date: string;
  /** Column with the KPI (revenue, conversions …). */
  readonly target: string;
  /** Columns with media spend; at least one. Spend must be ≥ 0. */
  readonly channels: readonly string[];
  /** Context columns: numeric ones stay numeric, text ones are one-hot encoded. */
  readonly controls?: readonly string[];
  /**
   * What to do with missing cells (empty, NA, NaN, null): `drop` the row (the default) or
   * `impute` it — the column median over the kept rows for numeric columns, the most frequent
   * level for categorical controls. Rows missing the date or the target are always dropped: a
   * date cannot be guessed, and an imputed KPI would be fitted as if it had been observed.
   */
  readonly missing?: 'drop' | 'impute';
}

/** Column indices of every role, in the order the spec names them. */
export interface ResolvedColumns {
  readonly date: number;
  readonly target: number;
  readonly channels: readonly number[];
  readonly controls: readonly number[];
}

function invalidSpec(problems: readonly FieldProblem[]): SpendflowError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  return new SpendflowError('INPUT_INVALID', `invalid history column selection (${count})`, { problems });
}

/** Resolves the spec's column names against the header; throws `INPUT_INVALID` listing every problem. */
export function resolveColumns(header: readonly string[], spec: HistorySpec): ResolvedColumns {
  const problems: FieldProblem[] = [];
  const available = header.map((name) => JSON.stringify(name)).join(', ');
  const owner = new Map<string, string>();
  const resolve = (name: unknown, field: string): number => {
    if (typeof name !== 'string' || name === '') {
      problems.push({ field, message: 'must be a column name' });
      return -1;
    }
    const index = header.indexOf(name);
    if (index < 0) problems.push({ field, message: `unknown column ${JSON.stringify(name)}; available: ${available}` });
    const previous = owner.get(name);
    if (previous !== undefined) problems.push({ field, message: `column ${JSON.stringify(name)} is already used as ${previous}` });
    else owner.set(name, field);
    return index;
  };
  const date = resolve(spec.date, 'spec.date');
  const target = resolve(spec.target, 'spec.target');
  if (!Array.isArray(spec.channels) || spec.channels.length === 0) {
    problems.push({ field: 'spec.channels', message: 'name at least one spend column' });
  }
  const channels = (spec.channels ?? []).map((name, i) => resolve(name, `spec.channels[${i}]`));
  const controls = (spec.controls ?? []).map((name, i) => resolve(name, `spec.controls[${i}]`));
  if (spec.missing !== undefined && spec.missing !== 'drop' && spec.missing !== 'impute') {
    problems.push({ field: 'spec.missing', message: `must be "drop" or "impute" (got ${JSON.stringify(spec.missing)})` });
  }
  if (problems.length > 0) throw invalidSpec(problems);
  return { date, target, channels, controls };
}
