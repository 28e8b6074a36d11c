/**
 * The efficient frontier of a portfolio: for each budget in a range, the best steady-state
 * allocation on the model's mean curves, its expected revenue with a 90% interval and the
 * marginal ROI there (the frontier's slope: what one more unit of budget would earn). Pure.
 *
 * `solveFrontier` is the part that only needs an allocation problem (the same loop as
 * `spendflow frontier` in src/cli/optimize.ts, which could call it).
 */
import { SpendflowError, isSpendflowError, type FieldProblem } from '../errors.ts';
import { forecastRevenue, modelCurves, type Estimate } from '../model/online/response.ts';
import { allocateBudget } from '../optimizer/allocate.ts';
import type { AllocationProblem, AllocationResult, SolveOptions } from '../optimizer/problem.ts';
import { steadyStateProblem, type AnalysisInput } from './steady-state.ts';

export const MAX_FRONTIER_POINTS = 101;
export const DEFAULT_FRONTIER_POINTS = 11;
/** Default range, as multiples of the portfolio's budget. */
export const DEFAULT_FRONTIER_FROM = 0.5;
export const DEFAULT_FRONTIER_TO = 1.5;

export interface FrontierRange {
  readonly from: number;
  readonly to: number;
  readonly points: number;
}

/**
 * The budgets to evaluate: `from`..`to` (money; defaults 0.5× and 1.5× the budget) in `points`
 * evenly spaced steps (default 11, 2..101). INPUT_INVALID names every bad parameter.
 */
export function frontierRange(query: { readonly from?: number; readonly to?: number; readonly points?: number }, budget: number): FrontierRange {
  const from = query.from ?? DEFAULT_FRONTIER_FROM * budget;
  const to = query.to ?? DEFAULT_FRONTIER_TO * budget;
  const points = query.points ?? DEFAULT_FRONTIER_POINTS;
  const problems: FieldProblem[] = [];
  if (!(Number.isFinite(from) && from >= 0)) problems.push({ field: 'from', message: `must be a finite number >= 0 (got ${from})` });
  if (!(Number.isFinite(to) && to > 0)) problems.push({ field: 'to', message: `must be a finite number > 0 (got ${to})` });
  else if (Number.isFinite(from) && to <= from) problems.push({ field: 'to', message: `must be greater than from (${from}); got ${to}` });
  if (!(Number.isInteger(points) && points >= 2 && points <= MAX_FRONTIER_POINTS)) {
    problems.push({ field: 'points', message: `must be an integer from 2 to ${MAX_FRONTIER_POINTS} (got ${points})` });
  }
  if (problems.length > 0) throw new SpendflowError('INPUT_INVALID', 'invalid frontier range', { problems });
  return { from, to, points };
}

export function frontierBudgets(range: FrontierRange): number[] {
  return Array.from({ length: range.points }, (_, k) => range.from + ((range.to - range.from) * k) / (range.points - 1));
}

export type SolvedPoint =
  | { readonly budget: number; readonly result: AllocationResult }
  | { readonly budget: number; readonly infeasible: string };

/** The best allocation of `problem` at each budget; budgets where none is feasible say why. */
export function solveFrontier(problem: AllocationProblem, budgets: readonly number[], options: SolveOptions = {}): SolvedPoint[] {
  return budgets.map((budget) => {
    try {
      return { budget, result: allocateBudget({ ...problem, budget }, options) };
    } catch (err) {
      if (!isSpendflowError(err) || err.code !== 'PROBLEM_INFEASIBLE') throw err;
      return { budget, infeasible: err.message };
    }
  });
}

export type FrontierPoint =
  | {
    readonly budget: number;
    readonly feasible: true;
    readonly spend: number;
    /** Revenue of the bucket, baseline included, with its 90% interval. */
    readonly expectedRevenue: Estimate;
    /** Σ channel contributions on the mean curves (what the optimizer maximised). */
    readonly mediaRevenue: number;
    /** Revenue per extra unit of budget at the optimum; null when nothing can move. */
    readonly marginalRoi: number | null;
    readonly gap: number;
    readonly solver: string;
    readonly binding: readonly string[];
    readonly allocation: Readonly<Record<string, number>>;
  }
  | { readonly budget: number; readonly feasible: false; readonly infeasible: string };

export function modelFrontier(input: AnalysisInput, range: FrontierRange): FrontierPoint[] {
  const problem = steadyStateProblem(input.portfolio, modelCurves(input.model), input.current, input.portfolio.budget);
  return solveFrontier(problem, frontierBudgets(range), input.solve ?? {}).map((p): FrontierPoint => {
    if ('infeasible' in p) return { budget: p.budget, feasible: false, infeasible: p.infeasible };
    const r = p.result;
    const forecast = forecastRevenue(input.model, r.allocation, input.start);
    return {
      budget: p.budget,
      feasible: true,
      spend: r.spend,
      expectedRevenue: forecast.total,
      mediaRevenue: r.response,
      marginalRoi: r.budgetPrice,
      gap: r.gap,
      solver: r.solver,
      binding: r.binding,
      allocation: r.allocation,
    };
  });
}
