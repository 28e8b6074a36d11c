/**
 * Closed-loop evaluation: every policy (./policies.ts) runs against its own copy of the simulated
 * market for `days`, for each seed; each is scored by the true expected revenue of every period
 * (noise-free, given the spend realised and the adstock carried over) as a share of what the
 * dynamic oracle earned in the same run. ./summary.ts turns the runs into the report.
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import { initialBudgets } from '../pipeline/allocation-state.ts';
import { MarketSimulator } from '../sim/market.ts';
import { evenSplit } from '../sim/oracle.ts';
import type { SimScenario } from '../sim/scenario.ts';
import { evaluationScenarios, resolveScenario, type EvaluationScenarioName } from '../sim/scenarios.ts';
import { heldPolicy, oraclePolicy, spendflowPolicy, weeklyRefitPolicy, type Policy, type PolicyContext, type PolicyName } from './policies.ts';

/**
 * The split each demo portfolio ran before spendflow (shares of the budget): heavy on display and
 * light on the S-shaped social channel, a plausible hand-made split that is clearly not optimal.
 * Other portfolios use their configured initial allocation as their history.
 */
export const DEMO_HISTORICAL_SHARES: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'demo-shop': { search: 0.35, shopping: 0.2, social: 0.15, display: 0.3 },
  'demo-outdoor': { search: 0.45, social: 0.25, video: 0.3 },
};

export interface PolicySpec {
  readonly name: PolicyName;
  /** For `spendflow`: force Thompson sampling on or off (default: the config's). */
  readonly exploration?: 'thompson' | 'off';
}

export function policyLabel(spec: PolicySpec): string {
  return spec.exploration === undefined ? spec.name : `${spec.name}:${spec.exploration}`;
}

export interface EvaluationRequest {
  readonly config: Config;
  readonly scenario: EvaluationScenarioName;
  readonly days: number;
  readonly seeds: readonly number[];
  /** The oracle always runs as well (it is the yardstick). */
  readonly policies: readonly PolicySpec[];
  /** Simulated start, epoch ms, on a bucket boundary (default 2026-03-02T00:00Z, a Monday). */
  readonly start?: number;
  readonly onProgress?: (done: number, total: number, label: string) => void;
}

/** Per period (bucket), the true expected revenue and its media part, money per period. */
export interface PeriodSeries {
  readonly revenue: Float64Array;
  readonly media: Float64Array;
}

export interface RunResult {
  readonly policy: string;
  readonly seed: number;
  readonly portfolios: Readonly<Record<string, PeriodSeries>>;
  /** Period starts at which the policy's model detected a change, per portfolio (spendflow only). */
  readonly detections: Readonly<Record<string, readonly number[]>>;
}

export interface EvaluationRuns {
  readonly scenario: EvaluationScenarioName;
  readonly days: number;
  readonly start: number;
  readonly bucketMs: number;
  readonly portfolios: readonly string[];
  /** Day (from the start) of the first change point in the market's truth (null without one, or when the truth drifts from day 0). */
  readonly changeDay: number | null;
  /** Day the truth first changes at all (0 for a drift from the start); null for a stationary market. */
  readonly firstEffectDay: number | null;
  readonly oracle: readonly RunResult[];
  readonly runs: readonly RunResult[];
}

export const DEFAULT_START = Date.parse('2026-03-02T00:00:00Z');

/** The config with every channel's initialShare set to the historical split (what spendflow takes over from). */
export function withHistoricalShares(config: Config): Config {
  const portfolios: PortfolioConfig[] = config.portfolios.map((p) => {
    const shares = DEMO_HISTORICAL_SHARES[p.id];
    const matches = shares !== undefined && p.channels.every((c) => Object.hasOwn(shares, c.id)) && Object.keys(shares).length === p.channels.length;
    return matches ? { ...p, channels: p.channels.map((c) => ({ ...c, initialShare: shares[c.id]! })) } : p;
  });
  return { ...config, portfolios };
}

function effectDays(scenario: SimScenario): number[] {
  return scenario.portfolios.flatMap((p) => p.channels.flatMap((c) => (c.effects ?? []).map((e) => e.startDay)));
}

/** The first day the truth changes (null for a stationary market), and whether that is a change point (after day 0). */
function firstChange(scenario: SimScenario): { firstEffectDay: number | null; changeDay: number | null } {
  const days = effectDays(scenario);
  const first = days.length > 0 ? Math.min(...days) : null;
  return { firstEffectDay: first, changeDay: first !== null && first > 0 ? first : null };
}

function policyFor(spec: PolicySpec | 'oracle', ctx: PolicyContext): Policy {
  const name = spec === 'oracle' ? 'oracle' : spec.name;
  switch (name) {
    case 'oracle':
      return oraclePolicy(ctx);
    case 'historical':
      return heldPolicy(ctx.historical);
    case 'equal':
      return heldPolicy(ctx.equal);
    case 'weekly-refit':
      return weeklyRefitPolicy(ctx);
    case 'spendflow': {
      const exploration = spec === 'oracle' ? undefined : spec.exploration;
      const config = exploration === undefined ? ctx.config : { ...ctx.config, model: { ...ctx.config.model, exploration } };
      return spendflowPolicy({ ...ctx, config });
    }
  }
}

async function runOne(config: Config, scenario: SimScenario, spec: PolicySpec | 'oracle', seed: number, start: number, days: number): Promise<RunResult> {
  const bucketMs = config.ingest.bucketMinutes * 60_000;
  const seeded: Config = { ...config, optimizer: { ...config.optimizer, seed } };
  const historical = Object.fromEntries(config.portfolios.map((p) => [p.id, initialBudgets(p)]));
  const equal = Object.fromEntries(
    config.portfolios.map((p) => {
      const x = evenSplit(p.budget, p.channels.map((c) => c.min), p.channels.map((c) => c.max ?? Infinity));
      return [p.id, Object.fromEntries(p.channels.map((c, i) => [c.id, x[i]!]))];
    }),
  );
  const ctx: PolicyContext = {
    config: seeded,
    truth: new MarketSimulator(scenario, { seed, start, tickMinutes: config.simulator.tickMinutes }),
    historical,
    equal,
    start,
  };
  const policy = policyFor(spec, ctx);
  const market = new MarketSimulator(scenario, { seed, start, tickMinutes: config.simulator.tickMinutes, initialPlan: policy.initialPlan });
  const periods = Math.round((days * 86_400_000) / bucketMs);
  const series: Record<string, PeriodSeries> = Object.fromEntries(
    config.portfolios.map((p) => [p.id, { revenue: new Float64Array(periods), media: new Float64Array(periods) }]),
  );
  const ticks = Math.round((days * 24 * 60) / config.simulator.tickMinutes);
  for (let i = 0; i < ticks; i++) {
    const time = market.now();
    if ((time - start) % bucketMs === 0) await policy.atPeriodStart?.(market, time);
    const records = market.step();
    await policy.observe?.(market, records);
    for (const p of config.portfolios) {
      const truth = market.lastTickTruth(p.id);
      const period = Math.floor((truth.tickStart - start) / bucketMs);
      const s = series[p.id]!;
      if (period < periods) {
        s.revenue[period]! += truth.expectedRevenue;
        s.media[period]! += truth.media;
      }
    }
  }
  return { policy: spec === 'oracle' ? 'oracle' : policyLabel(spec), seed, portfolios: series, detections: policy.detections?.() ?? {} };
}

export async function runEvaluation(request: EvaluationRequest): Promise<EvaluationRuns> {
  const config = withHistoricalShares(request.config);
  const start = request.start ?? DEFAULT_START;
  const { scenario } = resolveScenario(evaluationScenarios[request.scenario], config.portfolios, config.ingest.bucketMinutes, config.simulator.seed);
  const total = request.seeds.length * (request.policies.length + 1);
  let done = 0;
  const oracle: RunResult[] = [];
  const runs: RunResult[] = [];
  for (const seed of request.seeds) {
    for (const spec of ['oracle' as const, ...request.policies]) {
      const label = spec === 'oracle' ? 'oracle' : policyLabel(spec);
      request.onProgress?.(done, total, `${request.scenario}, seed ${seed}: ${label}`);
      const result = await runOne(config, scenario, spec, seed, start, request.days);
      (spec === 'oracle' ? oracle : runs).push(result);
      done++;
    }
  }
  request.onProgress?.(done, total, 'done');
  return {
    scenario: request.scenario,
    days: request.days,
    start,
    bucketMs: config.ingest.bucketMinutes * 60_000,
    portfolios: config.portfolios.map((p) => p.id),
    ...firstChange(scenario),
    oracle,
    runs,
  };
}
