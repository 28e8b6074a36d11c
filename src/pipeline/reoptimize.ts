/**
 * What happens when a portfolio's buckets close: record the observations, refit the response
 * model, and decide the next period's allocation (or hold the current one, saying why).
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import type { ClosedBucket } from '../ingest/buckets.ts';
import { curveDerivative, curveValue } from '../model/curves/registry.ts';
import { fitSaturatingResponse, type ResponseModel, type SpendObservation } from '../model/saturating-fit.ts';
import { allocateBudget } from '../optimizer/allocate.ts';
import { channelBounds, roundToCents, type PortfolioAllocation } from './allocation-state.ts';
import { explainReallocation } from './reason.ts';
import type { ReoptimizeOutcome } from './signals.ts';

export interface Decision {
  readonly outcome: ReoptimizeOutcome;
  /** The allocation to publish, when the outcome is `published`; otherwise the one kept. */
  readonly allocation: PortfolioAllocation;
  readonly model: ResponseModel;
}

export interface DecisionInput {
  readonly portfolio: PortfolioConfig;
  readonly current: PortfolioAllocation;
  readonly history: readonly SpendObservation[];
  readonly bucketsSeen: number;
  readonly watermark: number;
  readonly bucketMs: number;
  readonly config: Pick<Config, 'model' | 'optimizer'>;
  /** Number of this reoptimization, mixed into the annealing seed so runs differ but replay alike. */
  readonly round: number;
}

export function observationOf(bucket: ClosedBucket): SpendObservation {
  return { spend: bucket.spend, revenue: bucket.revenue };
}

function expectedFor(model: ResponseModel, budgets: Readonly<Record<string, number>>) {
  const perChannel: Record<string, number> = {};
  const marginal: Record<string, number> = {};
  let total = model.intercept;
  for (const [id, x] of Object.entries(budgets)) {
    const curve = model.curves[id];
    perChannel[id] = curve ? curveValue(curve, x) : 0;
    marginal[id] = curve ? curveDerivative(curve, x) : 0;
    total += perChannel[id];
  }
  return { perChannel, marginal, total };
}

function formatGap(gap: number): string {
  return gap < 1e-6 ? '< 0.0001%' : `${(gap * 100).toFixed(4)}%`;
}

export function decideReallocation(input: DecisionInput): Decision {
  const { portfolio, current, config } = input;
  const ids = portfolio.channels.map((c) => c.id);
  const model = fitSaturatingResponse(ids, input.history.slice(-config.model.windowBuckets), {
    ridge: config.model.ridge,
    priorRoi: config.model.priorRoi,
    fallbackSpend: current.budgets,
  });
  const effectiveFrom = Math.floor(input.watermark / input.bucketMs) * input.bucketMs + input.bucketMs;
  const timing = { effectiveFrom, effectiveUntil: effectiveFrom + input.bucketMs, decidedAt: input.watermark };
  const before = expectedFor(model, current.budgets);

  if (input.bucketsSeen < config.model.minBuckets) {
    const first = current.version === 0;
    const why = `learning phase: holding the initial allocation (${input.bucketsSeen} of ${config.model.minBuckets} buckets seen)`;
    const allocation: PortfolioAllocation = {
      ...current,
      ...(first ? timing : {}),
      status: 'learning',
      expectedRevenue: before.perChannel,
      marginalRoi: before.marginal,
      portfolioExpectedRevenue: before.total,
      reasons: Object.fromEntries(ids.map((id) => [id, why])),
      summary: why,
      solver: 'none',
      gap: null,
    };
    // The first decision publishes the initial allocation, so platforms know where they stand
    // (unless enough buckets close at once to skip the learning phase altogether).
    return { outcome: first ? 'published' : 'learning', allocation, model };
  }
  if (!model.healthy) {
    const why = `holding the last allocation: model unhealthy (${model.problem ?? 'unknown'})`;
    return { outcome: 'held', allocation: { ...current, status: 'held', summary: why }, model };
  }

  const { lo, hi } = channelBounds(portfolio);
  // A band of ±maxChange around a current spend of 0 is [0, 0]: the channel could never be given
  // money again. Such a channel gets no band; instead it may rise by maxChange of an even share.
  const rampCap = portfolio.maxChange * (portfolio.budget / portfolio.channels.length);
  const result = allocateBudget(
    {
      budget: portfolio.budget,
      maxChange: portfolio.maxChange,
      channels: portfolio.channels.map((c, i) => {
        const now = current.budgets[c.id] ?? 0;
        return now > 0
          ? { id: c.id, curve: model.curves[c.id]!, min: lo[i]!, max: hi[i]!, current: now }
          : { id: c.id, curve: model.curves[c.id]!, min: lo[i]!, max: Math.max(lo[i]!, Math.min(hi[i]!, rampCap)) };
      }),
    },
    {
      method: config.optimizer.method,
      iterations: config.optimizer.iterations,
      seed: config.optimizer.seed * 1_000_003 + input.round,
      relaxMaxChange: true,
    },
  );
  const budgets = roundToCents({ ...result.allocation }, portfolio, result.spend);
  const largestMove = Math.max(...ids.map((id) => Math.abs((budgets[id] ?? 0) - (current.budgets[id] ?? 0))));
  const changed = largestMove >= config.optimizer.minMoveShare * portfolio.budget;
  const after = expectedFor(model, budgets);
  // Reasons describe what is published: when nothing moves, every channel is held.
  const reasons = explainReallocation({
    channels: ids,
    previous: current.budgets,
    next: changed ? budgets : current.budgets,
    marginalBefore: before.marginal,
    binding: result.binding,
    relaxations: result.relaxations,
    budget: portfolio.budget,
  });
  const allocation: PortfolioAllocation = {
    version: current.version,
    status: 'optimized',
    budgets: changed ? budgets : current.budgets,
    expectedRevenue: changed ? after.perChannel : before.perChannel,
    marginalRoi: changed ? after.marginal : before.marginal,
    reasons: reasons.perChannel,
    summary: changed ? `${reasons.summary} (certified gap ${formatGap(result.gap)})` : 'no change: marginal returns are already balanced',
    portfolioExpectedRevenue: changed ? after.total : before.total,
    ...(changed ? timing : { effectiveFrom: current.effectiveFrom, effectiveUntil: current.effectiveUntil, decidedAt: input.watermark }),
    solver: result.solver,
    gap: changed ? result.gap : current.gap,
    binding: result.binding,
  };
  return { outcome: changed ? 'published' : 'unchanged', allocation, model };
}
