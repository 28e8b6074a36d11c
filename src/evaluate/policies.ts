/**
 * The allocators a closed-loop evaluation compares, each driving its own copy of the simulated
 * market (same scenario, seed and start, so every policy sees the same noise):
 *
 * - `spendflow`: the full pipeline (ingest → online model → certified optimizer → publish), fed
 *   the market's events, its reallocations fed back to the market;
 * - `weekly-refit`: what marketing-mix teams do today: once a week the same model family is fitted
 *   from scratch on all the history so far (equal weights, no change detection), and its optimum
 *   within the bounds is spent for the whole next week (the first week runs the historical split);
 * - `historical`: the split the business ran before (held);
 * - `equal`: the budget split evenly within the bounds (held);
 * - `oracle`: the dynamic oracle — knows the true curves of every moment, changes included, and
 *   spends their exact optimum within the bounds every period (the certified solver on the true
 *   curves; no max change per step).
 *
 * Scoring (./evaluate.ts) uses the market's noise-free truth of every tick: revenue is what the
 * sales were drawn around given the spend actually realised and the adstock carried over.
 */
import { InProcessBus } from '../bus/in-process-bus.ts';
import type { Config, PortfolioConfig } from '../config/types.ts';
import type { ReallocationEvent } from '../events/types.ts';
import { modelCurves } from '../model/online/response.ts';
import { fitOnlineModel } from '../model/online/online-model.ts';
import type { ModelBucket } from '../model/online/types.ts';
import { allocateBudget } from '../optimizer/allocate.ts';
import type { CurveSpec } from '../model/curves/types.ts';
import { channelBounds } from '../pipeline/allocation-state.ts';
import { createPipeline } from '../pipeline/pipeline.ts';
import { onlineModelOptions, onlineModelSpec } from '../pipeline/portfolio-model.ts';
import { SignalBus } from '../pipeline/signals.ts';
import { InProcessPublisher } from '../publish/in-process-sink.ts';
import { scaleCurve } from '../sim/effects.ts';
import type { MarketSimulator, SimRecord } from '../sim/market.ts';

export const policyNames = ['spendflow', 'weekly-refit', 'historical', 'equal', 'oracle'] as const;
export type PolicyName = (typeof policyNames)[number];

/** A policy attached to one market: it sees every tick's records and may replan at period starts. */
export interface Policy {
  /** The plan per portfolio the market starts from. */
  readonly initialPlan: Readonly<Record<string, Readonly<Record<string, number>>>>;
  /** Called before the tick that starts a period (bucket). */
  atPeriodStart?(market: MarketSimulator, time: number): Promise<void>;
  /** Called with every tick's records. */
  observe?(market: MarketSimulator, records: readonly SimRecord[]): Promise<void>;
  /** Buckets (period starts) at which the policy's model detected a change, per portfolio. */
  detections?(): Readonly<Record<string, readonly number[]>>;
}

export interface PolicyContext {
  readonly config: Config;
  /** A market of the scenario, for its ground truth only (curves, response factors). */
  readonly truth: MarketSimulator;
  /** The historical split per portfolio (budget per period by channel). */
  readonly historical: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly equal: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly start: number;
}

const WEEK_MS = 7 * 86_400_000;
/** Gauss–Newton steps of the weekly batch fit (from the prior; an online update takes one). */
const REFIT_STEPS = 25;

/** Applies a plan to the market from `time` on, as reallocation events of a new version. */
function applyPlan(market: MarketSimulator, portfolio: PortfolioConfig, plan: Readonly<Record<string, number>>, time: number, version: number): void {
  const iso = new Date(time).toISOString();
  for (const c of portfolio.channels) {
    const event: ReallocationEvent = {
      eventId: `eval:${portfolio.id}:${version}:${c.id}`, portfolioId: portfolio.id, channelId: c.id, platform: c.platform,
      currency: portfolio.currency, version, previousVersion: version - 1, dataUntil: iso, budget: plan[c.id] ?? 0, previousBudget: 0, effectiveFrom: iso,
      effectiveUntil: iso, expectedRevenue: 0, marginalRoi: 0, portfolioBudget: portfolio.budget, portfolioExpectedRevenue: 0,
      reason: 'evaluation policy', guardrails: [], solver: 'none', gap: null, decidedAt: iso,
    };
    market.applyReallocation(event);
  }
}

/** The best split within the portfolio's bounds (no max change) for the given curves. */
export function optimalPlan(portfolio: PortfolioConfig, curves: Readonly<Record<string, CurveSpec>>): Record<string, number> {
  const { lo, hi } = channelBounds(portfolio);
  const result = allocateBudget({
    budget: portfolio.budget,
    channels: portfolio.channels.map((c, i) => ({ id: c.id, curve: curves[c.id]!, min: lo[i]!, max: hi[i]! })),
  });
  return { ...result.allocation };
}

/** The true curves of the portfolio's channels at `time` (the response effects of that moment applied). */
export function trueCurves(market: MarketSimulator, portfolio: PortfolioConfig, time: number): Record<string, CurveSpec> {
  const truth = market.truth(portfolio.id);
  return Object.fromEntries(truth.channels.map((c) => [c.id, scaleCurve(c.curve, market.responseFactor(portfolio.id, c.id, time))]));
}

export function heldPolicy(plan: Readonly<Record<string, Readonly<Record<string, number>>>>): Policy {
  return { initialPlan: plan };
}

export function oraclePolicy(ctx: PolicyContext): Policy {
  const bucketMs = ctx.config.ingest.bucketMinutes * 60_000;
  const cache = new Map<string, Record<string, number>>();
  const planAt = (p: PortfolioConfig, time: number) => {
    const curves = trueCurves(ctx.truth, p, time + bucketMs / 2);
    const key = `${p.id}|${Object.values(curves).map((c) => c.beta).join(',')}`;
    let plan = cache.get(key);
    if (plan === undefined) {
      plan = optimalPlan(p, curves);
      cache.set(key, plan);
    }
    return plan;
  };
  let version = 0;
  return {
    initialPlan: Object.fromEntries(ctx.config.portfolios.map((p) => [p.id, planAt(p, ctx.start)])),
    async atPeriodStart(market, time) {
      version++;
      for (const p of ctx.config.portfolios) applyPlan(market, p, planAt(p, time), time, version);
    },
  };
}

/** The pipeline in-process, starting from the historical split (what it would take over from). */
export function spendflowPolicy(ctx: PolicyContext): Policy {
  const bus = new InProcessBus({ retain: 10 });
  const publisher = new InProcessPublisher(bus, ctx.config.kafka.topics);
  const signals = new SignalBus();
  const detections: Record<string, number[]> = Object.fromEntries(ctx.config.portfolios.map((p) => [p.id, []]));
  let clock = ctx.start;
  let target: MarketSimulator | null = null;
  signals.on((s) => {
    if (s.type === 'drift.detected') detections[s.portfolioId]?.push(clock);
  });
  const feedback = {
    publish: async (events: readonly ReallocationEvent[]) => {
      await publisher.publish(events);
      for (const e of events) target?.applyReallocation(e);
    },
    close: async () => {},
  };
  const pipeline = createPipeline({ config: ctx.config, allocations: feedback, deadLetters: publisher, signals, now: () => 0, clock: null });
  return {
    initialPlan: ctx.historical,
    async observe(market, records) {
      target = market;
      for (const r of records) {
        clock = Math.max(clock, Date.parse(r.value.ts));
        await pipeline.handle({ topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) });
      }
    },
    detections: () => detections,
  };
}

/** Weekly batch refit of the same model family on all history, its optimum held for a week. */
export function weeklyRefitPolicy(ctx: PolicyContext): Policy {
  const bucketMs = ctx.config.ingest.bucketMinutes * 60_000;
  const options = { ...onlineModelOptions(ctx.config), halfLifeBuckets: Infinity, drift: { enabled: false, threshold: Infinity } };
  const history = new Map<string, Map<number, { revenue: number; spend: Record<string, number>; attributed: Record<string, number> }>>(
    ctx.config.portfolios.map((p) => [p.id, new Map()]),
  );
  let nextRefit = ctx.start + WEEK_MS;
  let version = 0;
  return {
    initialPlan: ctx.historical,
    async observe(_market, records) {
      for (const r of records) {
        const buckets = history.get(r.value.portfolioId);
        if (!buckets) continue;
        const start = Math.floor(Date.parse(r.value.ts) / bucketMs) * bucketMs;
        const bucket = buckets.get(start) ?? { revenue: 0, spend: {}, attributed: {} };
        if (r.topic === 'spend') {
          bucket.spend[r.value.channelId] = (bucket.spend[r.value.channelId] ?? 0) + r.value.amount;
        } else {
          bucket.revenue += r.value.revenue;
          const channel = (r.value as { channelId?: string }).channelId;
          if (channel !== undefined) bucket.attributed[channel] = (bucket.attributed[channel] ?? 0) + r.value.revenue;
        }
        buckets.set(start, bucket);
      }
    },
    async atPeriodStart(market, time) {
      if (time < nextRefit) return;
      nextRefit += WEEK_MS;
      version++;
      for (const p of ctx.config.portfolios) {
        const buckets: ModelBucket[] = [...(history.get(p.id) ?? new Map()).entries()]
          .filter(([start]) => start + bucketMs <= time)
          .sort(([a], [b]) => a - b)
          .map(([start, b]) => ({ start, revenue: b.revenue, spend: b.spend, attributedRevenue: b.attributed }));
        const model = fitOnlineModel(onlineModelSpec(p), buckets, options, REFIT_STEPS);
        applyPlan(market, p, optimalPlan(p, modelCurves(model)), time, version);
      }
    },
  };
}
