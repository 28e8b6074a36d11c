/**
 * What-if questions on a portfolio's fitted model: "what would this allocation earn?" and "where
 * would this budget go, and what would it earn?". The answer is the next bucket's expected
 * revenue, per channel and in total, with 90% intervals from the model's parameter uncertainty
 * (forecastRevenue), and the difference to the current allocation. A budget is optimised on the
 * model's mean curves under the portfolio's bounds, without the max-change band: where the money
 * would settle, not the next step. Pure.
 */
import { SpendflowError, type FieldProblem } from '../errors.ts';
import { forecastRevenue, modelCurves, type Estimate } from '../model/online/response.ts';
import { allocateBudget } from '../optimizer/allocate.ts';
import { boundViolations, steadyStateProblem, type AnalysisInput } from './steady-state.ts';

export type WhatIfQuestion =
  | { readonly kind: 'budgets'; readonly budgets: Readonly<Record<string, number>> }
  | { readonly kind: 'budget'; readonly budget: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function amountProblem(field: string, v: unknown): FieldProblem | null {
  if (typeof v !== 'number') return { field, message: `must be a number (got ${v === null ? 'null' : typeof v})` };
  if (!Number.isFinite(v)) return { field, message: 'must be a finite number' };
  if (v < 0) return { field, message: `must be >= 0 (got ${v})` };
  return null;
}

/**
 * Reads a what-if body: exactly one of `budgets` (an allocation: channel id → amount; channels
 * left out keep their current budget) or `budget` (a total to allocate). Strict: amounts must be
 * JSON numbers, finite and ≥ 0 (no coercion of null, booleans or strings). INPUT_INVALID names
 * every bad field (`budget`, `budgets.search`).
 */
export function parseWhatIf(body: unknown, channels: readonly string[]): WhatIfQuestion {
  const problems: FieldProblem[] = [];
  const fail = () => new SpendflowError('INPUT_INVALID', `invalid what-if question: ${problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems });
  if (!isObject(body)) {
    problems.push({ field: '(root)', message: 'must be an object with "budgets" or "budget"' });
    throw fail();
  }
  for (const key of Object.keys(body)) {
    if (key !== 'budgets' && key !== 'budget') problems.push({ field: key, message: 'is not a what-if field (budgets or budget)' });
  }
  const has = (k: string) => Object.hasOwn(body, k);
  if (has('budgets') === has('budget')) {
    problems.push({ field: '(root)', message: 'give exactly one of "budgets" (channel id → amount) or "budget"' });
    throw fail();
  }
  if (has('budget')) {
    const p = amountProblem('budget', body['budget']);
    if (p) problems.push(p);
    if (problems.length > 0) throw fail();
    return { kind: 'budget', budget: body['budget'] as number };
  }
  const raw = body['budgets'];
  if (!isObject(raw)) {
    problems.push({ field: 'budgets', message: 'must be an object of channel id → amount' });
    throw fail();
  }
  const known = new Set(channels);
  const allocation: Record<string, number> = {};
  for (const [id, v] of Object.entries(raw)) {
    const field = `budgets.${id}`;
    if (!known.has(id)) {
      problems.push({ field, message: `is not a channel of this portfolio (channels: ${channels.join(', ')})` });
      continue;
    }
    const p = amountProblem(field, v);
    if (p) problems.push(p);
    else allocation[id] = v as number;
  }
  if (problems.length > 0) throw fail();
  return { kind: 'budgets', budgets: allocation };
}

export interface WhatIfChannel {
  readonly channelId: string;
  readonly budget: number;
  readonly currentBudget: number;
  readonly expectedRevenue: Estimate;
  readonly currentExpectedRevenue: number;
  /** Expected revenue minus the current allocation's (means). */
  readonly revenueChange: number;
}

export interface WhatIfAnswer {
  readonly kind: WhatIfQuestion['kind'];
  /** Bucket start the forecast is for. */
  readonly start: number;
  /** Total of the allocation asked about (or found). */
  readonly spend: number;
  readonly allocation: Readonly<Record<string, number>>;
  /** Revenue of the bucket, baseline included, with its 90% interval. */
  readonly expectedRevenue: Estimate;
  readonly baseline: Estimate;
  readonly channels: readonly WhatIfChannel[];
  readonly current: { readonly spend: number; readonly expectedRevenue: Estimate };
  /** Differences of the means to the current allocation. */
  readonly difference: { readonly spend: number; readonly expectedRevenue: number };
  /** Channel bounds the allocation breaks (`min:<id>`, `max:<id>`); empty for an optimised one. */
  readonly outsideBounds: readonly string[];
  /** For a budget: how it was optimised. */
  readonly optimization: {
    readonly solver: string;
    readonly gap: number;
    /** Revenue per extra unit of budget at the optimum; null when nothing can move. */
    readonly marginalRoi: number | null;
    readonly binding: readonly string[];
  } | null;
}

const total = (a: Readonly<Record<string, number>>) => Object.values(a).reduce((s, v) => s + v, 0);

export function answerWhatIf(input: AnalysisInput, question: WhatIfQuestion): WhatIfAnswer {
  const { portfolio, model, start } = input;
  const ids = portfolio.channels.map((c) => c.id);
  const current = Object.fromEntries(ids.map((id) => [id, input.current[id] ?? 0]));
  let allocation: Record<string, number>;
  let optimization: WhatIfAnswer['optimization'] = null;
  if (question.kind === 'budgets') {
    allocation = Object.fromEntries(ids.map((id) => [id, Object.hasOwn(question.budgets, id) ? question.budgets[id]! : current[id]!]));
  } else {
    const result = allocateBudget(steadyStateProblem(portfolio, modelCurves(model), current, question.budget), input.solve ?? {});
    allocation = Object.fromEntries(ids.map((id) => [id, result.allocation[id] ?? 0]));
    optimization = { solver: result.solver, gap: result.gap, marginalRoi: result.budgetPrice, binding: result.binding };
  }
  const asked = forecastRevenue(model, allocation, start);
  const now = forecastRevenue(model, current, start);
  const none: Estimate = { mean: 0, sd: 0, low: 0, high: 0 };
  return {
    kind: question.kind,
    start,
    spend: total(allocation),
    allocation,
    expectedRevenue: asked.total,
    baseline: asked.baseline,
    channels: ids.map((id) => {
      const e = asked.channels[id] ?? none;
      const before = now.channels[id]?.mean ?? 0;
      return { channelId: id, budget: allocation[id]!, currentBudget: current[id]!, expectedRevenue: e, currentExpectedRevenue: before, revenueChange: e.mean - before };
    }),
    current: { spend: total(current), expectedRevenue: now.total },
    difference: { spend: total(allocation) - total(current), expectedRevenue: asked.total.mean - now.total.mean },
    outsideBounds: boundViolations(portfolio, allocation),
    optimization,
  };
}
