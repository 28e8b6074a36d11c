/**
 * What happens after a portfolio's model has absorbed its closed buckets: decide the next
 * period's allocation with the certified optimizer against the model's curves (or one posterior
 * draw of them, when exploring), or hold the current one and say why.
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import { curveDerivative } from '../model/curves/registry.ts';
import type { CurveSpec } from '../model/curves/types.ts';
import { forecastRevenue, isFitted, modelCurves, sampleCurves } from '../model/online/response.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import { allocateBudget } from '../optimizer/allocate.ts';
import type { Random } from '../random.ts';
import { channelBounds, roundToCents, type PortfolioAllocation } from './allocation-state.ts';
import { explainReallocation } from './reason.ts';
import type { ReoptimizeOutcome } from './signals.ts';

export interface Decision {
  readonly outcome: ReoptimizeOutcome;
  /** The allocation to publish, when the outcome is `published`; otherwise the one kept. */
  readonly allocation: PortfolioAllocation;
  /** Whether the allocation was optimised against a posterior draw (Thompson sampling). */
  readonly explored: boolean;
}

export interface DecisionInput {
  readonly portfolio: PortfolioConfig;
  readonly current: PortfolioAllocation;
  /** The portfolio's model after this round's buckets; null before the first bucket. */
  readonly model: OnlineModelState | null;
  /** Why the last model update failed, when it did (the model is then not trusted). */
  readonly modelProblem: string | null;
  readonly bucketsSeen: number;
  readonly watermark: number;
  readonly bucketMs: number;
  readonly config: Pick<Config, 'model' | 'optimizer'>;
  /** Number of this reoptimization, mixed into the annealing seed so runs differ but replay alike. */
  readonly round: number;
  /** The draw's random source when exploring (Thompson sampling); null optimises the mean. */
  readonly explore: Random | null;
  /** Plain-words notes on what the model noticed this round (drift), added to the reasons. */
  readonly notes?: readonly string[];
  /** Why to hold the current allocation this round although the model is healthy (null: don't). */
  readonly hold?: string | null;
}

interface Expected {
  readonly perChannel: Record<string, number>;
  readonly marginal: Record<string, number>;
  readonly total: number;
}

function expectedFor(model: OnlineModelState | null, curves: Readonly<Record<string, CurveSpec>> | null, budgets: Readonly<Record<string, number>>, start: number): Expected {
  const perChannel: Record<string, number> = {};
  const marginal: Record<string, number> = {};
  if (model === null || curves === null) {
    for (const id of Object.keys(budgets)) {
      perChannel[id] = Number.NaN;
      marginal[id] = Number.NaN;
    }
    return { perChannel, marginal, total: Number.NaN };
  }
  const forecast = forecastRevenue(model, budgets, start, false);
  for (const [id, x] of Object.entries(budgets)) {
    perChannel[id] = forecast.channels[id]?.mean ?? Number.NaN;
    const curve = curves[id];
    marginal[id] = curve ? curveDerivative(curve, x) : Number.NaN;
  }
  return { perChannel, marginal, total: forecast.total.mean };
}

function formatGap(gap: number): string {
  return gap < 1e-6 ? '< 0.0001%' : `${(gap * 100).toFixed(4)}%`;
}

/** Why the model cannot be used to move money, or null when it can. */
function unhealthy(input: DecisionInput, curves: Readonly<Record<string, CurveSpec>> | null, expected: Expected): string | null {
  if (input.modelProblem !== null) return input.modelProblem;
  if (input.model === null || curves === null) return 'no model yet';
  const bad = Object.entries(curves).find(([, c]) => !Object.values(c).every((v) => typeof v === 'string' || Number.isFinite(v)));
  if (bad) return `the curve of ${bad[0]} is not finite`;
  if (!Number.isFinite(expected.total)) return 'its revenue forecast is not finite';
  if (expected.total < 0) return `its revenue forecast is negative (${expected.total.toFixed(2)})`;
  return null;
}

export function decideReallocation(input: DecisionInput): Decision {
  const { portfolio, current, config, model } = input;
  const ids = portfolio.channels.map((c) => c.id);
  const effectiveFrom = Math.floor(input.watermark / input.bucketMs) * input.bucketMs + input.bucketMs;
  const timing = { effectiveFrom, effectiveUntil: effectiveFrom + input.bucketMs, decidedAt: input.watermark };
  const meanCurves = model !== null && isFitted(model) ? modelCurves(model) : null;
  const before = expectedFor(model, meanCurves, current.budgets, effectiveFrom);
  const notes = input.notes ?? [];
  const noteTail = notes.length > 0 ? `; ${notes.join('; ')}` : '';

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
    return { outcome: first ? 'published' : 'learning', allocation, explored: false };
  }
  const problem = unhealthy(input, meanCurves, before);
  if (problem !== null || meanCurves === null || model === null || (input.hold ?? null) !== null) {
    const why = problem !== null || meanCurves === null || model === null
      ? `holding the last allocation: model unhealthy (${problem ?? 'no model'})`
      : `holding the last allocation: ${input.hold}${noteTail}`;
    return { outcome: 'held', allocation: { ...current, status: 'held', summary: why, reasons: Object.fromEntries(ids.map((id) => [id, why])) }, explored: false };
  }

  const explored = input.explore !== null;
  const curves = input.explore !== null ? sampleCurves(model, input.explore) : meanCurves;
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
        const curve = curves[c.id]!;
        return now > 0
          ? { id: c.id, curve, min: lo[i]!, max: hi[i]!, current: now }
          : { id: c.id, curve, min: lo[i]!, max: Math.max(lo[i]!, Math.min(hi[i]!, rampCap)) };
      }),
    },
    {
      method: config.optimizer.method,
      iterations: config.optimizer.iterations,
      seed: config.optimizer.seed * 1_000_003 + input.round,
      relaxMaxChange: true,
    },
  );
  // The cents rounding leaves over go where they keep every channel inside its max-change band.
  const band = Object.fromEntries(ids.map((id) => {
    const now = current.budgets[id] ?? 0;
    return [id, now > 0 ? { lo: now * (1 - portfolio.maxChange), hi: now * (1 + portfolio.maxChange) } : { lo: 0, hi: rampCap }];
  }));
  const budgets = roundToCents({ ...result.allocation }, portfolio, result.spend, band);
  const largestMove = Math.max(...ids.map((id) => Math.abs((budgets[id] ?? 0) - (current.budgets[id] ?? 0))));
  const changed = largestMove >= config.optimizer.minMoveShare * portfolio.budget;
  const after = expectedFor(model, meanCurves, budgets, effectiveFrom);
  // The reasons cite the marginal returns the decision was made on: the draw's when exploring.
  const decisionMarginal = Object.fromEntries(ids.map((id) => [id, curveDerivative(curves[id]!, current.budgets[id] ?? 0)]));
  const exploring = explored ? ['exploring: optimised against one posterior draw of the curves (Thompson sampling)'] : [];
  const reasons = explainReallocation({
    channels: ids,
    previous: current.budgets,
    next: changed ? budgets : current.budgets,
    marginalBefore: decisionMarginal,
    binding: result.binding,
    relaxations: [...result.relaxations, ...exploring],
    budget: portfolio.budget,
  });
  const perChannel = Object.fromEntries(ids.map((id) => [id, `${reasons.perChannel[id] ?? ''}${noteTail}`]));
  const allocation: PortfolioAllocation = {
    version: current.version,
    status: 'optimized',
    budgets: changed ? budgets : current.budgets,
    expectedRevenue: changed ? after.perChannel : before.perChannel,
    marginalRoi: changed ? after.marginal : before.marginal,
    reasons: perChannel,
    summary: (changed ? `${reasons.summary} (certified gap ${formatGap(result.gap)})` : reasons.summary) + noteTail,
    portfolioExpectedRevenue: changed ? after.total : before.total,
    ...(changed ? timing : { effectiveFrom: current.effectiveFrom, effectiveUntil: current.effectiveUntil, decidedAt: input.watermark }),
    solver: result.solver,
    gap: changed ? result.gap : current.gap,
    binding: result.binding,
  };
  return { outcome: changed ? 'published' : 'unchanged', allocation, explored };
}
