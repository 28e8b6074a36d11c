/**
 * One-hot encoding of a categorical control. Levels are sorted by UTF-16 code units (so the order
 * does not depend on a locale); the most frequent level is the reference and gets no column (ties
 * go to the level that sorts first), so the indicators are not collinear with the intercept.
 * Indicator columns are named `<column>_<level>` and hold 1 where the row has that level, else 0.
 */

export interface OneHotEncoding {
  /** Every level seen, sorted. */
  readonly levels: readonly string[];
  /** The most frequent level, which has no indicator column. */
  readonly reference: string;
  /** `<column>_<level>` for every level except the reference, in level order. */
  readonly names: readonly string[];
  readonly values: readonly Float64Array[];
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function oneHotEncode(column: string, cells: readonly string[]): OneHotEncoding {
  const counts = new Map<string, number>();
  for (const level of cells) counts.set(level, (counts.get(level) ?? 0) + 1);
  const levels = [...counts.keys()].sort(byCodeUnits);
  let reference = levels[0] ?? '';
  for (const level of levels) {
    if ((counts.get(level) ?? 0) > (counts.get(reference) ?? 0)) reference = level;
  }
  const encoded = levels.filter((level) => level !== reference);
  const values = encoded.map((level) => {
    const indicator = new Float64Array(cells.length);
    cells.forEach((cell, i) => {
      if (cell === level) indicator[i] = 1;
    });
    return indicator;
  });
  return { levels, reference, names: encoded.map((level) => `${column}_${level}`), values };
}
