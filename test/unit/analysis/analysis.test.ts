import { describe, expect, it } from 'vitest';
import { explainDecision } from '../../../src/analysis/explain-decision.ts';
import { frontierBudgets, frontierRange, solveFrontier } from '../../../src/analysis/frontier.ts';
import { boundViolations, requireFittedModel, steadyStateProblem } from '../../../src/analysis/steady-state.ts';
import { parseWhatIf } from '../../../src/analysis/what-if.ts';
import type { PortfolioConfig } from '../../../src/config/types.ts';
import { SpendflowError } from '../../../src/errors.ts';
import type { HillCurve } from '../../../src/model/curves/types.ts';
import { initialBudgets, type PortfolioAllocation } from '../../../src/pipeline/allocation-state.ts';

const portfolio: PortfolioConfig = {
  id: 'p',
  currency: 'EUR',
  budget: 1000,
  maxChange: 0.2,
  channels: [
    { id: 'search', platform: 'google-ads', min: 100, max: 700, initialShare: null },
    { id: 'social', platform: 'meta', min: 0, max: null, initialShare: null, locked: true, group: 'paid' },
    { id: 'display', platform: 'criteo', min: 50, max: 400, initialShare: null, group: 'paid' },
  ],
  objective: { type: 'profit', margin: 3 },
  minRoas: 1.5,
  groups: [{ id: 'paid', min: null, max: 600 }],
};

const hill = (beta: number, k: number): HillCurve => ({ type: 'hill', beta, k, s: 1 });
const curves = { search: hill(2000, 400), social: hill(900, 300), display: hill(600, 200) };

function refusal(fn: () => unknown): SpendflowError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpendflowError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('parseWhatIf', () => {
  const channels = ['search', 'social'];
  it('reads budgets or a budget', () => {
    expect(parseWhatIf({ budget: 500 }, channels)).toEqual({ kind: 'budget', budget: 500 });
    expect(parseWhatIf({ budgets: { search: 10, social: 0 } }, channels)).toEqual({ kind: 'budgets', budgets: { search: 10, social: 0 } });
    expect(parseWhatIf({ budgets: {} }, channels)).toEqual({ kind: 'budgets', budgets: {} });
  });

  it('names every bad field at once', () => {
    const err = refusal(() => parseWhatIf({ budgets: { search: -1, social: 'x', tv: 3 } }, channels));
    expect(err.code).toBe('INPUT_INVALID');
    expect(err.problems.map((p) => p.field).sort()).toEqual(['budgets.search', 'budgets.social', 'budgets.tv']);
    expect(refusal(() => parseWhatIf({ budget: Number.NaN }, channels)).problems.map((p) => p.field)).toEqual(['budget']);
    expect(refusal(() => parseWhatIf({ budget: 1, extra: 2 }, channels)).problems.map((p) => p.field)).toEqual(['extra']);
    expect(refusal(() => parseWhatIf(null, channels)).problems.map((p) => p.field)).toEqual(['(root)']);
  });
});

describe('frontier range', () => {
  it('defaults to 0.5×..1.5× the budget in 11 points', () => {
    const range = frontierRange({}, 1000);
    expect(range).toEqual({ from: 500, to: 1500, points: 11 });
    const budgets = frontierBudgets(range);
    expect(budgets).toHaveLength(11);
    expect(budgets[0]).toBe(500);
    expect(budgets[10]).toBe(1500);
    expect(budgets[5]).toBeCloseTo(1000, 9);
  });

  it('refuses to <= from and points outside 2..101, naming each', () => {
    expect(refusal(() => frontierRange({ from: 10, to: 10 }, 1000)).problems.map((p) => p.field)).toEqual(['to']);
    expect(refusal(() => frontierRange({ points: 1 }, 1000)).problems.map((p) => p.field)).toEqual(['points']);
    expect(refusal(() => frontierRange({ from: -1, points: 102 }, 1000)).problems.map((p) => p.field)).toEqual(['from', 'points']);
  });
});

describe('steady-state problem', () => {
  it('carries bounds, locks (only with a current budget), groups, objective and ROAS floor, without the max-change band', () => {
    const problem = steadyStateProblem(portfolio, curves, { search: 500, social: 200, display: 300 }, 1000);
    expect(problem).toMatchObject({ budget: 1000, objective: 'profit', margin: 3, minRoas: 1.5, groups: [{ id: 'paid', max: 600 }] });
    expect(problem.maxChange).toBeUndefined();
    expect(problem.channels.map((c) => [c.id, c.min, c.max])).toEqual([['search', 100, 700], ['social', 0, Infinity], ['display', 50, 400]]);
    expect(problem.channels[1]).toMatchObject({ locked: true, current: 200, group: 'paid' });
    expect(problem.channels[0]!.locked).toBeUndefined();
    const unlocked = steadyStateProblem(portfolio, curves, { search: 500 }, 1000);
    expect(unlocked.channels[1]!.locked).toBeUndefined();
  });

  it('MODEL_NOT_READY for a channel the model has no curve for, and for no model', () => {
    expect(refusal(() => steadyStateProblem(portfolio, { search: curves.search }, {}, 1000)).code).toBe('MODEL_NOT_READY');
    const err = refusal(() => requireFittedModel(null, 'p', 0));
    expect(err.code).toBe('MODEL_NOT_READY');
    expect(err.retriable).toBe(true);
  });

  it('boundViolations names the broken bounds', () => {
    expect(boundViolations(portfolio, { search: 800, social: 0, display: 10 })).toEqual(['max:search', 'min:display']);
    expect(boundViolations(portfolio, { search: 700, social: 5000, display: 50 })).toEqual([]);
  });

  it('solveFrontier: infeasible budgets say why, feasible ones spend up to the budget', () => {
    const revenue: PortfolioConfig = { ...portfolio, channels: portfolio.channels.map(({ group: _group, ...c }) => ({ ...c, locked: false })), objective: { type: 'revenue' }, minRoas: null, groups: [] };
    const problem = steadyStateProblem(revenue, curves, {}, 1000);
    const points = solveFrontier(problem, [100, 1000]);
    expect('infeasible' in points[0]!).toBe(true);
    const ok = points[1]!;
    expect('result' in ok && ok.result.spend).toBeCloseTo(1000, 6);
  });
});

describe('explainDecision', () => {
  it('without a model: the allocation as it stands, contributions null, guardrails carried', () => {
    const budgets = initialBudgets(portfolio);
    const allocation: PortfolioAllocation = {
      version: 0, status: 'learning', budgets, expectedRevenue: {}, marginalRoi: { search: 1.2 }, marginalRoiBefore: { search: Number.NaN },
      reasons: { search: 'learning: 3 of 24 buckets' }, summary: 'learning', portfolioExpectedRevenue: Number.NaN,
      effectiveFrom: null, effectiveUntil: null, decidedAt: null, solver: 'none', gap: null, binding: [], guardrails: ['learning'],
    };
    const d = explainDecision(portfolio, allocation, null);
    expect(d).toMatchObject({ version: 0, status: 'learning', gap: null, guardrails: ['learning'], forecastFor: null, expectedRevenue: null });
    expect(d.channels.map((c) => c.channelId)).toEqual(['search', 'social', 'display']);
    expect(d.channels[0]).toMatchObject({ budget: budgets['search'], contribution: null, marginalRoiBefore: null, marginalRoiAfter: 1.2, reason: 'learning: 3 of 24 buckets' });
    expect(d.channels[1]!.reason).toBe('learning');
  });
});
