/**
 * What the analysis questions (what-if, frontier, explain) share: which bucket a forecast is for,
 * the fitted model they need, and the steady-state allocation problem of a portfolio — its
 * bounds, locks, groups, objective and ROAS floor, but no max-change band: where the money would
 * go if it could move freely. Pure: numbers and model states in, numbers out.
 */
import type { PortfolioConfig } from '../config/types.ts';
import { SpendflowError } from '../errors.ts';
import type { CurveSpec } from '../model/curves/types.ts';
import { isFitted } from '../model/online/response.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import type { AllocationProblem, SolveOptions } from '../optimizer/problem.ts';

/** What every analysis of one portfolio starts from. */
export interface AnalysisInput {
  readonly portfolio: PortfolioConfig;
  /** A fitted model (see `requireFittedModel`). */
  readonly model: OnlineModelState;
  /** The current allocation's budgets per channel id. */
  readonly current: Readonly<Record<string, number>>;
  /** Start of the bucket the forecasts are for (epoch ms; see `forecastStart`). */
  readonly start: number;
  /** Solver options (the service's `optimizer.method`, `iterations`, `seed`). */
  readonly solve?: Pick<SolveOptions, 'method' | 'iterations' | 'seed'>;
}

/**
 * The bucket the figures are for: the next one after the model's last, or the current
 * allocation's effective period when that is later (an allocation kept through unchanged or held
 * rounds has an older `effectiveFrom`, so the later of the two).
 */
export function forecastStart(model: OnlineModelState, effectiveFrom: number | null): number {
  const next = (model.lastBucket ?? 0) + model.bucketMs;
  return Math.max(effectiveFrom ?? next, next);
}

/** The model when it has been fitted at least once; MODEL_NOT_READY (retriable: it will be) otherwise. */
export function requireFittedModel(model: OnlineModelState | null, portfolioId: string, bucketsSeen: number): OnlineModelState {
  if (model === null || !isFitted(model)) {
    throw new SpendflowError('MODEL_NOT_READY', `the model of portfolio "${portfolioId}" has not been fitted yet (${bucketsSeen} bucket(s) seen): it needs at least one closed bucket`, {
      retriable: true,
    });
  }
  return model;
}

/**
 * The portfolio's allocation problem at `budget` on `curves`, without the max-change band. A
 * locked channel stays at its current budget (the reoptimizer locks only channels that have one).
 */
export function steadyStateProblem(
  portfolio: PortfolioConfig,
  curves: Readonly<Record<string, CurveSpec>>,
  current: Readonly<Record<string, number>>,
  budget: number,
): AllocationProblem {
  const objective = portfolio.objective ?? { type: 'revenue' as const };
  const groups = (portfolio.groups ?? []).map((g) => ({ id: g.id, ...(g.min === null ? {} : { min: g.min }), ...(g.max === null ? {} : { max: g.max }) }));
  return {
    budget,
    objective: objective.type,
    ...(objective.type === 'profit' ? { margin: objective.margin } : {}),
    ...(portfolio.minRoas != null ? { minRoas: portfolio.minRoas } : {}),
    ...(groups.length > 0 ? { groups } : {}),
    channels: portfolio.channels.map((c) => {
      const curve = curves[c.id];
      if (curve === undefined) throw new SpendflowError('MODEL_NOT_READY', `the model has no curve for channel "${c.id}" (the channel list changed; it re-learns)`, { retriable: true });
      const now = current[c.id] ?? 0;
      return {
        id: c.id,
        curve,
        min: c.min,
        max: c.max ?? Infinity,
        ...(c.locked === true && now > 0 ? { current: now, locked: true } : {}),
        ...(c.group !== undefined ? { group: c.group } : {}),
      };
    }),
  };
}

/** Channel bounds an allocation breaks, named like the optimizer's binding constraints: `min:<id>`, `max:<id>`. */
export function boundViolations(portfolio: PortfolioConfig, allocation: Readonly<Record<string, number>>): string[] {
  const out: string[] = [];
  for (const c of portfolio.channels) {
    const x = allocation[c.id] ?? 0;
    if (x < c.min - 1e-9) out.push(`min:${c.id}`);
    if (c.max !== null && x > c.max + 1e-9) out.push(`max:${c.id}`);
  }
  return out;
}
