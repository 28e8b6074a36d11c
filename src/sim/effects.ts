/**
 * Changes of a channel's true response over simulated time, as data that travels in a scenario:
 * each effect multiplies the channel's curve value (its β) by a factor that depends on the day,
 * measured from the market's start (fractional days allowed). Several effects multiply.
 *
 * - `{ type: 'step', startDay, factor }`: ×factor from startDay on (a change point);
 * - `{ type: 'ramp', startDay, endDay, factor }`: linear from ×1 at startDay to ×factor at endDay,
 *   held at ×factor after (drift);
 * - `{ type: 'outage', startDay, endDay }`: ×0 in [startDay, endDay), ×1 again after (the ads keep
 *   spending but bring no sales, e.g. a broken landing page or product feed).
 */
import type { FieldProblem } from '../errors.ts';
import { FieldReader, isPlainObject } from '../events/fields.ts';
import type { CurveSpec } from '../model/curves/types.ts';

export interface StepEffect {
  readonly type: 'step';
  readonly startDay: number;
  readonly factor: number;
}

export interface RampEffect {
  readonly type: 'ramp';
  readonly startDay: number;
  readonly endDay: number;
  readonly factor: number;
}

export interface OutageEffect {
  readonly type: 'outage';
  readonly startDay: number;
  readonly endDay: number;
}

export type ResponseEffect = StepEffect | RampEffect | OutageEffect;
export type EffectType = ResponseEffect['type'];

const EFFECT_KEYS: { readonly [T in EffectType]: readonly string[] } = {
  step: ['type', 'startDay', 'factor'],
  ramp: ['type', 'startDay', 'endDay', 'factor'],
  outage: ['type', 'startDay', 'endDay'],
};

export const effectTypes = Object.keys(EFFECT_KEYS) as EffectType[];

function isEffectType(v: unknown): v is EffectType {
  return typeof v === 'string' && Object.hasOwn(EFFECT_KEYS, v);
}

/** The factor one effect applies on `day` (days since the market's start). */
export function effectFactor(effect: ResponseEffect, day: number): number {
  switch (effect.type) {
    case 'step':
      return day >= effect.startDay ? effect.factor : 1;
    case 'ramp':
      if (day <= effect.startDay) return 1;
      if (day >= effect.endDay) return effect.factor;
      return 1 + (effect.factor - 1) * ((day - effect.startDay) / (effect.endDay - effect.startDay));
    case 'outage':
      return day >= effect.startDay && day < effect.endDay ? 0 : 1;
  }
}

/** The product of every effect's factor on `day`; exactly 1 without effects. */
export function responseFactorAt(effects: readonly ResponseEffect[], day: number): number {
  let factor = 1;
  for (const effect of effects) factor *= effectFactor(effect, day);
  return factor;
}

/**
 * The curve with its response multiplied by `factor`. Every registered family is β times a shape
 * (hill, exp, log), so scaling β scales the curve; the shared test in test/unit/sim checks this
 * for every registered family.
 */
export function scaleCurve(curve: CurveSpec, factor: number): CurveSpec {
  return factor === 1 ? curve : { ...curve, beta: curve.beta * factor };
}

/**
 * Checks an untrusted `effects` value and returns typed effects, or the field problems under
 * `path` (`portfolios[0].channels[1].effects[0].endDay`).
 */
export function parseEffects(value: unknown, path: string): { effects?: ResponseEffect[]; problems: FieldProblem[] } {
  if (!Array.isArray(value)) {
    return { problems: [{ field: path, message: 'must be an array like [{"type":"step","startDay":10,"factor":0.6}]' }] };
  }
  const problems: FieldProblem[] = [];
  const effects = value.map((item: unknown, i) => readEffect(item, `${path}[${i}]`, problems));
  const complete = effects.every((e): e is ResponseEffect => e !== undefined);
  return complete && problems.length === 0 ? { effects, problems } : { problems };
}

function readEffect(item: unknown, path: string, problems: FieldProblem[]): ResponseEffect | undefined {
  if (!isPlainObject(item)) {
    problems.push({ field: path, message: 'must be an object like {"type":"step","startDay":10,"factor":0.6}' });
    return undefined;
  }
  const type = item['type'];
  if (!isEffectType(type)) {
    problems.push({
      field: `${path}.type`,
      message: type === undefined ? `is required (one of ${effectTypes.join(', ')})` : `must be one of ${effectTypes.join(', ')} (got ${JSON.stringify(type)})`,
    });
    return undefined;
  }
  const r = new FieldReader(item, path);
  const startDay = r.number('startDay', { min: 0 });
  const endDay = type === 'step' ? undefined : r.number('endDay', { min: 0 });
  const factor = type === 'outage' ? undefined : r.number('factor', { min: 0 });
  r.rejectUnknown(EFFECT_KEYS[type]);
  problems.push(...r.problems);
  if (startDay !== undefined && endDay !== undefined && endDay <= startDay) {
    problems.push({ field: `${path}.endDay`, message: `must be > startDay (${startDay}); got ${endDay}` });
    return undefined;
  }
  if (r.problems.length > 0 || startDay === undefined) return undefined;
  if (type === 'step') return factor === undefined ? undefined : { type, startDay, factor };
  if (endDay === undefined) return undefined;
  if (type === 'ramp') return factor === undefined ? undefined : { type, startDay, endDay, factor };
  return { type, startDay, endDay };
}
