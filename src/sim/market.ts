/**
 * A deterministic, seeded market: turns per-channel budget plans into spend and sales events with
 * ground-truth response curves, adstock carry-over, seasonality and noise. Pure: no I/O, no clock;
 * time is epoch ms held in the simulator and advanced by `step()`, one tick at a time.
 *
 * Noise comes from one seeded sub-stream per (portfolio, channel) and one per portfolio for sales
 * (./streams.ts, labels `sim:<portfolio>:spend:<channel>` and `sim:<portfolio>:sales`), each drawn
 * a fixed number of times per tick whatever the plan, so adding a portfolio or changing a plan never
 * shifts other noise (and two runs differing only in plan see the same noise).
 */
import type { ReallocationEvent } from '../events/types.ts';
import { SpendflowError } from '../errors.ts';
import { curveValue } from '../model/curves/registry.ts';
import type { Random } from '../random.ts';
import { evenSplit, solveOracle } from './oracle.ts';
import type { SimChannel, SimPortfolio, SimScenario } from './scenario.ts';
import { subStream } from './streams.ts';

export interface SpendWire {
  readonly eventId: string;
  readonly portfolioId: string;
  readonly channelId: string;
  readonly platform: string;
  /** ISO-8601, millisecond precision, UTC (`Z`): the middle of the tick. */
  readonly ts: string;
  /** Rounded to cents. */
  readonly amount: number;
  readonly currency: string;
  readonly impressions: number;
  readonly clicks: number;
}

/** Unattributed revenue of one portfolio in one tick. */
export interface SalesWire {
  readonly eventId: string;
  readonly portfolioId: string;
  readonly ts: string;
  /** Rounded to cents. */
  readonly revenue: number;
  readonly orders: number;
  readonly currency: string;
}

export type SimRecord =
  | { readonly topic: 'spend'; readonly key: string; readonly value: SpendWire }
  | { readonly topic: 'sales'; readonly key: string; readonly value: SalesWire };

/** Budgets per period by channel id. */
export type Allocation = Readonly<Record<string, number>>;

export interface MarketOptions {
  readonly seed: number;
  /** Simulated start time, epoch ms (aligned by the caller, e.g. to a period boundary). */
  readonly start: number;
  readonly tickMinutes: number;
  /** Per portfolio id, the starting plan; portfolios left out start from the clamped even split. */
  readonly initialPlan?: Readonly<Record<string, Allocation>>;
}

export interface OracleBounds {
  readonly min: Readonly<Record<string, number>>;
  readonly max: Readonly<Record<string, number>>;
}

/** What `applyReallocation` did: took effect now, queued for later, or ignored as not newer. */
export type ReallocationOutcome = 'effective' | 'scheduled' | 'stale';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const WEEK = 7 * DAY;
/** Daily sine crosses zero upwards at 14:00 UTC: peak 20:00 UTC, trough 08:00 UTC. */
const DAILY_PHASE = 14 * 60 * MINUTE;
/** Weekly sine crosses zero upwards on Friday 18:00 UTC (epoch is a Thursday): peak Sunday 12:00, trough Thursday 00:00. */
const WEEKLY_PHASE = 42 * 60 * MINUTE;

/**
 * season(t) = 1 + weeklyAmplitude·sin(2π(t − WEEKLY_PHASE)/week) + dailyAmplitude·sin(2π(t − DAILY_PHASE)/day).
 * Averages to exactly 1 over whole days/weeks.
 */
export function seasonFactor(portfolio: Pick<SimPortfolio, 'weeklyAmplitude' | 'dailyAmplitude'>, t: number): number {
  const weekly = Math.sin((2 * Math.PI * (t - WEEKLY_PHASE)) / WEEK);
  const daily = Math.sin((2 * Math.PI * (t - DAILY_PHASE)) / DAY);
  return 1 + portfolio.weeklyAmplitude * weekly + portfolio.dailyAmplitude * daily;
}

interface PendingPlan {
  readonly version: number;
  readonly effectiveFrom: number;
  readonly budget: number;
}

interface ChannelState {
  readonly channel: SimChannel;
  readonly rng: Random;
  /** adstockDecay converted to one tick: decay^(tick/period). */
  readonly tickDecay: number;
  planned: number;
  adstock: number;
  /** Newest version accepted (pending or effective); older or equal ones are stale. */
  newestVersion: number;
  /** Version of the plan in effect (−∞ for the initial plan). */
  appliedVersion: number;
  pending: PendingPlan[];
}

interface PortfolioState {
  readonly truth: SimPortfolio;
  readonly channels: readonly ChannelState[];
  readonly byId: ReadonlyMap<string, ChannelState>;
  readonly salesRng: Random;
  /** Tick length as a fraction of the period. */
  readonly fraction: number;
}

const cents = (v: number): number => Math.round(v * 100) / 100;

function invalid(message: string): SpendflowError {
  return new SpendflowError('INPUT_INVALID', message);
}

export class MarketSimulator {
  private readonly start: number;
  private readonly tickMs: number;
  private readonly portfolios: ReadonlyMap<string, PortfolioState>;
  private tick = 0;

  constructor(scenario: SimScenario, options: MarketOptions) {
    const { seed, start, tickMinutes } = options;
    if (!Number.isFinite(seed)) throw invalid(`seed must be a finite number (got ${seed})`);
    if (!Number.isSafeInteger(start) || start < 0) throw invalid(`start must be epoch milliseconds (got ${start})`);
    if (!Number.isFinite(tickMinutes) || tickMinutes <= 0) throw invalid(`tickMinutes must be > 0 (got ${tickMinutes})`);
    this.start = start;
    this.tickMs = Math.max(1, Math.round(tickMinutes * MINUTE));
    const known = new Set(scenario.portfolios.map((p) => p.id));
    for (const id of Object.keys(options.initialPlan ?? {})) {
      if (!known.has(id)) throw invalid(`initialPlan: unknown portfolio ${JSON.stringify(id)}`);
    }
    this.portfolios = new Map(
      scenario.portfolios.map((p) => [p.id, this.initState(p, seed, ownEntry(options.initialPlan ?? {}, p.id))]),
    );
  }

  private initState(truth: SimPortfolio, seed: number, plan: Allocation | undefined): PortfolioState {
    const fraction = this.tickMs / (truth.periodMinutes * MINUTE);
    const initial = plan ? readAllocation(truth, plan, 'initialPlan', true) : evenPlan(truth);
    const channels = truth.channels.map((channel, i): ChannelState => {
      const planned = initial[i] ?? 0;
      return {
        channel,
        rng: subStream(seed, `sim:${truth.id}:spend:${channel.id}`),
        tickDecay: Math.pow(channel.adstockDecay, fraction),
        planned,
        adstock: planned,
        newestVersion: -Infinity,
        appliedVersion: -Infinity,
        pending: [],
      };
    });
    return {
      truth,
      channels,
      byId: new Map(channels.map((c) => [c.channel.id, c])),
      salesRng: subStream(seed, `sim:${truth.id}:sales`),
      fraction,
    };
  }

  /** Simulated time: the start of the next tick, epoch ms. */
  now(): number {
    return this.start + this.tick * this.tickMs;
  }

  /** Ticks simulated so far. */
  get tickIndex(): number {
    return this.tick;
  }

  get portfolioIds(): string[] {
    return [...this.portfolios.keys()];
  }

  /** The plan in effect now (budget per period by channel id). */
  plannedBudget(portfolioId: string): Record<string, number> {
    const state = this.state(portfolioId);
    promote(state, this.now());
    return Object.fromEntries(state.channels.map((c) => [c.channel.id, c.planned]));
  }

  /**
   * Plans `event.budget` per period for that channel from `Date.parse(event.effectiveFrom)` on (the
   * first tick starting at or after it; `effectiveUntil` is not used: a plan holds until replaced).
   * A version not newer than the newest accepted for that portfolio and channel is ignored.
   */
  applyReallocation(event: ReallocationEvent): ReallocationOutcome {
    const state = this.state(event.portfolioId);
    const channel = state.byId.get(event.channelId);
    if (!channel) {
      throw new SpendflowError('INPUT_INVALID', `portfolio ${event.portfolioId} has no channel ${JSON.stringify(event.channelId)}`);
    }
    const effectiveFrom = Date.parse(event.effectiveFrom);
    if (Number.isNaN(effectiveFrom)) throw invalid(`effectiveFrom is not a date-time: ${JSON.stringify(event.effectiveFrom)}`);
    if (!Number.isFinite(event.budget) || event.budget < 0) throw invalid(`budget must be a finite number >= 0 (got ${event.budget})`);
    if (!Number.isFinite(event.version)) throw invalid(`version must be a finite number (got ${event.version})`);
    if (event.version <= channel.newestVersion) return 'stale';
    channel.newestVersion = event.version;
    channel.pending.push({ version: event.version, effectiveFrom, budget: event.budget });
    promote(state, this.now());
    return channel.appliedVersion === event.version ? 'effective' : 'scheduled';
  }

  /** Advances one tick; returns its spend events (channel order) then its sales event, per portfolio in scenario order. */
  step(): SimRecord[] {
    const tickStart = this.now();
    const mid = tickStart + Math.floor(this.tickMs / 2);
    const ts = new Date(mid).toISOString();
    const records: SimRecord[] = [];
    for (const state of this.portfolios.values()) {
      promote(state, tickStart);
      const { truth, fraction } = state;
      let media = 0;
      for (const c of state.channels) {
        const zSpend = c.rng.normal();
        const zClicks = c.rng.normal();
        const amount = cents(Math.max(0, c.planned * fraction * (1 + truth.spendNoise * zSpend)));
        c.adstock = c.tickDecay * c.adstock + (1 - c.tickDecay) * (amount / fraction);
        media += curveValue(c.channel.curve, c.adstock);
        const impressions = Math.round((amount * 1000) / c.channel.cpm);
        const meanClicks = impressions * c.channel.ctr;
        const sdClicks = Math.sqrt(meanClicks * (1 - c.channel.ctr));
        const clicks = Math.min(impressions, Math.max(0, Math.round(meanClicks + sdClicks * zClicks)));
        const value: SpendWire = {
          eventId: `sim:${truth.id}:${tickStart}:spend:${c.channel.id}`,
          portfolioId: truth.id,
          channelId: c.channel.id,
          platform: c.channel.platform,
          ts,
          amount,
          currency: truth.currency,
          impressions,
          clicks,
        };
        records.push({ topic: 'spend', key: truth.id, value });
      }
      const zRevenue = state.salesRng.normal();
      const mean = (truth.baseline * seasonFactor(truth, mid) + media) * fraction;
      const revenue = cents(Math.max(0, mean * (1 + truth.noise * zRevenue)));
      const value: SalesWire = {
        eventId: `sim:${truth.id}:${tickStart}:sales`,
        portfolioId: truth.id,
        ts,
        revenue,
        orders: Math.max(0, Math.round(revenue / truth.averageOrderValue)),
        currency: truth.currency,
      };
      records.push({ topic: 'sales', key: truth.id, value });
    }
    this.tick++;
    return records;
  }

  /**
   * Ground-truth expected revenue per period at a steady allocation: baseline (season factor 1)
   * plus every channel's curve at adstock = spend; no noise. Channels left out spend 0.
   */
  expectedRevenue(portfolioId: string, allocation: Allocation): number {
    const { truth } = this.state(portfolioId);
    const x = readAllocation(truth, allocation, 'allocation', false);
    return truth.channels.reduce((s, c, i) => s + curveValue(c.curve, x[i] ?? 0), truth.baseline);
  }

  /**
   * The true best split of the portfolio budget within the bounds (budget per period by channel).
   * Channels missing from `bounds.min`/`bounds.max` use the scenario's min/max (else 0 / no cap).
   */
  oracleAllocation(portfolioId: string, bounds: OracleBounds = { min: {}, max: {} }): Record<string, number> {
    const { truth } = this.state(portfolioId);
    const ids = new Set(truth.channels.map((c) => c.id));
    for (const [side, record] of [['min', bounds.min], ['max', bounds.max]] as const) {
      const unknown = Object.keys(record).find((id) => !ids.has(id));
      if (unknown !== undefined) throw invalid(`bounds.${side}: portfolio ${truth.id} has no channel ${JSON.stringify(unknown)}`);
    }
    const x = solveOracle({
      curves: truth.channels.map((c) => c.curve),
      budget: truth.budget,
      min: truth.channels.map((c) => ownEntry(bounds.min, c.id) ?? c.min ?? 0),
      max: truth.channels.map((c) => ownEntry(bounds.max, c.id) ?? c.max ?? Infinity),
    });
    return Object.fromEntries(truth.channels.map((c, i) => [c.id, x[i] ?? 0]));
  }

  /** The ground-truth portfolio. */
  truth(portfolioId: string): SimPortfolio {
    return this.state(portfolioId).truth;
  }

  private state(portfolioId: string): PortfolioState {
    const state = this.portfolios.get(portfolioId);
    if (!state) throw new SpendflowError('PORTFOLIO_NOT_FOUND', `the simulator has no portfolio ${JSON.stringify(portfolioId)}`);
    return state;
  }
}

/** Makes every pending plan due at `time` effective, in order of time then version; drops those superseded. */
function promote(state: PortfolioState, time: number): void {
  for (const c of state.channels) {
    if (c.pending.length === 0) continue;
    const due = c.pending.filter((p) => p.effectiveFrom <= time);
    if (due.length === 0) continue;
    due.sort((a, b) => a.effectiveFrom - b.effectiveFrom || a.version - b.version);
    for (const plan of due) {
      if (plan.version > c.appliedVersion) {
        c.planned = plan.budget;
        c.appliedVersion = plan.version;
      }
    }
    c.pending = c.pending.filter((p) => p.effectiveFrom > time && p.version > c.appliedVersion);
  }
}

function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Allocation → numbers in channel order; unknown channels are errors, missing ones 0 (or errors when `complete`). */
function readAllocation(truth: SimPortfolio, allocation: Allocation, what: string, complete: boolean): number[] {
  const ids = new Set(truth.channels.map((c) => c.id));
  const unknown = Object.keys(allocation).find((id) => !ids.has(id));
  if (unknown !== undefined) throw invalid(`${what}: portfolio ${truth.id} has no channel ${JSON.stringify(unknown)}`);
  return truth.channels.map((c) => {
    const v = ownEntry(allocation, c.id);
    if (v === undefined && !complete) return 0;
    if (v === undefined || !Number.isFinite(v) || v < 0) {
      throw invalid(`${what}.${truth.id}.${c.id} must be a finite number >= 0 (got ${v})`);
    }
    return v;
  });
}

/** The budget split evenly, clamped into the scenario's channel bounds. */
function evenPlan(truth: SimPortfolio): number[] {
  return evenSplit(truth.budget, truth.channels.map((c) => c.min ?? 0), truth.channels.map((c) => c.max ?? Infinity));
}
