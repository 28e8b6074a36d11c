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
import { isSpendflowError } from '../errors.ts';
import { projectOntoBudget } from '../optimizer/bounds.ts';
import { channelBounds, roundToCents, type GuardrailKind, type PortfolioAllocation } from './allocation-state.ts';
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
  /** The kill switch: why the portfolio is paused (it then publishes nothing), or null. */
  readonly paused?: string | null;
}

/** The guardrails an optimizer result ran into: its binding constraints and relaxations. */
export function guardrailsOf(binding: readonly string[], relaxations: readonly string[]): GuardrailKind[] {
  const out = new Set<GuardrailKind>();
  for (const b of binding) {
    const kind = b.includes(':') ? b.slice(0, b.indexOf(':')) : b;
    if (kind === 'maxChange') out.add('max_change');
    else if (kind === 'min' || kind === 'max' || kind === 'locked' || kind === 'groupMin' || kind === 'groupMax') out.add('bounds');
    else if (kind === 'minRoas') out.add('min_roas');
  }
  if (relaxations.length > 0) out.add('max_change');
  return [...out];
}

const GUARDRAIL_WORDS: Record<GuardrailKind, string> = {
  learning: 'learning phase',
  unhealthy: 'model unhealthy',
  hold_after_change: 'hold after a detected change',
  paused: 'paused',
  max_change: 'max change per step',
  budget_cap: 'budget cap',
  bounds: 'channel or group bounds',
  min_roas: 'minimum ROAS',
};

/** "guardrails: max change per step, budget cap", or '' when none intervened. */
export function guardrailNote(kinds: readonly GuardrailKind[]): string {
  return kinds.length > 0 ? `guardrails: ${kinds.map((k) => GUARDRAIL_WORDS[k]).join(', ')}` : '';
}

/**
 * The current budgets brought within the period's budget when they exceed it (the budget was cut
 * since they were set): scaled onto the budget within each channel's bounds, to the cent.
 */
function capToBudget(budgets: Readonly<Record<string, number>>, portfolio: PortfolioConfig): Record<string, number> | null {
  const total = portfolio.channels.reduce((s, c) => s + (budgets[c.id] ?? 0), 0);
  if (total <= portfolio.budget + 0.005) return null;
  const { lo, hi } = channelBounds(portfolio);
  const x = projectOntoBudget(portfolio.channels.map((c) => budgets[c.id] ?? 0), lo, hi, portfolio.budget);
  return roundToCents(Object.fromEntries(portfolio.channels.map((c, i) => [c.id, x[i]!])), portfolio, portfolio.budget);
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
  const { portfolio, config, model } = input;
  const ids = portfolio.channels.map((c) => c.id);
  const effectiveFrom = Math.floor(input.watermark / input.bucketMs) * input.bucketMs + input.bucketMs;
  const timing = { effectiveFrom, effectiveUntil: effectiveFrom + input.bucketMs, decidedAt: input.watermark };
  const meanCurves = model !== null && isFitted(model) ? modelCurves(model) : null;
  // Never above the period's budget: budgets set before a budget cut are brought under it first,
  // and that is published even when the decision would otherwise hold.
  const capped = capToBudget(input.current.budgets, portfolio);
  const current: PortfolioAllocation = capped ? { ...input.current, budgets: capped } : input.current;
  const capGuard: GuardrailKind[] = capped ? ['budget_cap'] : [];
  const capNote = capped ? `; budget cap: the allocation was scaled down to the period's budget of ${portfolio.budget.toFixed(2)}` : '';
  const before = expectedFor(model, meanCurves, current.budgets, effectiveFrom);
  const notes = input.notes ?? [];
  const noteTail = notes.length > 0 ? `; ${notes.join('; ')}` : '';
  const keep = (status: PortfolioAllocation['status'], why: string, guardrails: GuardrailKind[], outcome: ReoptimizeOutcome): Decision => {
    const publish = capped !== null && outcome !== 'paused';
    const summary = `${why}${capNote}`;
    return {
      outcome: publish ? 'published' : outcome,
      allocation: {
        ...current,
        ...(publish || current.status === 'initial' || current.version === 0 ? timing : {}),
        status,
        expectedRevenue: before.perChannel,
        marginalRoi: before.marginal,
        marginalRoiBefore: before.marginal,
        portfolioExpectedRevenue: before.total,
        reasons: Object.fromEntries(ids.map((id) => [id, summary])),
        summary,
        guardrails: [...guardrails, ...capGuard],
        ...(publish ? { solver: 'none', gap: null } : {}),
      },
      explored: false,
    };
  };

  if (input.paused != null) {
    // Nothing goes out while paused, so the allocation kept is the one platforms hold: a budget
    // cut meanwhile is applied (and published) at the first decision after the resume.
    const why = `paused (${input.paused}): holding the last allocation; the model keeps learning`;
    return {
      outcome: 'paused',
      allocation: { ...input.current, status: input.current.status === 'initial' ? 'initial' : 'paused', summary: why, reasons: Object.fromEntries(ids.map((id) => [id, why])), guardrails: ['paused'] },
      explored: false,
    };
  }
  if (input.bucketsSeen < config.model.minBuckets) {
    const first = current.status === 'initial' || current.version === 0;
    const why = `learning phase: holding the initial allocation (${input.bucketsSeen} of ${config.model.minBuckets} buckets seen)`;
    // The first decision publishes the initial allocation, so platforms know where they stand
    // (unless enough buckets close at once to skip the learning phase altogether).
    const decision = keep('learning', why, ['learning'], first ? 'published' : 'learning');
    return { ...decision, allocation: { ...decision.allocation, solver: 'none', gap: null } };
  }
  const problem = unhealthy(input, meanCurves, before);
  if (problem !== null || meanCurves === null || model === null) {
    return keep('held', `holding the last allocation: model unhealthy (${problem ?? 'no model'})`, ['unhealthy'], 'held');
  }
  if ((input.hold ?? null) !== null) {
    return keep('held', `holding the last allocation: ${input.hold}${noteTail}`, ['hold_after_change'], 'held');
  }

  const explored = input.explore !== null;
  const curves = input.explore !== null ? sampleCurves(model, input.explore) : meanCurves;
  const { lo, hi } = channelBounds(portfolio);
  // A band of ±maxChange around a current spend of 0 is [0, 0]: the channel could never be given
  // money again. Such a channel gets no band; instead it may rise by maxChange of an even share.
  const rampCap = portfolio.maxChange * (portfolio.budget / portfolio.channels.length);
  const objective = portfolio.objective ?? { type: 'revenue' as const };
  let result: ReturnType<typeof allocateBudget>;
  try {
    result = allocateBudget(
    {
      budget: portfolio.budget,
      maxChange: portfolio.maxChange,
      objective: objective.type,
      ...(objective.type === 'profit' ? { margin: objective.margin } : {}),
      ...(portfolio.minRoas != null ? { minRoas: portfolio.minRoas } : {}),
      ...(portfolio.groups && portfolio.groups.length > 0
        ? { groups: portfolio.groups.map((g) => ({ id: g.id, ...(g.min !== null ? { min: g.min } : {}), ...(g.max !== null ? { max: g.max } : {}) })) }
        : {}),
      channels: portfolio.channels.map((c, i) => {
        const now = current.budgets[c.id] ?? 0;
        const curve = curves[c.id]!;
        const extra = { ...(c.locked ? { locked: true } : {}), ...(c.group !== undefined ? { group: c.group } : {}) };
        return now > 0 || c.locked
          ? { id: c.id, curve, min: lo[i]!, max: hi[i]!, current: now, ...extra }
          : { id: c.id, curve, min: lo[i]!, max: Math.max(lo[i]!, Math.min(hi[i]!, rampCap)), ...extra };
      }),
    },
    {
      method: config.optimizer.method,
      iterations: config.optimizer.iterations,
      seed: config.optimizer.seed * 1_000_003 + input.round,
      relaxMaxChange: true,
    },
    );
  } catch (err) {
    // No allocation meets the constraints under this model (typically a ROAS floor it cannot
    // reach inside the max-change band): hold rather than act, and say which.
    if (!(isSpendflowError(err) && err.code === 'PROBLEM_INFEASIBLE')) throw err;
    const kinds: GuardrailKind[] = portfolio.minRoas != null ? ['min_roas'] : ['bounds'];
    return keep('held', `holding the last allocation: no allocation meets the constraints under the model (${err.message})`, kinds, 'held');
  }
  // The cents rounding leaves over go where they keep every channel inside its max-change band.
  const band = Object.fromEntries(ids.map((id) => {
    const now = current.budgets[id] ?? 0;
    return [id, now > 0 ? { lo: now * (1 - portfolio.maxChange), hi: now * (1 + portfolio.maxChange) } : { lo: 0, hi: rampCap }];
  }));
  const budgets = roundToCents({ ...result.allocation }, portfolio, result.spend, band);
  const largestMove = Math.max(...ids.map((id) => Math.abs((budgets[id] ?? 0) - (current.budgets[id] ?? 0))));
  const changed = largestMove >= config.optimizer.minMoveShare * portfolio.budget || capped !== null;
  const after = expectedFor(model, meanCurves, budgets, effectiveFrom);
  // The reasons cite the marginal returns the decision was made on: the draw's when exploring.
  const decisionMarginal = Object.fromEntries(ids.map((id) => [id, curveDerivative(curves[id]!, current.budgets[id] ?? 0)]));
  const exploring = explored ? ['exploring: optimised against one posterior draw of the curves (Thompson sampling)'] : [];
  const guardrails = [...guardrailsOf(result.binding, result.relaxations), ...capGuard];
  const guardTail = guardrails.length > 0 ? `; ${guardrailNote(guardrails)}` : '';
  const reasons = explainReallocation({
    channels: ids,
    previous: input.current.budgets,
    next: changed ? budgets : current.budgets,
    marginalBefore: decisionMarginal,
    binding: result.binding,
    relaxations: [...result.relaxations, ...exploring],
    budget: portfolio.budget,
  });
  const perChannel = Object.fromEntries(ids.map((id) => [id, `${reasons.perChannel[id] ?? ''}${noteTail}${guardTail}`]));
  const allocation: PortfolioAllocation = {
    version: current.version,
    status: 'optimized',
    budgets: changed ? budgets : current.budgets,
    expectedRevenue: changed ? after.perChannel : before.perChannel,
    marginalRoi: changed ? after.marginal : before.marginal,
    marginalRoiBefore: before.marginal,
    reasons: perChannel,
    summary: (changed ? `${reasons.summary} (certified gap ${formatGap(result.gap)})` : reasons.summary) + noteTail + guardTail,
    portfolioExpectedRevenue: changed ? after.total : before.total,
    ...(changed ? timing : { effectiveFrom: current.effectiveFrom, effectiveUntil: current.effectiveUntil, decidedAt: input.watermark }),
    solver: result.solver,
    gap: changed ? result.gap : current.gap,
    binding: result.binding,
    guardrails,
  };
  return { outcome: changed ? 'published' : 'unchanged', allocation, explored };
}
