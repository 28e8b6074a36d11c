/** Where a saved response curve is evaluated: 0 … RESPONSE_CURVE_SPAN × the largest spend seen in one period. */
export const RESPONSE_CURVE_POINTS = 21;
export const RESPONSE_CURVE_SPAN = 1.5;

export function responseCurveSpends(maxObservedSpend: number): number[] {
  const top = RESPONSE_CURVE_SPAN * maxObservedSpend;
  return Array.from({ length: RESPONSE_CURVE_POINTS }, (_, i) => (top * i) / (RESPONSE_CURVE_POINTS - 1));
}

/** Per channel, the largest spend in one period. */
export function maxSpendPerChannel(spend: Readonly<Record<string, Float64Array>>): Record<string, number> {
  return Object.fromEntries(Object.entries(spend).map(([name, values]) => [name, values.reduce((m, v) => Math.max(m, v), 0)]));
}
