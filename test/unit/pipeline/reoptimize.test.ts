/** decideReallocation: the guardrails around the model — learning phase, unhealthy model, exploration, notes. */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import type { PortfolioConfig } from '../../../src/config/types.ts';
import { fitOnlineModel } from '../../../src/model/online/online-model.ts';
import { initialBudgets, type PortfolioAllocation } from '../../../src/pipeline/allocation-state.ts';
import { describeDrift } from '../../../src/pipeline/drift-note.ts';
import { EXPLORATION_PAUSE_BUCKETS, onlineModelOptions, onlineModelSpec, recentlyChanged } from '../../../src/pipeline/portfolio-model.ts';
import { decideReallocation, type DecisionInput } from '../../../src/pipeline/reoptimize.ts';
import { seededRandom } from '../../../src/random.ts';
import { CHANNELS, HOUR, syntheticBuckets } from '../model/online/synthetic.ts';

const portfolio: PortfolioConfig = {
  id: 'shop',
  currency: 'EUR',
  budget: 1400,
  maxChange: 0.25,
  channels: CHANNELS.map((c) => ({ id: c.id, platform: 'google-ads', min: 50, max: 900, initialShare: c.reference / 1400 })),
};
const config = defaultConfig();
const buckets = syntheticBuckets({ seed: 3, buckets: 120 });
const model = fitOnlineModel(onlineModelSpec(portfolio), buckets, onlineModelOptions(config), 10);
const lastStart = buckets.at(-1)!.start;

function current(): PortfolioAllocation {
  return {
    version: 100, status: 'optimized', budgets: initialBudgets(portfolio), expectedRevenue: {}, marginalRoi: {}, marginalRoiBefore: {}, reasons: {}, summary: '',
    portfolioExpectedRevenue: 0, effectiveFrom: lastStart, effectiveUntil: lastStart + HOUR, decidedAt: lastStart, solver: 'exact', gap: 0, binding: [], guardrails: [],
  };
}

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return {
    portfolio, current: current(), model, modelProblem: null, bucketsSeen: 120, watermark: lastStart + HOUR + 1, bucketMs: HOUR,
    config, round: 1, explore: null, ...overrides,
  };
}

function withinGuardrails(budgets: Readonly<Record<string, number>>, before: Readonly<Record<string, number>>): void {
  const total = Object.values(budgets).reduce((s, v) => s + v, 0);
  expect(total).toBeCloseTo(portfolio.budget, 2);
  for (const c of portfolio.channels) {
    expect(budgets[c.id]!).toBeGreaterThanOrEqual(c.min - 0.005);
    expect(budgets[c.id]!).toBeLessThanOrEqual((c.max ?? Infinity) + 0.005);
    expect(Math.abs(budgets[c.id]! - before[c.id]!)).toBeLessThanOrEqual(portfolio.maxChange * before[c.id]! + 0.011);
  }
}

describe('decideReallocation', () => {
  it('holds the initial allocation in the learning phase, publishing it once', () => {
    const first = decideReallocation(input({ bucketsSeen: 1, current: { ...current(), version: 0, status: 'initial' } }));
    expect(first.outcome).toBe('published');
    expect(first.allocation.status).toBe('learning');
    expect(first.allocation.budgets).toEqual(initialBudgets(portfolio));
    expect(decideReallocation(input({ bucketsSeen: 2 })).outcome).toBe('learning');
  });

  it('holds the last allocation, saying why, when the model update failed or there is no model', () => {
    const failed = decideReallocation(input({ modelProblem: 'invalid bucket for the online model: revenue must be a finite number ≥ 0' }));
    expect(failed.outcome).toBe('held');
    expect(failed.allocation.budgets).toEqual(current().budgets);
    expect(failed.allocation.summary).toContain('model unhealthy (invalid bucket for the online model');
    for (const c of portfolio.channels) expect(failed.allocation.reasons[c.id]).toContain('holding the last allocation');
    expect(decideReallocation(input({ model: null })).outcome).toBe('held');
  });

  it('optimises against the mean curves, within budget, bounds and max change, with an expected revenue', () => {
    const d = decideReallocation(input());
    expect(d.explored).toBe(false);
    expect(['published', 'unchanged']).toContain(d.outcome);
    withinGuardrails(d.allocation.budgets, current().budgets);
    expect(Number.isFinite(d.allocation.portfolioExpectedRevenue)).toBe(true);
    expect(d.allocation.summary).not.toContain('Thompson');
    // Deterministic: the same inputs give the same decision.
    expect(decideReallocation(input()).allocation.budgets).toEqual(d.allocation.budgets);
  });

  it('explores with a posterior draw when asked: different draws, same guardrails, said in the reasons', () => {
    const a = decideReallocation(input({ explore: seededRandom(1) }));
    const b = decideReallocation(input({ explore: seededRandom(2) }));
    const again = decideReallocation(input({ explore: seededRandom(1) }));
    expect(a.explored).toBe(true);
    expect(again.allocation.budgets).toEqual(a.allocation.budgets);
    expect(b.allocation.budgets).not.toEqual(a.allocation.budgets);
    for (const d of [a, b]) {
      withinGuardrails(d.allocation.budgets, current().budgets);
      expect(d.allocation.summary).toContain('Thompson sampling');
    }
  });

  it('adds the model\'s notes (a detected change) to every reason and the summary', () => {
    const note = describeDrift({
      onset: lastStart - 5 * HOUR, detectedAt: lastStart, components: ['search'], direction: 'down', statistic: 9, jumpVariance: [1], settledAt: null, shift: -0.14, before: [1],
    });
    // The last synthetic bucket starts 119 h after 2026-03-02 00:00 (23:00 on the 6th); the onset is 5 h before.
    const d = decideReallocation(input({ notes: [note] }));
    expect(note).toBe('change detected: revenue 14% below the model since 2026-03-06 18:00 UTC, from search; re-learning it');
    expect(d.allocation.summary).toContain(note);
    for (const c of portfolio.channels) expect(d.allocation.reasons[c.id]).toContain(note);
  });
});

describe('describeDrift', () => {
  it('names every candidate and says when they cannot be told apart', () => {
    const text = describeDrift({
      onset: Date.parse('2026-03-12T10:00:00Z'), detectedAt: 0, components: ['baseline', 'search', 'social'], direction: 'up', statistic: 9, jumpVariance: [1, 1, 1], settledAt: null, shift: 0.083, before: [1, 1, 1],
    });
    expect(text).toBe('change detected: revenue 8% above the model since 2026-03-12 10:00 UTC, from the baseline, search or social (spend did not vary enough to tell them apart); re-learning them');
  });
});

describe('recentlyChanged', () => {
  it('is true for EXPLORATION_PAUSE_BUCKETS buckets after a detected change, then false', () => {
    const event = { onset: lastStart - 3 * HOUR, detectedAt: lastStart, components: ['search'], direction: 'down' as const, statistic: 9, jumpVariance: [1], settledAt: null, shift: -0.1, before: [1] };
    const withEvent = (last: number) => ({ ...model, lastBucket: last, blocks: model.blocks.map((b, i) => (i === 0 ? { ...b, drift: { ...b.drift, events: [event] } } : b)) });
    expect(recentlyChanged(model)).toBe(false);
    expect(recentlyChanged(withEvent(lastStart))).toBe(true);
    expect(recentlyChanged(withEvent(lastStart + (EXPLORATION_PAUSE_BUCKETS - 1) * HOUR))).toBe(true);
    expect(recentlyChanged(withEvent(lastStart + EXPLORATION_PAUSE_BUCKETS * HOUR))).toBe(false);
    expect(recentlyChanged(null)).toBe(false);
  });
});
