/**
 * Guardrails, named and counted: paused, learning, unhealthy, hold_after_change, max_change,
 * bounds, min_roas, budget_cap — through decideReallocation and through the pipeline (pause,
 * configuration changes, the guardrail.intervened signals and when they leave).
 */
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../src/config/loader.ts';
import type { PortfolioConfig } from '../../../src/config/types.ts';
import type { ReallocationEvent } from '../../../src/events/types.ts';
import { fitOnlineModel } from '../../../src/model/online/online-model.ts';
import { initialBudgets, type GuardrailKind, type PortfolioAllocation } from '../../../src/pipeline/allocation-state.ts';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { onlineModelOptions, onlineModelSpec } from '../../../src/pipeline/portfolio-model.ts';
import { decideReallocation, guardrailNote, guardrailsOf, type DecisionInput } from '../../../src/pipeline/reoptimize.ts';
import { SignalBus, type PipelineSignal } from '../../../src/pipeline/signals.ts';
import { CHANNELS, HOUR, syntheticBuckets } from '../model/online/synthetic.ts';
import { configWith, decodeSnapshot, drive, encodeSnapshot, hours, marketRecords, publishedFor, snapshotOf, totalOf, type Arrival, type Driven } from './sync-harness.ts';

// ---------------------------------------------------------------------------------------------
// decideReallocation on a fitted model (as in reoptimize.test.ts)

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

function current(budgets: Record<string, number> = initialBudgets(portfolio), status: PortfolioAllocation['status'] = 'optimized'): PortfolioAllocation {
  return {
    version: 100, status, budgets, expectedRevenue: {}, marginalRoi: {}, marginalRoiBefore: {}, reasons: {}, summary: '',
    portfolioExpectedRevenue: 0, effectiveFrom: lastStart, effectiveUntil: lastStart + HOUR, decidedAt: lastStart, solver: 'exact', gap: 0, binding: [], guardrails: [],
  };
}

function input(overrides: Partial<DecisionInput> = {}): DecisionInput {
  return { portfolio, current: current(), model, modelProblem: null, bucketsSeen: 120, watermark: lastStart + HOUR + 1, bucketMs: HOUR, config, round: 1, explore: null, ...overrides };
}

const sum = (b: Readonly<Record<string, number>>) => Object.values(b).reduce((s, v) => s + v, 0);
const halved: PortfolioConfig = { ...portfolio, budget: 700 };

function withinBounds(p: PortfolioConfig, budgets: Readonly<Record<string, number>>): void {
  for (const c of p.channels) {
    expect(budgets[c.id]!).toBeGreaterThanOrEqual(c.min - 0.005);
    expect(budgets[c.id]!).toBeLessThanOrEqual((c.max ?? Infinity) + 0.005);
  }
}

describe('guardrailsOf / guardrailNote', () => {
  it('maps binding constraints and relaxations to guardrail kinds, once each', () => {
    expect(guardrailsOf(['budget', 'maxChange:a', 'maxChange:b'], [])).toEqual(['max_change']);
    expect(guardrailsOf(['min:a', 'max:b', 'locked:c', 'groupMin:g', 'groupMax:g'], [])).toEqual(['bounds']);
    expect(guardrailsOf(['minRoas'], [])).toEqual(['min_roas']);
    expect(guardrailsOf(['budget'], ['max change relaxed'])).toEqual(['max_change']);
    expect(guardrailsOf(['budget'], [])).toEqual([]);
  });

  it('names the kinds in plain words, or nothing', () => {
    expect(guardrailNote([])).toBe('');
    expect(guardrailNote(['max_change', 'budget_cap'])).toBe('guardrails: max change per step, budget cap');
    expect(guardrailNote(['learning', 'unhealthy', 'hold_after_change', 'paused', 'bounds', 'min_roas'])).toBe(
      'guardrails: learning phase, model unhealthy, hold after a detected change, paused, channel or group bounds, minimum ROAS',
    );
  });
});

describe('decideReallocation: each guardrail', () => {
  it('paused: outcome paused, the current budgets kept, guardrail paused', () => {
    const d = decideReallocation(input({ paused: 'incident 42' }));
    expect(d.outcome).toBe('paused');
    expect(d.allocation.status).toBe('paused');
    expect(d.allocation.budgets).toEqual(current().budgets);
    expect(d.allocation.guardrails).toEqual(['paused']);
    expect(d.allocation.summary).toContain('paused (incident 42)');
  });

  it('paused wins over the learning phase and an unhealthy model', () => {
    expect(decideReallocation(input({ paused: 'x', bucketsSeen: 1 })).outcome).toBe('paused');
    expect(decideReallocation(input({ paused: 'x', modelProblem: 'broken' })).outcome).toBe('paused');
  });

  it('unhealthy: held, with unhealthy in the guardrails and the reason text', () => {
    const d = decideReallocation(input({ modelProblem: 'the update diverged' }));
    expect(d.outcome).toBe('held');
    expect(d.allocation.guardrails).toEqual(['unhealthy']);
    expect(d.allocation.summary).toContain('model unhealthy (the update diverged)');
    for (const c of portfolio.channels) expect(d.allocation.reasons[c.id]).toContain('model unhealthy');
  });

  it('hold after a detected change: held, guardrail hold_after_change', () => {
    const d = decideReallocation(input({ hold: 'a change was detected; waiting 2 bucket(s)' }));
    expect(d.outcome).toBe('held');
    expect(d.allocation.guardrails).toEqual(['hold_after_change']);
    expect(d.allocation.summary).toContain('a change was detected');
  });

  it('max change binding: max_change in the guardrails, "max change per step" in the summary and the reasons', () => {
    const d = decideReallocation(input({ current: current({ search: 900, social: 450, display: 50 }) }));
    expect(d.outcome).toBe('published');
    expect(d.allocation.binding.some((b) => b.startsWith('maxChange:'))).toBe(true);
    expect(d.allocation.guardrails).toContain('max_change');
    expect(d.allocation.summary).toContain('max change per step');
    for (const c of portfolio.channels) expect(d.allocation.reasons[c.id]).toContain('guardrails: max change per step');
  });

  it('bounds binding: bounds in the guardrails and "channel or group bounds" in the summary', () => {
    const d = decideReallocation(input({ current: current({ search: 200, social: 900, display: 300 }) }));
    expect(d.allocation.binding).toContain('max:social');
    expect(d.allocation.guardrails).toContain('bounds');
    expect(d.allocation.summary).toContain('channel or group bounds');
  });

  it('minimum ROAS binding: min_roas in the guardrails, spend below the budget', () => {
    const d = decideReallocation(input({ portfolio: { ...portfolio, minRoas: 2.15 } }));
    expect(d.allocation.guardrails).toContain('min_roas');
    expect(d.allocation.summary).toContain('minimum ROAS');
    expect(sum(d.allocation.budgets)).toBeLessThan(portfolio.budget);
  });

  it('minimum ROAS out of reach under the model: holds (and says so) rather than throwing', () => {
    let decision: ReturnType<typeof decideReallocation> | undefined;
    expect(() => (decision = decideReallocation(input({ portfolio: { ...portfolio, minRoas: 3 } })))).not.toThrow();
    expect(decision!.outcome).not.toBe('published');
    expect(decision!.allocation.guardrails).toContain('min_roas');
  });

  it('budget cut, optimizing: published, total within the new budget, bounds kept, budget_cap named', () => {
    const d = decideReallocation(input({ portfolio: halved }));
    expect(d.outcome).toBe('published');
    expect(sum(d.allocation.budgets)).toBeLessThanOrEqual(halved.budget + 0.005);
    withinBounds(halved, d.allocation.budgets);
    expect(d.allocation.guardrails).toContain('budget_cap');
    expect(d.allocation.summary).toContain('budget cap');
  });

  it('budget cut, optimizing: the summary does not say "no change" when every channel was cut', () => {
    const d = decideReallocation(input({ portfolio: halved }));
    for (const c of portfolio.channels) expect(d.allocation.budgets[c.id]!).toBeLessThan(current().budgets[c.id]!);
    expect(d.allocation.summary).not.toContain('no change');
  });

  it('budget cut in the learning phase: published anyway (solver none), total within the new budget', () => {
    const d = decideReallocation(input({ portfolio: halved, bucketsSeen: 2, current: current(initialBudgets(portfolio), 'learning') }));
    expect(d.outcome).toBe('published');
    expect(d.allocation.status).toBe('learning');
    expect(d.allocation.solver).toBe('none');
    expect(d.allocation.guardrails).toEqual(['learning', 'budget_cap']);
    expect(sum(d.allocation.budgets)).toBeLessThanOrEqual(halved.budget + 0.005);
    withinBounds(halved, d.allocation.budgets);
    expect(d.allocation.summary).toContain("budget cap: the allocation was scaled down to the period's budget of 700.00");
  });

  it('budget cut with an unhealthy model: published capped, with unhealthy and budget_cap', () => {
    const d = decideReallocation(input({ portfolio: halved, modelProblem: 'broken' }));
    expect(d.outcome).toBe('published');
    expect(d.allocation.guardrails).toEqual(['unhealthy', 'budget_cap']);
    expect(sum(d.allocation.budgets)).toBeLessThanOrEqual(halved.budget + 0.005);
    expect(d.allocation.summary).toContain('model unhealthy (broken)');
  });

  it('budget cut while paused: nothing published (paused), but the kept allocation must not claim the cut budgets went out', () => {
    const d = decideReallocation(input({ portfolio: halved, paused: 'x' }));
    expect(d.outcome).toBe('paused');
    // What is kept as "current" is what the platforms have: the last published budgets. If the
    // capped budgets are kept instead, the cut is never published after the resume (see the
    // pipeline test "a budget cut while paused is published after the resume").
    expect(d.allocation.budgets).toEqual(current().budgets);
  });

  it('no budget cut: no budget_cap', () => {
    expect(decideReallocation(input()).allocation.guardrails).not.toContain('budget_cap');
    expect(decideReallocation(input({ portfolio: { ...portfolio, budget: 2000 } })).allocation.guardrails).not.toContain('budget_cap');
  });
});

// ---------------------------------------------------------------------------------------------
// Through the pipeline

const demo = configWith();
const shop = demo.portfolios.find((p) => p.id === 'demo-shop')!;
const records = marketRecords(demo, 48);

const reoptimized = (d: Driven, id: string) =>
  d.signals.flatMap((s) => (s.type === 'reoptimized' && s.portfolioId === id ? [s.outcome] : []));
const guardSignals = (signals: readonly PipelineSignal[], id: string) =>
  signals.flatMap((s) => (s.type === 'guardrail.intervened' && s.portfolioId === id ? [s.kind] : []));

describe('pipeline: pause', () => {
  it('while paused: outcome paused, nothing published for it, the model keeps learning; after resume it publishes again', () => {
    const d = drive(demo);
    d.feedAll(hours(records, 0, 12));
    const before = d.pipeline.portfolio('demo-shop')!;
    d.pipeline.setPaused('demo-shop', 'campaign review');
    const view = d.pipeline.portfolio('demo-shop')!;
    expect(view.paused).toBe(true);
    expect(view.pausedReason).toBe('campaign review');
    expect(view.allocation.status).toBe('paused');

    const publishedBefore = d.published.length;
    const signalsBefore = d.signals.length;
    d.feedAll(hours(records, 12, 20));
    const during = d.published.slice(publishedBefore);
    expect(publishedFor(during, 'demo-shop')).toEqual([]);
    expect(publishedFor(during, 'demo-outdoor').length).toBeGreaterThan(0);
    const duringSignals = d.signals.slice(signalsBefore);
    const outcomes = duringSignals.flatMap((s) => (s.type === 'reoptimized' && s.portfolioId === 'demo-shop' ? [s.outcome] : []));
    expect(outcomes.length).toBeGreaterThanOrEqual(7);
    expect(new Set(outcomes)).toEqual(new Set(['paused']));
    expect(guardSignals(duringSignals, 'demo-shop').filter((k) => k === 'paused')).toHaveLength(outcomes.length);
    const paused = d.pipeline.portfolio('demo-shop')!;
    expect(paused.bucketsSeen).toBe(before.bucketsSeen + outcomes.length);
    expect(paused.model!.updates).toBeGreaterThan(before.model!.updates);
    expect(paused.allocation.budgets).toEqual(before.allocation.budgets);
    expect(paused.allocation.version).toBe(before.allocation.version);

    d.pipeline.setPaused('demo-shop', null);
    expect(d.pipeline.portfolio('demo-shop')!.paused).toBe(false);
    const resumedAt = d.published.length;
    d.feedAll(hours(records, 20, 30));
    const after = publishedFor(d.published.slice(resumedAt), 'demo-shop');
    expect(after.length).toBeGreaterThan(0);
    expect(after[0]![0]!.previousVersion).toBe(before.allocation.version);
    for (const e of after[0]!) expect(e.previousBudget).toBe(before.allocation.budgets[e.channelId]);
  });

  it('reoptimizeNow while paused publishes nothing', () => {
    const d = drive(demo);
    d.feedAll(hours(records, 0, 12));
    d.pipeline.setPaused('demo-shop', 'x');
    expect(d.pipeline.reoptimizeNow('demo-shop').outcome).toBe('paused');
    expect(d.flush().reallocations).toEqual([]);
  });

  it('paused from the start, resumed during the learning phase: the initial allocation still goes out before optimizing', () => {
    const d = drive(demo);
    d.pipeline.setPaused('demo-shop', 'not yet');
    d.feedAll(hours(records, 0, 2));
    expect(publishedFor(d.published, 'demo-shop')).toEqual([]);
    d.pipeline.setPaused('demo-shop', null);
    d.feedAll(hours(records, 2, 4)); // bucketsSeen stays below model.minBuckets (4)
    expect(d.pipeline.portfolio('demo-shop')!.bucketsSeen).toBeLessThan(demo.model.minBuckets);
    const first = publishedFor(d.published, 'demo-shop')[0];
    expect(first).toBeDefined();
    expect(first!.map((e) => e.budget)).toEqual(Object.values(initialBudgets(shop)));
  });
});

describe('pipeline: budget cut through applyConfig', () => {
  function cutAfter(hour: number) {
    const d = drive(demo);
    d.feedAll(hours(records, 0, hour));
    const last = publishedFor(d.published, 'demo-shop').at(-1)!;
    const kept = d.pipeline.applyConfig({ ...shop, budget: 1000 }, 1);
    expect(kept).toBe('model and allocation kept');
    expect(d.pipeline.portfolio('demo-shop')!.configVersion).toBe(1);
    const from = d.published.length;
    d.feedAll(hours(records, hour, hour + 2));
    const next = publishedFor(d.published.slice(from), 'demo-shop');
    return { d, last, next };
  }

  function capped(events: readonly ReallocationEvent[], last: readonly ReallocationEvent[]) {
    expect(totalOf(events)).toBeLessThanOrEqual(1000 + 0.005);
    for (const e of events) {
      expect(e.portfolioBudget).toBeLessThanOrEqual(1000);
      const c = shop.channels.find((x) => x.id === e.channelId)!;
      expect(e.budget).toBeGreaterThanOrEqual(c.min - 0.005);
      expect(e.budget).toBeLessThanOrEqual((c.max ?? Infinity) + 0.005);
      expect(e.guardrails).toContain('budget_cap');
      expect(e.previousVersion).toBe(last[0]!.version);
      expect(e.previousBudget).toBe(last.find((x) => x.channelId === e.channelId)!.budget);
    }
  }

  it('in the learning phase: the next decision publishes within the new budget, with learning and budget_cap', () => {
    const { d, last, next } = cutAfter(3);
    expect(d.pipeline.portfolio('demo-shop')!.bucketsSeen).toBeLessThan(demo.model.minBuckets + 2);
    expect(next.length).toBeGreaterThan(0);
    capped(next[0]!, last);
    expect(next[0]![0]!.guardrails).toContain('learning');
  });

  it('when optimizing: the next decision publishes within the new budget with budget_cap, and so does every later one', () => {
    const { d, last, next } = cutAfter(12);
    expect(next.length).toBeGreaterThan(0);
    capped(next[0]!, last);
    const from = d.published.length;
    d.feedAll(hours(records, 14, 30));
    for (const events of publishedFor(d.published.slice(from), 'demo-shop')) expect(totalOf(events)).toBeLessThanOrEqual(1000 + 0.005);
  });

  it('a budget cut while paused is published after the resume, even in the learning phase', () => {
    const d = drive(demo);
    d.feedAll(hours(records, 0, 2)); // bucket 0 closes: the initial allocation is published
    const last = publishedFor(d.published, 'demo-shop').at(-1)!;
    d.pipeline.setPaused('demo-shop', 'x');
    d.pipeline.applyConfig({ ...shop, budget: 1000 }, 1);
    d.feedAll(hours(records, 2, 3)); // bucket 1 closes while paused
    d.pipeline.setPaused('demo-shop', null);
    const from = d.published.length;
    d.feedAll(hours(records, 3, 4)); // bucket 2 closes: learning, 3 of 4
    expect(d.pipeline.portfolio('demo-shop')!.bucketsSeen).toBeLessThan(demo.model.minBuckets);
    const next = publishedFor(d.published.slice(from), 'demo-shop');
    expect(next.length).toBeGreaterThan(0);
    capped(next[0]!, last);
  });

  it('a budget cut while paused is published after the resume when optimizing, even if nothing else would move', () => {
    const cfg = configWith({ optimizer: { minMoveShare: 1 } });
    const recs = marketRecords(cfg, 16);
    const d = drive(cfg);
    d.feedAll(hours(recs, 0, 10));
    const last = publishedFor(d.published, 'demo-shop').at(-1)!;
    d.pipeline.setPaused('demo-shop', 'x');
    d.pipeline.applyConfig({ ...shop, budget: 1000 }, 1);
    d.feedAll(hours(recs, 10, 11));
    d.pipeline.setPaused('demo-shop', null);
    const from = d.published.length;
    d.feedAll(hours(recs, 11, 16));
    const next = publishedFor(d.published.slice(from), 'demo-shop');
    expect(next.length).toBeGreaterThan(0);
    capped(next[0]!, last);
  });
});

describe('pipeline: channel set change through applyConfig', () => {
  it('resets the model, learns again, and first publishes the new channels\' initial split under a higher version', () => {
    const d = drive(demo);
    d.feedAll(hours(records, 0, 12));
    const lastVersion = d.pipeline.portfolio('demo-shop')!.allocation.version;
    expect(publishedFor(d.published, 'demo-shop').at(-1)![0]!.version).toBe(lastVersion);
    const fewer: PortfolioConfig = { ...shop, channels: shop.channels.filter((c) => c.id !== 'display') };
    expect(d.pipeline.applyConfig(fewer, 3)).toBe('channels changed: model reset, learning phase again');
    const view = d.pipeline.portfolio('demo-shop')!;
    expect(view.model).toBeNull();
    expect(view.bucketsSeen).toBe(0);
    expect(view.configVersion).toBe(3);
    expect(view.allocation.budgets).toEqual(initialBudgets(fewer));

    const from = d.published.length;
    const lettersFrom = d.deadLetters.length;
    const signalsFrom = d.signals.length;
    d.feedAll(hours(records, 12, 20));
    const next = publishedFor(d.published.slice(from), 'demo-shop');
    expect(next.length).toBeGreaterThan(0);
    const first = next[0]!;
    expect(first.map((e) => e.channelId)).toEqual(['search', 'shopping', 'social']);
    expect(Object.fromEntries(first.map((e) => [e.channelId, e.budget]))).toEqual(initialBudgets(fewer));
    for (const e of first) {
      expect(e.version).toBeGreaterThan(lastVersion);
      expect(e.previousVersion).toBe(lastVersion);
      expect(e.guardrails).toContain('learning');
      expect(e.reason).toContain('learning phase');
    }
    // The learning phase starts again: only after model.minBuckets does it optimize.
    const outcomes = d.signals.slice(signalsFrom).flatMap((s) => (s.type === 'reoptimized' && s.portfolioId === 'demo-shop' ? [s.outcome] : []));
    expect(outcomes.slice(0, demo.model.minBuckets - 1)).toEqual(['published', 'learning', 'learning']);
    expect(outcomes.slice(demo.model.minBuckets - 1)).not.toContain('learning');
    // Spend on the removed channel is now unknown.
    const letters = d.deadLetters.slice(lettersFrom);
    expect(letters.length).toBeGreaterThan(0);
    expect(new Set(letters.map((l) => l.reason))).toEqual(new Set(['unknown_channel']));
  });

  it('a new portfolio through applyConfig is live and publishes its initial allocation first', () => {
    const d = drive(configWith({ portfolios: [demo.portfolios[1]] }));
    expect(d.pipeline.portfolio('demo-shop')).toBeUndefined();
    expect(d.pipeline.applyConfig(shop, 1)).toBe('new portfolio');
    d.feedAll(hours(records, 0, 3));
    const first = publishedFor(d.published, 'demo-shop')[0]!;
    expect(first[0]!.previousVersion).toBe(0);
    expect(Object.fromEntries(first.map((e) => [e.channelId, e.budget]))).toEqual(initialBudgets(shop));
  });
});

describe('pipeline: unhealthy model', () => {
  function unhealthy() {
    const d = drive(demo);
    d.feedAll(hours(records, 0, 12));
    const snap = decodeSnapshot(encodeSnapshot(snapshotOf(d.pipeline, 'demo-shop')));
    d.pipeline.restore('demo-shop', { ...snap, decision: { ...snap.decision!, modelProblem: 'the update diverged' } });
    return d;
  }

  it('holds, with unhealthy in the guardrails and in the reason text, and publishes nothing', () => {
    const d = unhealthy();
    const before = d.pipeline.portfolio('demo-shop')!.allocation;
    const result = d.pipeline.reoptimizeNow('demo-shop');
    expect(result.outcome).toBe('held');
    expect(result.version).toBe(before.version);
    const out = d.flush();
    expect(out.reallocations).toEqual([]);
    const view = d.pipeline.portfolio('demo-shop')!;
    expect(view.allocation.guardrails).toEqual(['unhealthy']);
    expect(view.allocation.summary).toContain('model unhealthy (the update diverged)');
    for (const c of shop.channels) expect(view.allocation.reasons[c.id]).toContain('model unhealthy');
    expect(view.allocation.budgets).toEqual(before.budgets);
    expect(guardSignals(d.signals, 'demo-shop').at(-1)).toBe('unhealthy');
  });

  it('with a budget cut: publishes the capped allocation, unhealthy and budget_cap in event.guardrails and the reason', () => {
    const d = unhealthy();
    d.pipeline.applyConfig({ ...shop, budget: 1000 }, 1);
    expect(d.pipeline.reoptimizeNow('demo-shop').outcome).toBe('published');
    const [events] = d.flush().reallocations;
    expect(totalOf(events!)).toBeLessThanOrEqual(1000.005);
    for (const e of events!) {
      expect(e.guardrails).toEqual(['unhealthy', 'budget_cap']);
      expect(e.reason).toContain('model unhealthy');
      expect(e.reason).toContain('budget cap');
    }
  });

  it('a minimum ROAS the model cannot reach does not dead-letter the records that close buckets as internal', () => {
    const cfg = configWith({ portfolios: [{ ...shop, minRoas: 40 }, demo.portfolios[1]] });
    const d = drive(cfg);
    d.feedAll(marketRecords(cfg, 12));
    expect(d.deadLetters.filter((l) => l.reason === 'internal').map((l) => l.error)).toEqual([]);
    const outcomes = reoptimized(d, 'demo-shop');
    expect(outcomes.length).toBe(d.pipeline.portfolio('demo-shop')!.bucketsSeen);
  });
});

describe('pipeline: max change per step', () => {
  it('binding max change is named in event.guardrails and "max change per step" in the reasons and summary', () => {
    const d = drive(demo);
    let summaries = 0;
    for (const r of hours(records, 0, 24)) {
      const out = d.feed(r);
      for (const events of out.reallocations) {
        if (events[0]!.portfolioId !== 'demo-shop' || !events[0]!.guardrails.includes('max_change')) continue;
        expect(d.pipeline.portfolio('demo-shop')!.allocation.summary).toContain('max change per step');
        summaries++;
      }
    }
    const optimized = d.published.flat().filter((e) => e.solver !== 'none');
    const bound = optimized.filter((e) => e.guardrails.includes('max_change'));
    expect(bound.length).toBeGreaterThan(0);
    expect(summaries).toBeGreaterThan(0);
    for (const e of bound) expect(e.reason).toContain('max change per step');
    // Whatever guardrails shaped an optimized decision are named in its reasons, in plain words.
    for (const e of optimized) if (e.guardrails.length > 0) expect(e.reason).toContain(guardrailNote(e.guardrails as GuardrailKind[]));
  });
});

describe('pipeline: guardrail.intervened signals', () => {
  /** Checks that the guardrail signals of the last outbox match the decision it holds. */
  function checkLast(d: Driven, seen: Set<string>): void {
    const out = d.outboxes.at(-1)!;
    for (const id of d.pipeline.portfolioIds()) {
      const decisions = out.signals.filter((s) => s.type === 'reoptimized' && s.portfolioId === id).length;
      if (decisions === 0) {
        expect(guardSignals(out.signals, id)).toEqual([]);
        continue;
      }
      expect(decisions).toBe(1);
      const kinds = guardSignals(out.signals, id);
      expect(kinds).toEqual([...d.pipeline.portfolio(id)!.allocation.guardrails]);
      // And they reached the bus (announce).
      for (const k of kinds) seen.add(k);
    }
  }
  function feedChecked(d: Driven, seen: Set<string>, arrivals: readonly Arrival[]): void {
    for (const a of arrivals) {
      d.feed(a);
      checkLast(d, seen);
    }
  }

  it('emits one signal per guardrail of every decision, for every kind', () => {
    const seen = new Set<string>();
    const heard = new Set<string>();
    const d = drive(demo);
    feedChecked(d, seen, hours(records, 0, 14));
    d.pipeline.setPaused('demo-shop', 'x');
    feedChecked(d, seen, hours(records, 14, 16));
    d.pipeline.setPaused('demo-shop', null);
    d.pipeline.applyConfig({ ...shop, budget: 1000 }, 1);
    feedChecked(d, seen, hours(records, 16, 20));
    // unhealthy
    const snap = decodeSnapshot(encodeSnapshot(snapshotOf(d.pipeline, 'demo-shop')));
    d.pipeline.restore('demo-shop', { ...snap, decision: { ...snap.decision!, modelProblem: 'broken' } });
    d.pipeline.reoptimizeNow('demo-shop');
    d.flush();
    checkLast(d, seen);
    for (const s of d.signals) if (s.type === 'guardrail.intervened') heard.add(s.kind);
    // minimum ROAS: after 24 demo hours, a floor of 1.8 binds and is within reach of the model.
    const r = drive(demo);
    feedChecked(r, seen, hours(records, 0, 24));
    r.pipeline.applyConfig({ ...shop, minRoas: 1.8 }, 1);
    r.pipeline.reoptimizeNow('demo-shop');
    r.flush();
    checkLast(r, seen);
    for (const s of r.signals) if (s.type === 'guardrail.intervened') heard.add(s.kind);
    // hold after a detected change: the change-point scenario (social loses 40% on day 10)
    const cp = drive(demo);
    feedChecked(cp, seen, marketRecords(demo, 11 * 24, 'demo-change-point'));
    for (const s of cp.signals) if (s.type === 'guardrail.intervened') heard.add(s.kind);
    expect([...heard].sort()).toEqual([...seen].sort());
    expect([...seen].sort()).toEqual(['bounds', 'budget_cap', 'hold_after_change', 'learning', 'max_change', 'min_roas', 'paused', 'unhealthy']);
  });

  it('signals leave on announce, not on process', () => {
    const bus = new SignalBus();
    const heard: PipelineSignal[] = [];
    bus.on((s) => heard.push(s));
    const pipeline = createPipeline({ config: demo, signals: bus, now: () => 0, clock: null });
    for (const r of hours(records, 0, 3)) pipeline.process(r.record, r.at);
    expect(heard).toEqual([]);
    const out = pipeline.takeOutbox();
    expect(guardSignals(out.signals, 'demo-shop')).toContain('learning');
    pipeline.announce(out);
    expect(heard.slice(0, out.signals.length)).toEqual(out.signals);
    const published = heard.filter((s) => s.type === 'reallocation.published');
    expect(published.length).toBeGreaterThan(0);
    // A rolled-back outbox (taken, never announced) is never counted.
    for (const r of hours(records, 3, 5)) pipeline.process(r.record, r.at);
    pipeline.takeOutbox();
    expect(heard.length).toBe(out.signals.length + published.length);
  });

  it('handle emits a decision\'s guardrail signals only once its reallocation is published; a failed publish emits none', async () => {
    const bus = new SignalBus();
    const heard: PipelineSignal[] = [];
    bus.on((s) => heard.push(s));
    let fail = false;
    const heardAtPublish: number[] = [];
    const sink = {
      publish: async () => {
        if (fail) throw new Error('broker down');
        heardAtPublish.push(guardSignals(heard, 'demo-shop').length);
      },
      send: async () => {},
      close: async () => {},
    };
    const pipeline = createPipeline({ config: demo, signals: bus, allocations: sink, deadLetters: sink, now: () => 0, clock: null });
    const rs = hours(records, 0, 2);
    let failedAt = -1;
    for (const [i, r] of rs.entries()) {
      const before = guardSignals(heard, 'demo-shop').length;
      fail = failedAt < 0 && i > 0 && r.record.key === 'demo-shop';
      try {
        await pipeline.handle(r.record);
      } catch {
        failedAt = i;
        // Nothing of the failed record's outbox was announced.
        expect(guardSignals(heard, 'demo-shop').length).toBe(before);
        fail = false;
        await pipeline.handle(r.record); // redelivery: pending goes out first
      }
    }
    expect(heardAtPublish.length).toBeGreaterThan(0);
    // When the first decision (the initial allocation) was published, its learning signal was not out yet.
    expect(heardAtPublish[0]).toBe(0);
    expect(guardSignals(heard, 'demo-shop')).toContain('learning');
  });
});
