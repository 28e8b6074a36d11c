/**
 * Per-portfolio and per-channel gauges, only for the portfolios an operator allow-listed
 * (`metrics.portfolios`): label sets stay bounded however many portfolios a deployment runs.
 * Each gauge shows the allocation currently in force, as of the last decision.
 */
import { Gauge, type Registry } from 'prom-client';
import type { PortfolioAllocation } from '../pipeline/allocation-state.ts';

export interface PortfolioGauges {
  decided(portfolioId: string, allocation: PortfolioAllocation, budget: number): void;
}

export function registerPortfolioGauges(registry: Registry, allowed: readonly string[]): PortfolioGauges {
  const registers = [registry];
  const watched = new Set(allowed);
  const portfolio = ['portfolio'] as const;
  const channel = ['portfolio', 'channel'] as const;
  const budgetGauge = new Gauge({ name: 'spendflow_portfolio_budget', help: 'The portfolio\'s budget per period (allow-listed portfolios).', labelNames: portfolio, registers });
  const allocated = new Gauge({ name: 'spendflow_portfolio_allocated', help: 'Sum of the channel budgets of the current allocation (allow-listed portfolios).', labelNames: portfolio, registers });
  const expected = new Gauge({
    name: 'spendflow_portfolio_expected_revenue',
    help: 'Objective: expected revenue per period of the current allocation under the model (allow-listed portfolios).',
    labelNames: portfolio,
    registers,
  });
  const gap = new Gauge({ name: 'spendflow_portfolio_gap_ratio', help: 'Certified optimality gap of the current allocation (allow-listed portfolios; absent before the first optimization).', labelNames: portfolio, registers });
  const channelBudget = new Gauge({ name: 'spendflow_channel_budget', help: 'Budget per period of each channel in the current allocation (allow-listed portfolios).', labelNames: channel, registers });
  const marginal = new Gauge({ name: 'spendflow_channel_marginal_roi', help: 'Marginal ROI of each channel at the current allocation (allow-listed portfolios).', labelNames: channel, registers });
  const channelExpected = new Gauge({ name: 'spendflow_channel_expected_revenue', help: 'Expected revenue per period of each channel at the current allocation (allow-listed portfolios).', labelNames: channel, registers });
  const finite = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);
  const shown = new Map<string, Set<string>>();
  return {
    decided(id, allocation, budget) {
      if (!watched.has(id)) return;
      // A channel the portfolio no longer has stops being exported.
      const now = new Set(Object.keys(allocation.budgets));
      for (const ch of shown.get(id) ?? []) {
        if (!now.has(ch)) for (const g of [channelBudget, marginal, channelExpected]) g.remove(id, ch);
      }
      shown.set(id, now);
      budgetGauge.labels(id).set(budget);
      let sum = 0;
      for (const [ch, amount] of Object.entries(allocation.budgets)) {
        sum += amount;
        channelBudget.labels(id, ch).set(amount);
        const m = allocation.marginalRoi[ch];
        if (finite(m)) marginal.labels(id, ch).set(m);
        const e = allocation.expectedRevenue[ch];
        if (finite(e)) channelExpected.labels(id, ch).set(e);
      }
      allocated.labels(id).set(sum);
      if (finite(allocation.portfolioExpectedRevenue)) expected.labels(id).set(allocation.portfolioExpectedRevenue);
      if (allocation.gap !== null && finite(allocation.gap)) gap.labels(id).set(allocation.gap);
    },
  };
}
