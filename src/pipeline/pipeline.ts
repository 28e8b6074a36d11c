/**
 * The reoptimizer loop: record in → decode → bucket → (bucket closed) model → reoptimize →
 * publish. It owns the per-portfolio state and decides, for every record, what happens to it:
 * used, ignored as a duplicate, or dead-lettered with a reason. Failures to publish are
 * retriable: the decision stays pending and is published before anything else of that portfolio.
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import { SpendflowError, errorMessage, isSpendflowError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { ReallocationEvent } from '../events/types.ts';
import { PortfolioBuckets } from '../ingest/buckets.ts';
import { PortfolioDirectory, deadLetterFor, decodeRecord, type Decoded } from '../ingest/decode.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import type { AllocationSink, DeadLetterSink, SourceRecord } from '../ports.ts';
import { hashSeed, seededRandom } from '../random.ts';
import { initialBudgets, type PortfolioAllocation } from './allocation-state.ts';
import { describeDrift } from './drift-note.ts';
import { onlineModelOptions, recentlyChanged, stepPortfolioModel } from './portfolio-model.ts';
import { decideReallocation } from './reoptimize.ts';
import type { SignalBus } from './signals.ts';

interface PortfolioRuntime {
  readonly config: PortfolioConfig;
  readonly buckets: PortfolioBuckets;
  /** The online response model; null until the first bucket closes. */
  model: OnlineModelState | null;
  /** Why the last model update failed (the model is held until one succeeds). */
  modelProblem: string | null;
  /** What the model noticed (detected changes) since the last published reallocation: its reasons say it. */
  notes: string[];
  bucketsSeen: number;
  rounds: number;
  allocation: PortfolioAllocation;
  /** A decision whose events are not yet confirmed published. */
  pending: readonly ReallocationEvent[] | null;
}

export interface PipelineDeps {
  readonly config: Config;
  readonly allocations: AllocationSink;
  readonly deadLetters: DeadLetterSink;
  readonly signals: SignalBus;
  /** Wall clock: arrival times (for idle streams) and `receivedAt` on dead letters. */
  readonly now?: () => number;
  readonly log?: Logger;
}

export interface PortfolioView {
  readonly portfolio: PortfolioConfig;
  readonly allocation: PortfolioAllocation;
  readonly model: OnlineModelState | null;
  readonly modelProblem: string | null;
  readonly bucketsSeen: number;
  readonly watermark: number | null;
}

export interface Pipeline {
  handle(record: SourceRecord): Promise<void>;
  portfolio(id: string): PortfolioView | undefined;
  portfolioIds(): string[];
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { config, signals } = deps;
  const now = deps.now ?? Date.now;
  const directory = new PortfolioDirectory(config.portfolios);
  const bucketMs = config.ingest.bucketMinutes * 60_000;
  const maxJumpMs = config.ingest.maxEventTimeJumpHours * 3_600_000;
  const modelOptions = onlineModelOptions(config);
  const runtimes = new Map<string, PortfolioRuntime>();
  for (const p of config.portfolios) {
    runtimes.set(p.id, {
      config: p,
      buckets: new PortfolioBuckets(p.id, {
        bucketMs,
        latenessMs: config.ingest.allowedLatenessMinutes * 60_000,
        maxTrackedIds: config.ingest.maxTrackedEventIds,
        idleMs: config.ingest.idleStreamSeconds * 1000,
      }),
      model: null,
      modelProblem: null,
      notes: [],
      bucketsSeen: 0,
      rounds: 0,
      allocation: {
        version: 0,
        status: 'initial',
        budgets: initialBudgets(p),
        expectedRevenue: {},
        marginalRoi: {},
        reasons: {},
        summary: 'initial allocation: nothing observed yet',
        portfolioExpectedRevenue: NaN,
        effectiveFrom: null,
        effectiveUntil: null,
        decidedAt: null,
        solver: 'none',
        gap: null,
        binding: [],
      },
      pending: null,
    });
  }

  async function deadLetter(record: SourceRecord, rejected: Extract<Decoded, { ok: false }>): Promise<void> {
    try {
      await deps.deadLetters.send(deadLetterFor(record, rejected, now()));
    } catch (err) {
      throw new SpendflowError('PUBLISH_FAILED', `dead-letter publish failed: ${errorMessage(err)}`, { retriable: true, cause: err });
    }
    signals.emit({ type: 'dead_letter.sent', reason: rejected.reason });
  }

  async function flush(rt: PortfolioRuntime): Promise<void> {
    if (!rt.pending) return;
    try {
      await deps.allocations.publish(rt.pending);
    } catch (err) {
      throw new SpendflowError('PUBLISH_FAILED', `reallocation publish failed for ${rt.config.id}: ${errorMessage(err)}`, {
        retriable: true,
        cause: err,
      });
    }
    const perPlatform = new Map<string, number>();
    for (const e of rt.pending) perPlatform.set(e.platform, (perPlatform.get(e.platform) ?? 0) + 1);
    for (const [platform, count] of perPlatform) {
      signals.emit({ type: 'reallocation.published', portfolioId: rt.config.id, platform, count });
    }
    rt.pending = null;
  }

  function toEvents(rt: PortfolioRuntime, previous: PortfolioAllocation, next: PortfolioAllocation): ReallocationEvent[] {
    const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();
    const total = Object.values(next.budgets).reduce((s, v) => s + v, 0);
    return rt.config.channels.map((c) => ({
      eventId: `${rt.config.id}:${next.version}:${c.id}`,
      portfolioId: rt.config.id,
      channelId: c.id,
      platform: c.platform,
      currency: rt.config.currency,
      version: next.version,
      dataUntil: iso(next.version * 1000),
      budget: next.budgets[c.id] ?? 0,
      previousBudget: previous.budgets[c.id] ?? 0,
      effectiveFrom: iso(next.effectiveFrom),
      effectiveUntil: iso(next.effectiveUntil),
      expectedRevenue: round2(next.expectedRevenue[c.id] ?? Number.NaN),
      marginalRoi: round4(next.marginalRoi[c.id] ?? Number.NaN),
      portfolioBudget: Math.round(total * 100) / 100,
      portfolioExpectedRevenue: round2(next.portfolioExpectedRevenue),
      reason: next.reasons[c.id] ?? next.summary,
      solver: next.solver,
      gap: next.gap,
      decidedAt: iso(next.decidedAt),
    }));
  }

  async function reoptimize(rt: PortfolioRuntime): Promise<void> {
    const started = performance.now();
    rt.rounds++;
    // The draw is seeded by the data cut-off, so a replay after a restart explores alike; right
    // after a detected change the mean curves are used instead.
    const explore = config.model.exploration === 'thompson' && !recentlyChanged(rt.model)
      ? seededRandom(hashSeed(config.optimizer.seed, `thompson:${rt.config.id}:${rt.buckets.closedUntil}`))
      : null;
    const decision = decideReallocation({
      portfolio: rt.config,
      current: rt.allocation,
      model: rt.model,
      modelProblem: rt.modelProblem,
      bucketsSeen: rt.bucketsSeen,
      watermark: rt.buckets.watermark,
      bucketMs,
      config,
      round: rt.rounds,
      explore,
      notes: rt.notes,
      hold: recentlyChanged(rt.model, config.model.holdAfterChangeBuckets)
        ? `a change was detected; waiting ${config.model.holdAfterChangeBuckets} bucket(s) of new data before moving money`
        : null,
    });
    const previous = rt.allocation;
    if (decision.outcome === 'published') {
      // Versions come from event time (the data cut-off), not a counter: a replay after a restart
      // reproduces the same version for the same cut-off, and later decisions always rank higher.
      const next = { ...decision.allocation, version: Math.floor(rt.buckets.closedUntil / 1000) };
      rt.allocation = next;
      rt.pending = toEvents(rt, previous, next);
      rt.notes = [];
    } else {
      rt.allocation = decision.allocation;
    }
    signals.emit({
      type: 'reoptimized',
      portfolioId: rt.config.id,
      outcome: decision.outcome,
      solver: decision.allocation.solver,
      explored: decision.explored,
      durationSeconds: (performance.now() - started) / 1000,
    });
    await flush(rt);
  }

  /**
   * Only retriable failures (a publish that did not go through) leave here, so the source
   * delivers the record again. Anything else is a bug: the record is dead-lettered as `internal`
   * and the stream moves on rather than retrying it forever.
   */
  async function handle(record: SourceRecord): Promise<void> {
    try {
      await handleRecord(record);
    } catch (err) {
      if (isSpendflowError(err) && err.retriable) throw err;
      deps.log?.error('record failed; dead-lettered as internal', { topic: record.topic, offset: record.offset, error: errorMessage(err) });
      await deadLetter(record, { ok: false, reason: 'internal', error: `internal error: ${errorMessage(err)}`, problems: [] });
      signals.emit({ type: 'event.consumed', kind: record.kind, result: 'invalid' });
    }
  }

  async function handleRecord(record: SourceRecord): Promise<void> {
    const decoded = decodeRecord(record, directory, { maxEventBytes: config.ingest.maxEventBytes });
    if (!decoded.ok) {
      await deadLetter(record, decoded);
      signals.emit({ type: 'event.consumed', kind: record.kind, result: 'invalid' });
      return;
    }
    const rt = runtimes.get(decoded.event.portfolioId)!;
    await flush(rt);
    const latest = rt.buckets.latestEventTime;
    if (Number.isFinite(latest) && decoded.event.ts - latest > maxJumpMs) {
      const hours = Math.round((decoded.event.ts - latest) / 3_600_000);
      await deadLetter(record, {
        ok: false,
        reason: 'invalid',
        error: `ts: ${hours} h ahead of the portfolio's latest event time (at most ${config.ingest.maxEventTimeJumpHours} h)`,
        problems: [{ field: 'ts', message: `is ${hours} h ahead of the portfolio's latest event (${new Date(latest).toISOString()})` }],
      });
      signals.emit({ type: 'event.consumed', kind: decoded.event.kind, result: 'invalid' });
      return;
    }
    const arrivedAt = now();
    const result = rt.buckets.add(decoded.event, arrivedAt);
    if (result === 'late') {
      const bucketEnd = new Date(rt.buckets.closedUntil).toISOString();
      await deadLetter(record, {
        ok: false,
        reason: 'late',
        error: `ts: event time is before ${bucketEnd}, where buckets are already closed (allowed lateness ${config.ingest.allowedLatenessMinutes} min)`,
        problems: [{ field: 'ts', message: `is later than the allowed lateness: buckets before ${bucketEnd} are closed` }],
      });
    }
    signals.emit({ type: 'event.consumed', kind: decoded.event.kind, result });
    if (result !== 'accepted') return;
    const closed = rt.buckets.closeReady(arrivedAt);
    if (closed.length === 0) return;
    for (const bucket of closed) {
      signals.emit({ type: 'bucket.closed', portfolioId: rt.config.id, bucketStart: bucket.start });
      const step = stepPortfolioModel(rt.model, rt.config, bucket, modelOptions);
      rt.model = step.state;
      rt.modelProblem = step.ok ? null : step.problem;
      signals.emit({ type: 'model.updated', portfolioId: rt.config.id, ok: step.ok, durationSeconds: step.durationSeconds, rmse: step.ok ? step.report.rmse : Number.NaN });
      if (!step.ok) {
        deps.log?.warn('model update failed; holding the last allocation', { portfolioId: rt.config.id, bucketStart: bucket.start, problem: step.problem });
        continue;
      }
      for (const { event } of step.report.detected) {
        rt.notes.push(describeDrift(event));
        // Bounded: the latest few, and how many came before them.
        if (rt.notes.length > MAX_NOTES) rt.notes.splice(0, rt.notes.length - MAX_NOTES);
        signals.emit({ type: 'drift.detected', portfolioId: rt.config.id, components: event.components });
        deps.log?.info('response change detected', { portfolioId: rt.config.id, onset: new Date(event.onset).toISOString(), components: event.components, shift: event.shift });
      }
    }
    rt.bucketsSeen += closed.length;
    await reoptimize(rt);
  }

  return {
    handle,
    portfolio(id) {
      const rt = runtimes.get(id);
      if (!rt) return undefined;
      const wm = rt.buckets.watermark;
      return {
        portfolio: rt.config,
        allocation: rt.allocation,
        model: rt.model,
        modelProblem: rt.modelProblem,
        bucketsSeen: rt.bucketsSeen,
        watermark: Number.isFinite(wm) ? wm : null,
      };
    },
    portfolioIds: () => [...runtimes.keys()],
  };
}

// Non-finite figures go out as null, never as a number that looks like a measurement.
/** Detected changes kept for the next published reasons, at most. */
const MAX_NOTES = 3;

const round2 = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
const round4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10_000) / 10_000 : null);
