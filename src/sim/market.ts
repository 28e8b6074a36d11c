/**
 * A deterministic, seeded market: turns per-channel budget plans into spend and sales events with
 * ground-truth response curves, adstock carry-over, seasonality and noise. Pure: no I/O, no clock;
 * time is epoch ms held in the simulator and advanced by `step()`, one tick at a time.
 *
 * Noise comes from one seeded sub-stream per (portfolio, channel) and one per portfolio for sales
 * (./streams.ts, labels `sim:<portfolio>:spend:<channel>` and `sim:<portfolio>:sales`), each drawn
 * a fixed number of times per tick whatever the plan, so adding a portfolio or changing a plan never
 * shifts other noise (and two runs differing only in plan see the same noise). Response effects
 * (./effects.ts) scale the media response and never touch the random streams, so a scenario with
 * effects draws exactly the noise of the same scenario without them.
 */
import type { ReallocationEvent } from '../events/types.ts';
import { SpendflowError } from '../errors.ts';
import { curveValue } from '../model/curves/registry.ts';
import type { Random } from '../random.ts';
import { responseFactorAt, scaleCurve, type ResponseEffect } from './effects.ts';
import { solveOracle } from './oracle.ts';
import { evenPlan, invalid, ownEntry, promote, readAllocation, type Allocation, type ChannelPlan } from './plans.ts';
import type { SimChannel, SimPortfolio, SimScenario } from './scenario.ts';
import { subStream } from './streams.ts';

export type { Allocation } from './plans.ts';

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

/**
 * The noise-free truth of one portfolio's last simulated tick, in revenue per tick: what the sales
 * event's revenue was drawn around (revenue = max(0, expectedRevenue·(1 + noise·z)), to cents).
 */
export interface TickTruth {
  /** Start of the tick, epoch ms (its events carry the tick's middle as `ts`). */
  readonly tickStart: number;
  /** baseline + media: the mean of the tick's revenue. */
  readonly expectedRevenue: number;
  /** Organic revenue of the tick: baseline · season factor at the tick's middle · tick/period. */
  readonly baseline: number;
  /** Σ curve(adstock) · response factor at the tick's middle · tick/period, at the spend actually realised. */
  readonly media: number;
  /** The spend realised in the tick by channel id (the spend events' amounts, in cents). */
  readonly spend: Record<string, number>;
}

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

interface ChannelState extends ChannelPlan {
  readonly channel: SimChannel;
  readonly rng: Random;
  /** adstockDecay converted to one tick: decay^(tick/period). */
  readonly tickDecay: number;
  /** The channel's effects ([] when stationary: the response is then never multiplied). */
  readonly effects: readonly ResponseEffect[];
  adstock: number;
}

/** The last tick's truth, overwritten in place by every step (read by `lastTickTruth`). */
interface LastTick {
  tickStart: number;
  expectedRevenue: number;
  baseline: number;
  media: number;
  readonly spend: Float64Array;
}

interface PortfolioState {
  readonly truth: SimPortfolio;
  readonly channels: readonly ChannelState[];
  readonly byId: ReadonlyMap<string, ChannelState>;
  readonly salesRng: Random;
  /** Tick length as a fraction of the period. */
  readonly fraction: number;
  readonly last: LastTick;
  /** Oracle solutions by bounds and response factors (the solve takes tens of ms). */
  readonly oracleCache: Map<string, readonly number[]>;
}

const cents = (v: number): number => Math.round(v * 100) / 100;
/** Distinct (bounds, factors) oracle solutions kept per portfolio; the oldest goes first. */
const ORACLE_CACHE_SIZE = 64;

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
        effects: channel.effects ?? [],
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
      last: { tickStart: NaN, expectedRevenue: NaN, baseline: NaN, media: NaN, spend: new Float64Array(channels.length) },
      oracleCache: new Map(),
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
    promote(state.channels, this.now());
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
    promote(state.channels, this.now());
    return channel.appliedVersion === event.version ? 'effective' : 'scheduled';
  }

  /** Advances one tick; returns its spend events (channel order) then its sales event, per portfolio in scenario order. */
  step(): SimRecord[] {
    const tickStart = this.now();
    const mid = tickStart + Math.floor(this.tickMs / 2);
    const ts = new Date(mid).toISOString();
    const day = this.dayOf(mid);
    const records: SimRecord[] = [];
    for (const state of this.portfolios.values()) {
      promote(state.channels, tickStart);
      const { truth, fraction, last } = state;
      let media = 0;
      for (const [i, c] of state.channels.entries()) {
        const zSpend = c.rng.normal();
        const zClicks = c.rng.normal();
        const amount = cents(Math.max(0, c.planned * fraction * (1 + truth.spendNoise * zSpend)));
        c.adstock = c.tickDecay * c.adstock + (1 - c.tickDecay) * (amount / fraction);
        const response = curveValue(c.channel.curve, c.adstock);
        media += c.effects.length === 0 ? response : response * responseFactorAt(c.effects, day);
        last.spend[i] = amount;
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
      const organic = truth.baseline * seasonFactor(truth, mid);
      const mean = (organic + media) * fraction;
      last.tickStart = tickStart;
      last.expectedRevenue = mean;
      last.baseline = organic * fraction;
      last.media = media * fraction;
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
   * The noise-free truth of the portfolio's last tick (see TickTruth): the mean its sales event was
   * drawn around, split into baseline and media, and the spend realised. Throws INPUT_INVALID
   * before the first `step()`. Cheap: reads numbers kept by `step()`.
   */
  lastTickTruth(portfolioId: string): TickTruth {
    const { truth, last } = this.state(portfolioId);
    if (this.tick === 0) throw invalid('lastTickTruth: no tick simulated yet (call step() first)');
    const spend: Record<string, number> = {};
    truth.channels.forEach((c, i) => {
      spend[c.id] = last.spend[i] ?? 0;
    });
    return { tickStart: last.tickStart, expectedRevenue: last.expectedRevenue, baseline: last.baseline, media: last.media, spend };
  }

  /**
   * The product of the channel's response effects at `time` (epoch ms): 1 for a stationary
   * channel, 0 during an outage. `step()` uses it at each tick's middle.
   */
  responseFactor(portfolioId: string, channelId: string, time: number): number {
    const channel = this.state(portfolioId).byId.get(channelId);
    if (!channel) throw invalid(`portfolio ${portfolioId} has no channel ${JSON.stringify(channelId)}`);
    return responseFactorAt(channel.effects, this.dayOf(time));
  }

  /**
   * Ground-truth expected revenue per period at a steady allocation: baseline (season factor 1)
   * plus every channel's curve at adstock = spend, times its response factor at `time` (default:
   * the market's start); no noise. Channels left out spend 0.
   */
  expectedRevenue(portfolioId: string, allocation: Allocation, time: number = this.start): number {
    const state = this.state(portfolioId);
    const x = readAllocation(state.truth, allocation, 'allocation', false);
    const day = this.dayOf(time);
    return state.channels.reduce((s, c, i) => {
      const response = curveValue(c.channel.curve, x[i] ?? 0);
      return s + (c.effects.length === 0 ? response : response * responseFactorAt(c.effects, day));
    }, state.truth.baseline);
  }

  /**
   * The true best split of the portfolio budget within the bounds (budget per period by channel)
   * for the response at `time` (default: the market's start): the curves scaled by the response
   * factors of that moment, so with effects this is the dynamic oracle that knows every change.
   * Channels missing from `bounds.min`/`bounds.max` use the scenario's min/max (else 0 / no cap).
   * Solutions are cached per (bounds, factors), so piecewise-constant effects solve once per piece.
   */
  oracleAllocation(portfolioId: string, bounds: OracleBounds = { min: {}, max: {} }, time: number = this.start): Record<string, number> {
    const state = this.state(portfolioId);
    const { truth } = state;
    const ids = new Set(truth.channels.map((c) => c.id));
    for (const [side, record] of [['min', bounds.min], ['max', bounds.max]] as const) {
      const unknown = Object.keys(record).find((id) => !ids.has(id));
      if (unknown !== undefined) throw invalid(`bounds.${side}: portfolio ${truth.id} has no channel ${JSON.stringify(unknown)}`);
    }
    const day = this.dayOf(time);
    const factors = state.channels.map((c) => responseFactorAt(c.effects, day));
    const min = truth.channels.map((c) => ownEntry(bounds.min, c.id) ?? c.min ?? 0);
    const max = truth.channels.map((c) => ownEntry(bounds.max, c.id) ?? c.max ?? Infinity);
    const key = `${min.join(',')}|${max.join(',')}|${factors.join(',')}`;
    let x = state.oracleCache.get(key);
    if (x === undefined) {
      x = solveOracle({ curves: truth.channels.map((c, i) => scaleCurve(c.curve, factors[i] ?? 1)), budget: truth.budget, min, max });
      if (state.oracleCache.size >= ORACLE_CACHE_SIZE) {
        const oldest = state.oracleCache.keys().next();
        if (!oldest.done) state.oracleCache.delete(oldest.value);
      }
      state.oracleCache.set(key, x);
    }
    const solution = x;
    return Object.fromEntries(truth.channels.map((c, i) => [c.id, solution[i] ?? 0]));
  }

  /** The ground-truth portfolio. */
  truth(portfolioId: string): SimPortfolio {
    return this.state(portfolioId).truth;
  }

  /** Days since the market's start (fractional); rejects a time that is not a finite number. */
  private dayOf(time: number): number {
    if (!Number.isFinite(time)) throw invalid(`time must be epoch milliseconds (got ${time})`);
    return (time - this.start) / DAY;
  }

  private state(portfolioId: string): PortfolioState {
    const state = this.portfolios.get(portfolioId);
    if (!state) throw new SpendflowError('PORTFOLIO_NOT_FOUND', `the simulator has no portfolio ${JSON.stringify(portfolioId)}`);
    return state;
  }
}
