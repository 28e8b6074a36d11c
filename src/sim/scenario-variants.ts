/**
 * The built-in scenario names and what each changes in a base portfolio (the demo's, or ground
 * truth generated for configured portfolios). Effect variants pick their channels by a rule over
 * the true optimal allocation at the start, so they apply to any portfolio:
 *
 * - `demo-change-point`: the channel with the largest optimal share loses 40% of its response at
 *   day 10 (step ×0.6);
 * - `demo-drift`: over days 0–30, the largest-share channel's response ramps to ×0.6 and the
 *   smallest-share channel's to ×1.4;
 * - `demo-outage`: the channel with the second-largest optimal share (the largest when alone)
 *   brings no sales from day 10 to day 13.
 */
import type { ResponseEffect } from './effects.ts';
import { solveOracle } from './oracle.ts';
import type { SimPortfolio } from './scenario.ts';

export const scenarioNames = ['demo', 'demo-quiet', 'demo-change-point', 'demo-drift', 'demo-outage'] as const;
export type ScenarioName = (typeof scenarioNames)[number];

export const scenarioDescriptions: { readonly [N in ScenarioName]: string } = {
  demo: 'stationary market: fixed response curves, weekly and daily seasonality, revenue and pacing noise',
  'demo-quiet': 'the demo without seasonality or noise: every tick is its expected value',
  'demo-change-point': 'the channel with the largest optimal share loses 40% of its response at day 10',
  'demo-drift': 'over days 0-30 the largest-share channel fades to x0.6 and the smallest-share one grows to x1.4',
  'demo-outage': 'the channel with the second-largest optimal share brings no sales from day 10 to day 13',
};

export const CHANGE_POINT: ResponseEffect = { type: 'step', startDay: 10, factor: 0.6 };
export const DRIFT_DOWN: ResponseEffect = { type: 'ramp', startDay: 0, endDay: 30, factor: 0.6 };
export const DRIFT_UP: ResponseEffect = { type: 'ramp', startDay: 0, endDay: 30, factor: 1.4 };
export const OUTAGE: ResponseEffect = { type: 'outage', startDay: 10, endDay: 13 };

type Variant = (portfolio: SimPortfolio) => SimPortfolio;

export const scenarioVariants: { readonly [N in ScenarioName]: Variant } = {
  demo: (p) => p,
  'demo-quiet': (p) => ({ ...p, weeklyAmplitude: 0, dailyAmplitude: 0, noise: 0, spendNoise: 0 }),
  'demo-change-point': (p) => withEffects(p, [[byOptimalShare(p)[0], CHANGE_POINT]]),
  'demo-drift': (p) => {
    const ranked = byOptimalShare(p);
    return withEffects(p, ranked.length < 2 ? [[ranked[0], DRIFT_DOWN]] : [[ranked[0], DRIFT_DOWN], [ranked.at(-1), DRIFT_UP]]);
  },
  'demo-outage': (p) => {
    const ranked = byOptimalShare(p);
    return withEffects(p, [[ranked[1] ?? ranked[0], OUTAGE]]);
  },
};

/**
 * Channel indices by their share of the true optimal allocation at the start (largest first, ties
 * in channel order). A portfolio whose bounds cannot hold its budget keeps the channel order.
 */
export function byOptimalShare(p: SimPortfolio): number[] {
  let x: number[];
  try {
    x = solveOracle({
      curves: p.channels.map((c) => c.curve),
      budget: p.budget,
      min: p.channels.map((c) => c.min ?? 0),
      max: p.channels.map((c) => c.max ?? Infinity),
    });
  } catch {
    x = p.channels.map(() => 0);
  }
  return p.channels.map((_, i) => i).sort((a, b) => (x[b] ?? 0) - (x[a] ?? 0) || a - b);
}

function withEffects(p: SimPortfolio, added: readonly (readonly [number | undefined, ResponseEffect])[]): SimPortfolio {
  return {
    ...p,
    channels: p.channels.map((c, i) => {
      const mine = added.flatMap(([index, effect]) => (index === i ? [effect] : []));
      return mine.length === 0 ? c : { ...c, effects: [...(c.effects ?? []), ...mine.map((e) => ({ ...e }))] };
    }),
  };
}
