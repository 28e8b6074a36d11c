/**
 * Built-in scenarios, and ground truth generated from a seed for arbitrary configured portfolios.
 *
 * `demo` matches the default config's portfolios (period 60 minutes): demo-shop (EUR 2000) and
 * demo-outdoor (USD 800). Its ground truth is chosen so the best split differs clearly from an even
 * split while staying inside the configured bounds: in demo-shop, search and shopping earn most,
 * social is S-shaped (little return below ~400, strong above) and display earns less than it costs.
 *
 * The other built-in scenarios are variants of it (./scenario-variants.ts): `demo-quiet` without
 * seasonality or noise, and `demo-change-point`, `demo-drift`, `demo-outage` with response effects
 * (./effects.ts) that make the best split move over time. The same variant applies to generated
 * ground truth when the configured portfolios do not match the demo.
 */
import type { PortfolioConfig } from '../config/types.ts';
import { SpendflowError } from '../errors.ts';
import { curveValue } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';
import { evenSplit } from './oracle.ts';
import type { SimChannel, SimPortfolio, SimScenario } from './scenario.ts';
import { scenarioVariants, type ScenarioName, scenarioNames } from './scenario-variants.ts';
import { subStream } from './streams.ts';

export { scenarioDescriptions, scenarioNames, type ScenarioName } from './scenario-variants.ts';

/**
 * The scenarios a closed-loop evaluation (`spendflow evaluate`) plays, by evaluation name: a
 * stationary market, a change point, slow drift and an outage.
 */
export const evaluationScenarios = {
  stationary: 'demo',
  'change-point': 'demo-change-point',
  drift: 'demo-drift',
  outage: 'demo-outage',
} as const satisfies Readonly<Record<string, ScenarioName>>;
export type EvaluationScenarioName = keyof typeof evaluationScenarios;
export const evaluationScenarioNames = Object.keys(evaluationScenarios) as EvaluationScenarioName[];

const MARKET = { weeklyAmplitude: 0.15, dailyAmplitude: 0.25, noise: 0.05, spendNoise: 0.08 } as const;

function demoShop(): SimPortfolio {
  return {
    id: 'demo-shop',
    currency: 'EUR',
    budget: 2000,
    periodMinutes: 60,
    baseline: 1800,
    ...MARKET,
    averageOrderValue: 60,
    channels: [
      { id: 'search', platform: 'google-ads', curve: { type: 'hill', beta: 3200, k: 700, s: 1 }, adstockDecay: 0.3, cpm: 25, ctr: 0.04, min: 200, max: 1200 },
      { id: 'shopping', platform: 'google-ads', curve: { type: 'exp', beta: 1500, k: 450 }, adstockDecay: 0.35, cpm: 18, ctr: 0.025, min: 100, max: 1000 },
      { id: 'social', platform: 'meta', curve: { type: 'hill', beta: 2600, k: 650, s: 2 }, adstockDecay: 0.5, cpm: 9, ctr: 0.012, min: 100, max: 1000 },
      { id: 'display', platform: 'criteo', curve: { type: 'exp', beta: 500, k: 350 }, adstockDecay: 0.6, cpm: 3, ctr: 0.004, min: 0, max: 600 },
    ],
  };
}

function demoOutdoor(): SimPortfolio {
  return {
    id: 'demo-outdoor',
    currency: 'USD',
    budget: 800,
    periodMinutes: 60,
    baseline: 700,
    ...MARKET,
    averageOrderValue: 85,
    channels: [
      { id: 'search', platform: 'google-ads', curve: { type: 'hill', beta: 1300, k: 300, s: 1 }, adstockDecay: 0.3, cpm: 22, ctr: 0.035, min: 50, max: 500 },
      { id: 'social', platform: 'meta', curve: { type: 'hill', beta: 1000, k: 280, s: 1.8 }, adstockDecay: 0.5, cpm: 8, ctr: 0.01, min: 50, max: 500 },
      { id: 'video', platform: 'tiktok', curve: { type: 'exp', beta: 300, k: 150 }, adstockDecay: 0.45, cpm: 6, ctr: 0.006, min: 0, max: 300 },
    ],
  };
}

export function isScenarioName(name: string): name is ScenarioName {
  return (scenarioNames as readonly string[]).includes(name);
}

/** A fresh copy of a built-in scenario; throws INPUT_INVALID for an unknown name. */
export function builtInScenario(name: string): SimScenario {
  if (!isScenarioName(name)) {
    throw new SpendflowError('INPUT_INVALID', `unknown scenario ${JSON.stringify(name)}; built in: ${scenarioNames.join(', ')}`, {
      problems: [{ field: 'scenario', message: `must be one of ${scenarioNames.join(', ')}` }],
    });
  }
  return { name, portfolios: [demoShop(), demoOutdoor()].map(scenarioVariants[name]) };
}

/**
 * Whether the scenario simulates exactly these portfolios: same ids and currencies, budgets and
 * period, and the same channel ids and platforms in the same order.
 */
export function scenarioMatches(scenario: SimScenario, portfolios: readonly PortfolioConfig[], periodMinutes: number): boolean {
  return (
    scenario.portfolios.length === portfolios.length &&
    portfolios.every((p, i) => {
      const s = scenario.portfolios[i];
      return (
        s !== undefined && s.id === p.id && s.currency === p.currency && s.budget === p.budget &&
        s.periodMinutes === periodMinutes && s.channels.length === p.channels.length &&
        p.channels.every((c, j) => s.channels[j]?.id === c.id && s.channels[j]?.platform === c.platform)
      );
    })
  );
}

/**
 * The named built-in scenario when it matches the configured portfolios, else ground truth
 * generated from the seed for them (`source` says which), with the same variant applied: e.g.
 * `demo-change-point` on other portfolios is generated truth with the same change-point rule
 * (named `generated-demo-change-point`; plain `demo` gives `generated`).
 */
export function resolveScenario(
  name: string,
  portfolios: readonly PortfolioConfig[],
  periodMinutes: number,
  seed: number,
): { scenario: SimScenario; source: 'built-in' | 'generated' } {
  const builtIn = builtInScenario(name);
  if (scenarioMatches(builtIn, portfolios, periodMinutes)) return { scenario: builtIn, source: 'built-in' };
  const generated = scenarioFromPortfolios(portfolios, periodMinutes, seed);
  if (!isScenarioName(name) || name === 'demo') return { scenario: generated, source: 'generated' };
  return { scenario: { name: `generated-${name}`, portfolios: generated.portfolios.map(scenarioVariants[name]) }, source: 'generated' };
}

/**
 * Ground truth for arbitrary portfolios, drawn from the seed (one sub-stream per portfolio id, so
 * adding a portfolio does not change the others). Per channel, at its share e of the clamped even
 * split: a Hill curve (s in 0.8..2.2) or an exponential one, k = e·(0.6..2), and beta set so the
 * channel's ROI at e is 1.2..2.5 — hence the portfolio's media ROI at an even split is in 1.2..2.5
 * too, and channels differ enough for the optimum to move away from the even split.
 */
export function scenarioFromPortfolios(portfolios: readonly PortfolioConfig[], periodMinutes: number, seed: number): SimScenario {
  if (!Number.isFinite(periodMinutes) || periodMinutes <= 0) {
    throw new SpendflowError('INPUT_INVALID', `periodMinutes must be > 0 (got ${periodMinutes})`);
  }
  return { name: 'generated', portfolios: portfolios.map((p) => generatePortfolio(p, periodMinutes, seed)) };
}

function generatePortfolio(config: PortfolioConfig, periodMinutes: number, seed: number): SimPortfolio {
  const rng = subStream(seed, `truth:${config.id}`);
  const uniform = (lo: number, hi: number): number => lo + (hi - lo) * rng.next();
  const n = config.channels.length;
  const fallback = Math.max(1, config.budget / Math.max(1, n));
  let shares: number[];
  try {
    shares = evenSplit(config.budget, config.channels.map((c) => c.min), config.channels.map((c) => c.max ?? Infinity));
  } catch {
    shares = config.channels.map(() => fallback);
  }
  const channels = config.channels.map((c, i): SimChannel => {
    const e = (shares[i] ?? 0) > 0 ? (shares[i] ?? 0) : fallback;
    const k = e * uniform(0.6, 2);
    const shape: CurveSpec = rng.next() < 0.5
      ? { type: 'hill', beta: 1, k, s: round(uniform(0.8, 2.2), 2) }
      : { type: 'exp', beta: 1, k };
    const roi = uniform(1.2, 2.5);
    const beta = round((roi * e) / curveValue(shape, e), 2);
    return {
      id: c.id,
      platform: c.platform,
      curve: { ...shape, beta },
      adstockDecay: round(uniform(0.3, 0.6), 2),
      cpm: round(uniform(3, 25), 2),
      ctr: round(uniform(0.004, 0.04), 4),
      min: c.min,
      ...(c.max === null ? {} : { max: c.max }),
    };
  });
  return {
    id: config.id,
    currency: config.currency,
    budget: config.budget,
    periodMinutes,
    channels,
    baseline: round(config.budget * uniform(0.6, 1.2), 2),
    ...MARKET,
    averageOrderValue: round(uniform(30, 120), 2),
  };
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
