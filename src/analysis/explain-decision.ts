/**
 * Why the last decision came out as it did, per channel: its budget, its contribution under the
 * model (its exact Shapley value vs zero spend, with a 90% interval; null before the model is
 * fitted), the marginal ROI the decision saw at the previous allocation and the one at the new
 * allocation, and for the portfolio the binding constraints, guardrails, certified gap, solver
 * and reasons. Pure.
 */
import type { PortfolioConfig } from '../config/types.ts';
import { forecastRevenue, isFitted, type Estimate } from '../model/online/response.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import type { GuardrailKind, PortfolioAllocation } from '../pipeline/allocation-state.ts';
import { forecastStart } from './steady-state.ts';

export interface ChannelDecision {
  readonly channelId: string;
  readonly budget: number;
  readonly contribution: Estimate | null;
  readonly expectedRevenue: number | null;
  readonly marginalRoiBefore: number | null;
  readonly marginalRoiAfter: number | null;
  readonly reason: string;
}

export interface DecisionExplanation {
  readonly version: number;
  readonly status: PortfolioAllocation['status'];
  readonly summary: string;
  readonly solver: string;
  readonly gap: number | null;
  readonly binding: readonly string[];
  readonly guardrails: readonly GuardrailKind[];
  readonly effectiveFrom: number | null;
  readonly effectiveUntil: number | null;
  readonly decidedAt: number | null;
  /** Bucket the contributions are for; null without a fitted model. */
  readonly forecastFor: number | null;
  readonly expectedRevenue: Estimate | null;
  readonly channels: readonly ChannelDecision[];
}

const finiteOrNull = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);

export function explainDecision(portfolio: PortfolioConfig, allocation: PortfolioAllocation, model: OnlineModelState | null): DecisionExplanation {
  const fitted = model !== null && isFitted(model) ? model : null;
  const start = fitted === null ? null : forecastStart(fitted, allocation.effectiveFrom);
  const forecast = fitted === null || start === null ? null : forecastRevenue(fitted, allocation.budgets, start);
  return {
    version: allocation.version,
    status: allocation.status,
    summary: allocation.summary,
    solver: allocation.solver,
    gap: allocation.gap,
    binding: [...allocation.binding],
    guardrails: [...allocation.guardrails],
    effectiveFrom: allocation.effectiveFrom,
    effectiveUntil: allocation.effectiveUntil,
    decidedAt: allocation.decidedAt,
    forecastFor: start,
    expectedRevenue: forecast?.total ?? null,
    channels: portfolio.channels.map((c) => ({
      channelId: c.id,
      budget: allocation.budgets[c.id] ?? 0,
      contribution: forecast?.channels[c.id] ?? null,
      expectedRevenue: finiteOrNull(allocation.expectedRevenue[c.id]),
      marginalRoiBefore: finiteOrNull(allocation.marginalRoiBefore[c.id]),
      marginalRoiAfter: finiteOrNull(allocation.marginalRoi[c.id]),
      reason: allocation.reasons[c.id] ?? allocation.summary,
    })),
  };
}
