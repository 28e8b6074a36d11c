/**
 * Predictions from a `FittedModel`, in raw units, with plain numbers (no tensors): the same model
 * the graph fits, evaluated with the registry's curves and ../adstock.ts. Pure.
 *
 * Period indices count from the first fitted period; pass `start` when `data` begins elsewhere
 * (e.g. a later slice). For a hold-out check, the simplest is to pass the whole history (training
 * then hold-out periods) so the adstock carries over, and score the tail.
 */
import { applyAdstock } from '../adstock.ts';
import { curveValue } from '../curves/registry.ts';
import { fourierValue } from './features.ts';
import type { FitData, FittedModel } from './types.ts';

export interface Decomposition {
  /** intercept + trend + seasonality + controls, per period. */
  readonly baseline: Float64Array;
  /** Each channel's modelled revenue per period. */
  readonly channels: Readonly<Record<string, Float64Array>>;
  /** baseline + Σ channels. */
  readonly total: Float64Array;
}

/** The number of periods: the spend series' length (the target is not needed to predict). */
function periodsOf(model: FittedModel, data: FitData): number {
  const first = model.channels[0];
  return first === undefined ? data.target.length : (data.spend[first.name]?.length ?? data.target.length);
}

export function decompose(model: FittedModel, data: FitData, start = 0): Decomposition {
  const n = periodsOf(model, data);
  const baseline = new Float64Array(n);
  const controlValues = model.controls.map(({ name, coefficient }) => {
    const index = data.controls?.names.indexOf(name) ?? -1;
    const values = index >= 0 ? data.controls?.values[index] : undefined;
    if (values === undefined) throw new RangeError(`control ${name} is missing from the data`);
    return { coefficient, values };
  });
  for (let i = 0; i < n; i++) {
    const t = start + i;
    let value = model.intercept + model.trend * t;
    for (const block of model.seasonality) {
      for (let h = 1; h <= block.order; h++) {
        value += (block.sin[h - 1] ?? 0) * fourierValue({ period: block.period, harmonic: h, kind: 'sin' }, t);
        value += (block.cos[h - 1] ?? 0) * fourierValue({ period: block.period, harmonic: h, kind: 'cos' }, t);
      }
    }
    for (const { coefficient, values } of controlValues) value += coefficient * (values[i] ?? 0);
    baseline[i] = value;
  }
  const total = Float64Array.from(baseline);
  const channels: Record<string, Float64Array> = {};
  for (const channel of model.channels) {
    const spend = data.spend[channel.name];
    if (spend === undefined) throw new RangeError(`channel ${channel.name} is missing from the data`);
    const adstock = applyAdstock(spend, channel.adstock);
    const revenue = Float64Array.from(adstock, (a) => curveValue(channel.curve, a));
    for (let i = 0; i < n; i++) total[i] = (total[i] ?? 0) + (revenue[i] ?? 0);
    channels[channel.name] = revenue;
  }
  return { baseline, channels, total };
}

/** Modelled revenue per period for `data` (see the module comment for `start`). */
export function predict(model: FittedModel, data: FitData, start = 0): Float64Array {
  return decompose(model, data, start).total;
}
