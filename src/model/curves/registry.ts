import { SpendflowError, type FieldProblem } from '../../errors.ts';
import { expSaturation, hillSaturation, logSaturation } from './saturation.ts';
import type { CurveFamily, CurveSpec, CurveType } from './types.ts';

/** Every curve family, registered by name. Add a family here and the shared curve test covers it. */
export const curveFamilies: { readonly [T in CurveType]: CurveFamily<Extract<CurveSpec, { type: T }>> } = {
  hill: hillSaturation,
  exp: expSaturation,
  log: logSaturation,
};

export const curveTypes = Object.keys(curveFamilies) as CurveType[];

function familyOf<C extends CurveSpec>(curve: C): CurveFamily<C> {
  return curveFamilies[curve.type] as unknown as CurveFamily<C>;
}

export function curveValue(curve: CurveSpec, x: number): number {
  return familyOf(curve).value(curve, x);
}

export function curveDerivative(curve: CurveSpec, x: number): number {
  return familyOf(curve).derivative(curve, x);
}

export function curveInflection(curve: CurveSpec): number {
  return familyOf(curve).inflection(curve);
}

export function curveInverseDerivative(curve: CurveSpec, p: number, near?: number): number {
  return familyOf(curve).inverseDerivative(curve, p, near);
}

export function curveLogDerivativeSlope(curve: CurveSpec, x: number): number {
  return familyOf(curve).logDerivativeSlope(curve, x);
}

export function isConcaveCurve(curve: CurveSpec): boolean {
  return familyOf(curve).isConcave(curve);
}

/**
 * Checks an untrusted value (from config, Kafka or HTTP) and returns a typed curve, or the list of
 * field problems under `path`.
 */
export function parseCurve(input: unknown, path = 'curve'): { curve?: CurveSpec; problems: FieldProblem[] } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { problems: [{ field: path, message: 'must be an object like {"type":"hill","beta":…,"k":…,"s":…}' }] };
  }
  const raw = input as Record<string, unknown>;
  const type = raw['type'];
  if (typeof type !== 'string' || !Object.hasOwn(curveFamilies, type)) {
    return { problems: [{ field: `${path}.type`, message: `must be one of ${curveTypes.join(', ')} (got ${JSON.stringify(type)})` }] };
  }
  const family = curveFamilies[type as CurveType] as CurveFamily;
  const problems: FieldProblem[] = [];
  const curve: Record<string, unknown> = { type };
  for (const name of family.params) {
    const v = raw[name];
    if (typeof v !== 'number') problems.push({ field: `${path}.${name}`, message: 'must be a number' });
    curve[name] = v;
  }
  for (const key of Object.keys(raw)) {
    if (key !== 'type' && !(family.params as readonly string[]).includes(key)) {
      problems.push({ field: `${path}.${key}`, message: `is not a parameter of a ${type} curve` });
    }
  }
  if (problems.length > 0) return { problems };
  const typed = curve as unknown as CurveSpec;
  const invalid = familyOf(typed).validate(typed).map((p) => ({ field: `${path}.${p.field}`, message: p.message }));
  return invalid.length > 0 ? { problems: invalid } : { curve: typed, problems: [] };
}

export function requireCurve(input: unknown, path = 'curve'): CurveSpec {
  const { curve, problems } = parseCurve(input, path);
  if (!curve) throw new SpendflowError('CURVE_INVALID', `invalid curve at ${path}`, { problems });
  return curve;
}
