/**
 * Column scaling, so the fit works on numbers of order 1 and its results convert back.
 *
 *   scaled = raw / factor        raw = scaled · factor
 *
 * There is no centring: zero spend must stay zero (every saturation curve passes through 0) and
 * 0/1 indicators stay 0/1. Factors:
 *
 * - `mean-nonzero` (the default): the mean of |x| over the non-zero cells. For a flighted channel
 *   (TV dark half the year) this is the typical spend *when it runs*, so active periods sit near 1
 *   however sparse the flighting; an overall mean would push them far above 1. A 0/1 indicator
 *   keeps factor 1, and a positive target is divided by its mean.
 * - `max-abs`: the largest |x|, so every scaled value lies in [−1, 1].
 *
 * A column with no non-zero finite value gets factor 1 (nothing to scale, and no division by
 * zero). Non-finite cells are ignored when computing a factor and passed through.
 *
 * Converting fitted parameters back: adstock is linear, so A(x / s) = A(x) / s and scaling before
 * or after adstock is the same. A curve fitted on scaled spend and target, y/s_y = β′·S(x/s_x; k′)
 * with S depending on x/k (hill, exp, log), is y = (β′·s_y)·S(x; k′·s_x) in raw units.
 */
import { SpendflowError } from '../../errors.ts';

export type ScaleMethod = 'mean-nonzero' | 'max-abs';

export interface ScaledColumns<K extends string> {
  readonly method: ScaleMethod;
  /** Per column: divide raw values by it to scale, multiply scaled values by it to convert back. */
  readonly factors: Readonly<Record<K, number>>;
  /** Scaled copies; the input columns are not changed. */
  readonly scaled: Readonly<Record<K, Float64Array>>;
}

/** The scale factor of one column (see the module comment); always finite and > 0. */
export function scaleFactor(values: ArrayLike<number>, method: ScaleMethod = 'mean-nonzero'): number {
  let sum = 0;
  let count = 0;
  let max = 0;
  for (let i = 0; i < values.length; i++) {
    const magnitude = Math.abs(values[i] ?? 0);
    if (!Number.isFinite(magnitude) || magnitude === 0) continue;
    sum += magnitude;
    count += 1;
    if (magnitude > max) max = magnitude;
  }
  if (count === 0) return 1;
  const factor = method === 'max-abs' ? max : sum / count;
  return Number.isFinite(factor) && factor > 0 ? factor : 1;
}

/** raw / factor, as a new array. */
export function scaleSeries(values: ArrayLike<number>, factor: number): Float64Array {
  return Float64Array.from(values, (v) => v / factor);
}

/** scaled · factor, as a new array: the inverse of `scaleSeries`. */
export function unscaleSeries(values: ArrayLike<number>, factor: number): Float64Array {
  return Float64Array.from(values, (v) => v * factor);
}

/** Scales every column by its own factor. */
export function scaleColumns<K extends string>(
  columns: Readonly<Record<K, ArrayLike<number>>>,
  method: ScaleMethod = 'mean-nonzero',
): ScaledColumns<K> {
  const names = Object.keys(columns) as K[];
  const factors = names.map((name): [K, number] => [name, scaleFactor(columns[name], method)]);
  const scaled = factors.map(([name, factor]): [K, Float64Array] => [name, scaleSeries(columns[name], factor)]);
  return {
    method,
    factors: Object.fromEntries(factors) as Record<K, number>,
    scaled: Object.fromEntries(scaled) as Record<K, Float64Array>,
  };
}

/** Converts scaled columns back to raw units; every column needs a factor. */
export function unscaleColumns<K extends string>(
  scaled: Readonly<Record<K, ArrayLike<number>>>,
  factors: Readonly<Record<K, number>>,
): Record<K, Float64Array> {
  const names = Object.keys(scaled) as K[];
  const missing = names.filter((name) => typeof factors[name] !== 'number');
  if (missing.length > 0) {
    throw new SpendflowError('INPUT_INVALID', 'no scale factor for some columns', {
      problems: missing.map((name) => ({ field: `factors.${name}`, message: 'is missing' })),
    });
  }
  return Object.fromEntries(names.map((name) => [name, unscaleSeries(scaled[name], factors[name])])) as Record<K, Float64Array>;
}
