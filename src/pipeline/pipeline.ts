/**
 * The reoptimizer loop: record in → decode → bucket → (bucket closed) model → reoptimize →
 * outputs. It owns the per-portfolio state and decides, for every record, what happens to it:
 * used, ignored as a duplicate, or dead-lettered with a reason.
 *
 * Processing is synchronous and side-effect free towards the outside: `process` appends what a
 * record produced (reallocation events, dead letters, signals) to an outbox. Whoever drives the
 * pipeline decides how the outbox leaves:
 *   - Kafka (src/stream/exactly-once-source.ts) takes it, together with the changed portfolios'
 *     state, and commits both with the consumed offsets in one transaction; on failure it
 *     restores the state from the state topic and reprocesses.
 *   - `handle` (embedded mode, tests) publishes it through the sinks; a failed publish keeps what
 *     was not published and retries it before anything else.
 * Signals leave with the outbox, so work that is rolled back is not counted.
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import { SpendflowError, errorMessage, isSpendflowError } from '../errors.ts';
import type { DeadLetter, ReallocationEvent } from '../events/types.ts';
import type { Logger } from '../log.ts';
import { PortfolioBuckets, type BucketsState, type SeenIds } from '../ingest/buckets.ts';
import { PortfolioDirectory, deadLetterFor, decodeRecord, type Decoded } from '../ingest/decode.ts';
import { checkEventTime } from '../ingest/event-time.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import type { AllocationSink, DeadLetterSink, SourceRecord } from '../ports.ts';
import { hashSeed, seededRandom } from '../random.ts';
import { initialBudgets, type PortfolioAllocation } from './allocation-state.ts';
import { describeDrift } from './drift-note.ts';
import { onlineModelOptions, recentlyChanged, stepPortfolioModel } from './portfolio-model.ts';
import { decideReallocation } from './reoptimize.ts';
import type { PipelineSignal, ReoptimizeOutcome, SignalBus } from './signals.ts';

/** What a portfolio decided and learned: the part of its state that changes when buckets close. */
export interface DecisionState {
  readonly model: OnlineModelState | null;
  readonly modelProblem: string | null;
  readonly notes: readonly string[];
  readonly bucketsSeen: number;
  readonly rounds: number;
  readonly allocation: PortfolioAllocation;
  /** The configuration version the state was built under. */
  readonly configVersion: number;
}

/** One portfolio's full state: what a restart needs to carry on exactly where it was. */
export interface PortfolioSnapshot {
  readonly decision: DecisionState | null;
  readonly ingest: BucketsState | null;
  readonly ids: SeenIds;
}

interface PortfolioRuntime {
  config: PortfolioConfig;
  configVersion: number;
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
  /** The kill switch: why the portfolio is paused, or null. */
  paused: string | null;
}

export interface Outbox {
  /** One entry per published decision, in decision order. */
  readonly reallocations: ReallocationEvent[][];
  readonly deadLetters: DeadLetter[];
  readonly signals: PipelineSignal[];
  /** Portfolios whose open buckets or seen ids changed. */
  readonly touched: Set<string>;
  /** Portfolios whose decision state (model, allocation) changed. */
  readonly decided: Set<string>;
}

const emptyOutbox = (): Outbox => ({ reallocations: [], deadLetters: [], signals: [], touched: new Set(), decided: new Set() });

export interface PipelineDeps {
  readonly config: Config;
  /** Where `handle` publishes; not needed when the driver takes the outbox itself. */
  readonly allocations?: AllocationSink;
  readonly deadLetters?: DeadLetterSink;
  readonly signals: SignalBus;
  /** Arrival time (for idle streams) and `receivedAt` on dead letters. */
  readonly now?: () => number;
  /**
   * Wall clock for the event-time bounds (too far in the future or the past). Null when there is
   * no meaningful wall clock (an offline evaluation in simulated time): only the jump from the
   * portfolio's latest event time is then checked. Default: Date.now.
   */
  readonly clock?: (() => number) | null;
  /**
   * The input partition a portfolio belongs to (its key's partition). When given, a record read
   * from another partition is dead-lettered as `wrong_partition`: its portfolio's state lives
   * with the instance that owns the right partition.
   */
  readonly partitionOf?: (portfolioId: string) => number;
  /** Keep the ids accepted since the last `takeNewIds` (for incremental state snapshots). */
  readonly incrementalIds?: boolean;
  /**
   * Whether a configured portfolio is live here from the start or when its configuration
   * arrives (default: all are). Kafka mode says no: a portfolio becomes live when its partition
   * is assigned and its state restored (`restore`), and leaves with `drop`.
   */
  readonly activate?: (portfolioId: string) => boolean;
  readonly log?: Logger;
}

export interface PortfolioView {
  readonly portfolio: PortfolioConfig;
  readonly configVersion: number;
  readonly allocation: PortfolioAllocation;
  readonly model: OnlineModelState | null;
  readonly modelProblem: string | null;
  readonly bucketsSeen: number;
  readonly watermark: number | null;
  readonly latestEventTime: number | null;
  readonly paused: boolean;
  readonly pausedReason: string | null;
}

export interface Pipeline {
  /** Processes one record into the outbox. Never throws for bad input; a bug dead-letters as `internal`. */
  process(record: SourceRecord, arrivedAt?: number): void;
  /** Everything produced since the last call, and a fresh outbox. */
  takeOutbox(): Outbox;
  /** Emits the signals of an outbox whose outputs have left (published or committed). */
  announce(outbox: Outbox): void;
  /** Publishes through the sinks: flush what is pending, process, flush. Rejects only retriably. */
  handle(record: SourceRecord): Promise<void>;
  /** Publishes an outbox through the sinks and announces it (what `handle` does after processing). */
  publish(outbox: Outbox): Promise<void>;
  portfolio(id: string): PortfolioView | undefined;
  portfolioIds(): string[];
  decisionState(id: string): DecisionState | undefined;
  ingestState(id: string): BucketsState | undefined;
  seenIds(id: string): Map<number, string[]>;
  /** Ids accepted since the last call, by bucket start (with `incrementalIds`). */
  takeNewIds(id: string): Map<number, string[]>;
  /** Bucket starts before this have no ids worth keeping any more. */
  idsForgetBefore(id: string): number;
  /** Replaces a portfolio's state with a snapshot, or resets it (null). Clears the outbox of it. */
  restore(id: string, snapshot: PortfolioSnapshot | null): void;
  /** Adds or replaces a portfolio's configuration. Returns what it kept and what it reset. */
  applyConfig(portfolio: PortfolioConfig, version: number): string;
  /** Forgets a portfolio (no longer owned here). */
  drop(id: string): void;
  setPaused(id: string, reason: string | null): void;
  /** Reoptimizes now on the current model (outputs into the outbox). */
  reoptimizeNow(id: string): { outcome: ReoptimizeOutcome; version: number; summary: string };
}

/** The allocation before anything is decided: the configured initial split, version 0. */
export function initialAllocation(portfolio: PortfolioConfig): PortfolioAllocation {
  return {
    version: 0,
    status: 'initial',
    budgets: initialBudgets(portfolio),
    expectedRevenue: {},
    marginalRoi: {},
    marginalRoiBefore: {},
    reasons: {},
    summary: 'initial allocation: nothing observed yet',
    portfolioExpectedRevenue: NaN,
    effectiveFrom: null,
    effectiveUntil: null,
    decidedAt: null,
    solver: 'none',
    gap: null,
    binding: [],
    guardrails: [],
  };
}

export function createPipeline(deps: PipelineDeps): Pipeline {
  const { config } = deps;
  const now = deps.now ?? Date.now;
  const clock = deps.clock === undefined ? Date.now : deps.clock;
  let directory = new PortfolioDirectory(config.portfolios);
  const bucketMs = config.ingest.bucketMinutes * 60_000;
  const modelOptions = onlineModelOptions(config);
  const activate = deps.activate ?? (() => true);
  /** Every known portfolio's configuration, version and pause state, live here or not. */
  const configs = new Map<string, { config: PortfolioConfig; version: number; paused: string | null }>();
  /** The portfolios live here. */
  const runtimes = new Map<string, PortfolioRuntime>();
  let outbox = emptyOutbox();
  /** Outputs `handle` could not publish yet: they go out before anything else. */
  let unpublished: Outbox | null = null;

  const newBuckets = (id: string) =>
    new PortfolioBuckets(id, {
      bucketMs,
      latenessMs: config.ingest.allowedLatenessMinutes * 60_000,
      maxTrackedIds: config.ingest.maxTrackedEventIds,
      idleMs: config.ingest.idleStreamSeconds * 1000,
      trackNewIds: deps.incrementalIds === true,
    });

  function freshRuntime(p: PortfolioConfig, version: number, paused: string | null = null): PortfolioRuntime {
    return {
      config: p,
      configVersion: version,
      buckets: newBuckets(p.id),
      model: null,
      modelProblem: null,
      notes: [],
      bucketsSeen: 0,
      rounds: 0,
      allocation: initialAllocation(p),
      paused,
    };
  }
  for (const p of config.portfolios) {
    configs.set(p.id, { config: p, version: 0, paused: null });
    if (activate(p.id)) runtimes.set(p.id, freshRuntime(p, 0));
  }

  const emit = (signal: PipelineSignal) => outbox.signals.push(signal);

  function deadLetter(record: SourceRecord, rejected: Extract<Decoded, { ok: false }>): void {
    outbox.deadLetters.push(deadLetterFor(record, rejected, now()));
    emit({ type: 'dead_letter.sent', reason: rejected.reason });
  }

  function toEvents(rt: PortfolioRuntime, previous: PortfolioAllocation, next: PortfolioAllocation): ReallocationEvent[] {
    const iso = (ms: number | null) => new Date(ms ?? 0).toISOString();
    const total = Object.values(next.budgets).reduce((s, v) => s + v, 0);
    const dataUntil = Number.isFinite(rt.buckets.closedUntil) ? rt.buckets.closedUntil : next.version * 1000;
    return rt.config.channels.map((c) => ({
      eventId: `${rt.config.id}:${next.version}:${c.id}`,
      portfolioId: rt.config.id,
      channelId: c.id,
      platform: c.platform,
      currency: rt.config.currency,
      version: next.version,
      previousVersion: previous.version,
      dataUntil: iso(dataUntil),
      budget: next.budgets[c.id] ?? 0,
      previousBudget: previous.budgets[c.id] ?? 0,
      effectiveFrom: iso(next.effectiveFrom),
      effectiveUntil: iso(next.effectiveUntil),
      expectedRevenue: round2(next.expectedRevenue[c.id] ?? Number.NaN),
      marginalRoi: round4(next.marginalRoi[c.id] ?? Number.NaN),
      portfolioBudget: Math.round(total * 100) / 100,
      portfolioExpectedRevenue: round2(next.portfolioExpectedRevenue),
      reason: next.reasons[c.id] ?? next.summary,
      guardrails: next.guardrails,
      solver: next.solver,
      gap: next.gap,
      decidedAt: iso(next.decidedAt),
    }));
  }

  function reoptimize(rt: PortfolioRuntime): { outcome: ReoptimizeOutcome; version: number; summary: string } {
    if (!Number.isFinite(rt.buckets.watermark)) {
      // No event seen yet: there is no period to decide for.
      return { outcome: 'learning', version: rt.allocation.version, summary: 'no data yet: nothing to decide' };
    }
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
      paused: rt.paused,
    });
    const previous = rt.allocation;
    if (decision.outcome === 'published') {
      // Versions come from event time (the data cut-off), not a counter: a replay after a restart
      // reproduces the same version for the same cut-off, and later decisions always rank higher.
      const cutoff = Number.isFinite(rt.buckets.closedUntil) ? Math.floor(rt.buckets.closedUntil / 1000) : 0;
      const next = { ...decision.allocation, version: Math.max(cutoff, previous.version + 1) };
      const events = toEvents(rt, previous, next);
      rt.allocation = next;
      outbox.reallocations.push(events);
      rt.notes = [];
    } else {
      rt.allocation = decision.allocation;
    }
    outbox.decided.add(rt.config.id);
    for (const kind of decision.allocation.guardrails) emit({ type: 'guardrail.intervened', portfolioId: rt.config.id, kind });
    emit({
      type: 'reoptimized',
      portfolioId: rt.config.id,
      outcome: decision.outcome,
      solver: decision.allocation.solver,
      explored: decision.explored,
      durationSeconds: (performance.now() - started) / 1000,
      allocation: rt.allocation,
      budget: rt.config.budget,
      at: Number.isFinite(rt.buckets.closedUntil) ? rt.buckets.closedUntil : rt.buckets.watermark,
    });
    return { outcome: decision.outcome, version: rt.allocation.version, summary: rt.allocation.summary };
  }

  function process(record: SourceRecord, arrivedAt = now()): void {
    const mark = { reallocations: outbox.reallocations.length, deadLetters: outbox.deadLetters.length, signals: outbox.signals.length };
    try {
      processRecord(record, arrivedAt);
    } catch (err) {
      // A bug, not bad input: whatever this record half-produced is dropped, the record is
      // dead-lettered as `internal` and the stream moves on rather than retrying it forever.
      outbox.reallocations.length = mark.reallocations;
      outbox.deadLetters.length = mark.deadLetters;
      outbox.signals.length = mark.signals;
      deps.log?.error('record failed; dead-lettered as internal', { topic: record.topic, offset: record.offset, error: errorMessage(err) });
      deadLetter(record, { ok: false, reason: 'internal', error: `internal error: ${errorMessage(err)}`, problems: [] });
      emit({ type: 'event.consumed', kind: record.kind, result: 'invalid' });
    }
  }

  function reject(record: SourceRecord, rejected: Extract<Decoded, { ok: false }>): void {
    deadLetter(record, rejected);
    emit({ type: 'event.consumed', kind: record.kind, result: rejected.reason === 'late' ? 'late' : 'invalid' });
  }

  function processRecord(record: SourceRecord, arrivedAt: number): void {
    const decoded = decodeRecord(record, directory, { maxEventBytes: config.ingest.maxEventBytes });
    if (!decoded.ok) return reject(record, decoded);
    const event = decoded.event;
    const rt = runtimes.get(event.portfolioId);
    if (!rt) {
      // Configured (the directory knew it) but not held here: dropped after a rebalance.
      return reject(record, { ok: false, reason: 'wrong_partition', error: `portfolioId: ${event.portfolioId} is not owned by this instance`, problems: [{ field: 'portfolioId', message: 'is not owned by this instance' }] });
    }
    if (deps.partitionOf && record.partition !== undefined) {
      const home = deps.partitionOf(event.portfolioId);
      if (home !== record.partition) {
        const message = `is on partition ${record.partition}, but portfolio ${event.portfolioId} belongs to partition ${home}: produce with the portfolioId as the key`;
        return reject(record, { ok: false, reason: 'wrong_partition', error: `portfolioId: ${message}`, problems: [{ field: 'portfolioId', message }] });
      }
    }
    const latest = rt.buckets.latestEventTime;
    const wall = clock ? clock() : Number.NaN;
    const problem = clock
      ? checkEventTime(event.ts, { latestEventTime: latest, wallNow: wall, maxJumpHours: config.ingest.maxEventTimeJumpHours, maxAgeHours: config.ingest.maxEventAgeHours })
      : Number.isFinite(latest)
        ? checkEventTime(event.ts, { latestEventTime: latest, wallNow: latest, maxJumpHours: config.ingest.maxEventTimeJumpHours, maxAgeHours: Infinity })
        : null;
    if (problem) return reject(record, { ok: false, reason: 'invalid', error: `${problem.field}: ${problem.message}`, problems: [problem] });

    const result = rt.buckets.add(event, arrivedAt);
    if (result === 'late') {
      const bucketEnd = new Date(rt.buckets.closedUntil).toISOString();
      return reject(record, {
        ok: false,
        reason: 'late',
        error: `ts: event time is before ${bucketEnd}, where buckets are already closed (allowed lateness ${config.ingest.allowedLatenessMinutes} min)`,
        problems: [{ field: 'ts', message: `is later than the allowed lateness: buckets before ${bucketEnd} are closed` }],
      });
    }
    emit({ type: 'event.consumed', kind: event.kind, result });
    if (result !== 'accepted') return;
    outbox.touched.add(rt.config.id);
    const closed = rt.buckets.closeReady(arrivedAt);
    if (closed.length === 0) return;
    for (const bucket of closed) {
      emit({ type: 'bucket.closed', portfolioId: rt.config.id, bucketStart: bucket.start, closedAt: performance.now() });
      const step = stepPortfolioModel(rt.model, rt.config, bucket, modelOptions);
      rt.model = step.state;
      rt.modelProblem = step.ok ? null : step.problem;
      emit({ type: 'model.updated', portfolioId: rt.config.id, ok: step.ok, durationSeconds: step.durationSeconds, rmse: step.ok ? step.report.rmse : Number.NaN });
      if (!step.ok) {
        deps.log?.warn('model update failed; holding the last allocation', { portfolioId: rt.config.id, bucketStart: bucket.start, problem: step.problem });
        continue;
      }
      emit({ type: 'bucket.modelled', portfolioId: rt.config.id, bucketStart: bucket.start, model: step.state, rmse: step.report.rmse });
      for (const { event: change } of step.report.detected) {
        rt.notes.push(describeDrift(change));
        // Bounded: the latest few, and how many came before them.
        if (rt.notes.length > MAX_NOTES) rt.notes.splice(0, rt.notes.length - MAX_NOTES);
        emit({ type: 'drift.detected', portfolioId: rt.config.id, components: change.components });
        deps.log?.info('response change detected', { portfolioId: rt.config.id, onset: new Date(change.onset).toISOString(), components: change.components, shift: change.shift });
      }
    }
    rt.bucketsSeen += closed.length;
    reoptimize(rt);
  }

  function takeOutbox(): Outbox {
    const out = outbox;
    outbox = emptyOutbox();
    return out;
  }

  function announce(out: Outbox): void {
    for (const signal of out.signals) deps.signals.emit(signal);
    for (const events of out.reallocations) {
      const perPlatform = new Map<string, number>();
      for (const e of events) perPlatform.set(e.platform, (perPlatform.get(e.platform) ?? 0) + 1);
      for (const [platform, count] of perPlatform) {
        deps.signals.emit({ type: 'reallocation.published', portfolioId: events[0]!.portfolioId, platform, count });
      }
    }
  }

  /** Publishes `pending` in order; on failure keeps what did not go out and rethrows (retriable). */
  async function publish(pending: Outbox): Promise<void> {
    if (!deps.allocations || !deps.deadLetters) throw new Error('pipeline.handle needs allocation and dead-letter sinks');
    while (pending.reallocations.length > 0) {
      const events = pending.reallocations[0]!;
      try {
        await deps.allocations.publish(events);
      } catch (err) {
        throw new SpendflowError('PUBLISH_FAILED', `reallocation publish failed for ${events[0]?.portfolioId}: ${errorMessage(err)}`, { retriable: true, cause: err });
      }
      pending.reallocations.shift();
      announce({ ...emptyOutbox(), reallocations: [events] });
    }
    while (pending.deadLetters.length > 0) {
      try {
        await deps.deadLetters.send(pending.deadLetters[0]!);
      } catch (err) {
        throw new SpendflowError('PUBLISH_FAILED', `dead-letter publish failed: ${errorMessage(err)}`, { retriable: true, cause: err });
      }
      pending.deadLetters.shift();
    }
    for (const signal of pending.signals.splice(0)) deps.signals.emit(signal);
  }

  async function handle(record: SourceRecord): Promise<void> {
    if (unpublished) {
      await publish(unpublished);
      unpublished = null;
    }
    process(record);
    const out = takeOutbox();
    try {
      await publish(out);
    } catch (err) {
      unpublished = out;
      if (isSpendflowError(err) && err.retriable) throw err;
      throw err;
    }
  }

  function view(rt: PortfolioRuntime): PortfolioView {
    const wm = rt.buckets.watermark;
    const latest = rt.buckets.latestEventTime;
    return {
      portfolio: rt.config,
      configVersion: rt.configVersion,
      allocation: rt.allocation,
      model: rt.model,
      modelProblem: rt.modelProblem,
      bucketsSeen: rt.bucketsSeen,
      watermark: Number.isFinite(wm) ? wm : null,
      latestEventTime: Number.isFinite(latest) ? latest : null,
      paused: rt.paused !== null,
      pausedReason: rt.paused,
    };
  }

  function runtime(id: string): PortfolioRuntime {
    const rt = runtimes.get(id);
    if (!rt) throw new SpendflowError(configs.has(id) ? 'NOT_OWNER' : 'PORTFOLIO_NOT_FOUND', configs.has(id) ? `portfolio "${id}" is not live on this instance` : `no portfolio "${id}"`);
    return rt;
  }

  function known(id: string) {
    const entry = configs.get(id);
    if (!entry) throw new SpendflowError('PORTFOLIO_NOT_FOUND', `no portfolio "${id}"`);
    return entry;
  }

  return {
    process,
    takeOutbox,
    announce,
    handle,
    publish,
    portfolio(id) {
      const rt = runtimes.get(id);
      return rt ? view(rt) : undefined;
    },
    portfolioIds: () => [...runtimes.keys()],
    decisionState(id) {
      const rt = runtimes.get(id);
      if (!rt) return undefined;
      return { model: rt.model, modelProblem: rt.modelProblem, notes: rt.notes, bucketsSeen: rt.bucketsSeen, rounds: rt.rounds, allocation: rt.allocation, configVersion: rt.configVersion };
    },
    ingestState: (id) => runtimes.get(id)?.buckets.toState(),
    seenIds: (id) => runtimes.get(id)?.buckets.seenIds() ?? new Map(),
    takeNewIds: (id) => runtimes.get(id)?.buckets.takeNewIds() ?? new Map(),
    idsForgetBefore: (id) => runtimes.get(id)?.buckets.forgetHorizon ?? -Infinity,
    restore(id, snapshot) {
      const current = known(id);
      const rt = freshRuntime(current.config, current.version, current.paused);
      if (snapshot?.ingest) rt.buckets.restore(snapshot.ingest, snapshot.ids, now());
      const d = snapshot?.decision;
      if (d) {
        rt.model = d.model;
        rt.modelProblem = d.modelProblem;
        rt.notes = [...d.notes];
        rt.bucketsSeen = d.bucketsSeen;
        rt.rounds = d.rounds;
        rt.allocation = d.allocation;
      }
      runtimes.set(id, rt);
      outbox.touched.delete(id);
      const kept = outbox.reallocations.filter((events) => events[0]?.portfolioId !== id);
      outbox.reallocations.splice(0, outbox.reallocations.length, ...kept);
      outbox.decided.delete(id);
      // A snapshot taken under another configuration version meets the current one now.
      if (d && d.configVersion !== current.version) {
        // The snapshot was taken under another configuration: compare with its channels.
        const snapshotChannels = Object.keys(d.allocation.budgets);
        adopt(rt, current.config, current.version, snapshotChannels);
      }
    },
    applyConfig(portfolio, version) {
      const entry = configs.get(portfolio.id);
      configs.set(portfolio.id, { config: portfolio, version, paused: entry?.paused ?? null });
      directory = new PortfolioDirectory([...configs.values()].map((e) => e.config));
      const rt = runtimes.get(portfolio.id);
      if (rt) return adopt(rt, portfolio, version);
      if (!activate(portfolio.id)) return 'not live on this instance';
      runtimes.set(portfolio.id, freshRuntime(portfolio, version, entry?.paused ?? null));
      outbox.decided.add(portfolio.id);
      return 'new portfolio';
    },
    drop(id) {
      runtimes.delete(id);
    },
    setPaused(id, reason) {
      known(id).paused = reason;
      const rt = runtimes.get(id);
      if (!rt) return;
      rt.paused = reason;
      outbox.decided.add(id);
      if (reason !== null) {
        rt.allocation = { ...rt.allocation, status: 'paused', summary: `paused (${reason}): holding the last allocation; the model keeps learning` };
      }
    },
    reoptimizeNow(id) {
      return reoptimize(runtime(id));
    },
  };

  /** Moves a portfolio to a new configuration, keeping what still applies. */
  function adopt(rt: PortfolioRuntime, portfolio: PortfolioConfig, version: number, previousChannels?: readonly string[]): string {
    const before = (previousChannels ?? rt.config.channels.map((c) => c.id)).join('\u0000');
    const after = portfolio.channels.map((c) => c.id).join('\u0000');
    rt.config = portfolio;
    rt.configVersion = version;
    outbox.decided.add(portfolio.id);
    if (before === after) {
      // Nothing decided yet: the initial split follows the new budget and bounds.
      if (rt.allocation.status === 'initial') rt.allocation = { ...initialAllocation(portfolio), version: rt.allocation.version };
      return 'model and allocation kept';
    }
    // Another channel set is another model: start learning afresh from the new initial split,
    // but keep the version line so the next reallocation still ranks above the last one.
    rt.model = null;
    rt.modelProblem = null;
    rt.notes = ['the channels changed, so the model started afresh'];
    rt.bucketsSeen = 0;
    rt.allocation = { ...initialAllocation(portfolio), version: rt.allocation.version };
    return 'channels changed: model reset, learning phase again';
  }
}

/** Detected changes kept for the next published reasons, at most. */
const MAX_NOTES = 3;

// Non-finite figures go out as null, never as a number that looks like a measurement.
const round2 = (v: number) => (Number.isFinite(v) ? Math.round(v * 100) / 100 : null);
const round4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10_000) / 10_000 : null);
