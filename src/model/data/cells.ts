/**
 * What a single CSV cell means: a number, a missing value, or text. Shared by the history
 * preprocessing; pure.
 */

/**
 * Cells that mean "no value", compared after trimming and case-insensitively: the empty cell,
 * `NA`, `NaN` and `null` (so `na`, `NULL`, `nan` too). In a categorical control only the empty
 * cell is missing: there `na` is usually a level of its own ("no event").
 */
export const MISSING_TOKENS: readonly string[] = ['', 'na', 'nan', 'null'];

/** Decimal numbers with an optional sign and exponent: `12`, `-3.5`, `.5`, `1e6`. No `1,000`, hex or Infinity. */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isMissingCell(cell: string): boolean {
  return MISSING_TOKENS.includes(cell.trim().toLowerCase());
}

/** The cell as a finite number, or undefined when it is not a decimal number (or overflows). */
export function parseNumberCell(cell: string): number | undefined {
  const text = cell.trim();
  if (!DECIMAL.test(text)) return undefined;
  const value = Number(text);
  return Number.isFinite(value) ? value : undefined;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  if (sorted.length % 2 === 1) return sorted[mid] ?? Number.NaN;
  return ((sorted[mid - 1] ?? Number.NaN) + (sorted[mid] ?? Number.NaN)) / 2;
}
