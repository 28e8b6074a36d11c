import type { InputEvent, InputKind } from '../events/types.ts';

/** Everything observed for one portfolio in one event-time bucket [start, end). */
export interface ClosedBucket {
  readonly portfolioId: string;
  readonly start: number;
  readonly end: number;
  /** Spend per channel id. Channels with no spend event in the bucket are absent. */
  readonly spend: Readonly<Record<string, number>>;
  readonly impressions: Readonly<Record<string, number>>;
  readonly clicks: Readonly<Record<string, number>>;
  readonly revenue: number;
  readonly orders: number;
  /** Revenue from sales events that named a channel. */
  readonly attributedRevenue: Readonly<Record<string, number>>;
  readonly spendEvents: number;
  readonly salesEvents: number;
}

export type AddResult = 'accepted' | 'duplicate' | 'late';

/** An open bucket as plain data (JSON-safe). */
export interface OpenBucketState {
  readonly start: number;
  readonly spend: Readonly<Record<string, number>>;
  readonly impressions: Readonly<Record<string, number>>;
  readonly clicks: Readonly<Record<string, number>>;
  readonly revenue: number;
  readonly orders: number;
  readonly attributedRevenue: Readonly<Record<string, number>>;
  readonly spendEvents: number;
  readonly salesEvents: number;
}

/** The same, as the tracker mutates it while the bucket is open. */
type OpenBucket = { -readonly [K in keyof OpenBucketState]: OpenBucketState[K] extends Readonly<Record<string, number>> ? Record<string, number> : OpenBucketState[K] };

/**
 * Everything a PortfolioBuckets holds except the seen event ids (those travel separately, as
 * deltas, since they are the bulk): JSON-safe, with null for "none yet" instead of ±Infinity.
 */
export interface BucketsState {
  readonly streamMax: Readonly<Record<InputKind, number | null>>;
  readonly streamArrival: Readonly<Record<InputKind, number | null>>;
  readonly firstArrival: number | null;
  readonly watermark: number | null;
  readonly closedUntil: number | null;
  readonly open: readonly OpenBucketState[];
}

/** Seen event ids grouped by the start of the bucket they counted in. */
export type SeenIds = ReadonlyMap<number, readonly string[]>;

const finiteOr = (v: number): number | null => (Number.isFinite(v) ? v : null);

function addTo(map: Record<string, number>, key: string, v: number): void {
  // Own keys only: a channel called "constructor" must not read Object's.
  map[key] = (Object.hasOwn(map, key) ? map[key]! : 0) + v;
}

const KINDS: readonly InputKind[] = ['spend', 'sales'];

/**
 * Event-time buckets of one portfolio. Spend and sales arrive on separate streams (topics, and
 * partitions within them) that a consumer may read at different paces, so each stream keeps its
 * own watermark (latest event time seen) and the portfolio's watermark is the slowest of them: a
 * bucket closes once both streams have passed its end plus the allowed lateness. A stream that
 * has delivered nothing for `idleMs` of arrival time (or was never seen in that long) stops
 * holding buckets open, so a portfolio without sales still progresses. Events for a closed bucket
 * are late; an event id seen before (within the retention horizon) is a duplicate and is not
 * counted twice. Pure: event time comes from the events, arrival time from the caller.
 */
export class PortfolioBuckets {
  readonly portfolioId: string;
  private readonly bucketMs: number;
  private readonly latenessMs: number;
  private readonly maxTrackedIds: number;
  private readonly idleMs: number;
  private readonly streamMax: Record<InputKind, number> = { spend: -Infinity, sales: -Infinity };
  private readonly streamArrival: Record<InputKind, number> = { spend: -Infinity, sales: -Infinity };
  private firstArrival = Infinity;
  private readonly open = new Map<number, OpenBucket>();
  /** eventId → start of the bucket it counted in, in insertion order. */
  private readonly seen = new Map<string, number>();
  /** The same ids by bucket start, each in the order first seen (for eviction by age). */
  private readonly seenByBucket = new Map<number, Set<string>>();
  /** Ids accepted since the last `takeNewIds`, by bucket start (only when tracking). */
  private fresh: Map<number, string[]> | null = null;
  private watermarkMs = -Infinity;
  /** Every bucket ending at or before this time is closed. */
  private closedUntilMs = -Infinity;

  constructor(portfolioId: string, options: { bucketMs: number; latenessMs: number; maxTrackedIds: number; idleMs: number; trackNewIds?: boolean }) {
    this.portfolioId = portfolioId;
    if (options.trackNewIds) this.fresh = new Map();
    this.idleMs = options.idleMs;
    this.bucketMs = options.bucketMs;
    this.latenessMs = options.latenessMs;
    this.maxTrackedIds = options.maxTrackedIds;
  }

  /** The portfolio's watermark as of the last `closeReady` call (-Infinity before any). */
  get watermark(): number {
    return this.watermarkMs;
  }

  /** The latest event time seen on any stream. */
  get latestEventTime(): number {
    return Math.max(this.streamMax.spend, this.streamMax.sales);
  }

  /** The slowest non-idle stream's latest event time, at arrival time `now`. */
  watermarkAt(now: number): number {
    let wm = Infinity;
    for (const kind of KINDS) {
      const idle = this.streamMax[kind] === -Infinity ? now - this.firstArrival > this.idleMs : now - this.streamArrival[kind] > this.idleMs;
      if (!idle) wm = Math.min(wm, this.streamMax[kind]);
    }
    return wm === Infinity ? this.latestEventTime : wm;
  }

  get closedUntil(): number {
    return this.closedUntilMs;
  }

  get trackedEventIds(): number {
    return this.seen.size;
  }

  get openBuckets(): number {
    return this.open.size;
  }

  /** Ids remembered for bucket starts before this time are forgotten (deltas older can go). */
  get forgetHorizon(): number {
    return this.closedUntilMs - Math.max(this.bucketMs, this.latenessMs);
  }

  toState(): BucketsState {
    return {
      streamMax: { spend: finiteOr(this.streamMax.spend), sales: finiteOr(this.streamMax.sales) },
      streamArrival: { spend: finiteOr(this.streamArrival.spend), sales: finiteOr(this.streamArrival.sales) },
      firstArrival: finiteOr(this.firstArrival),
      watermark: finiteOr(this.watermarkMs),
      closedUntil: finiteOr(this.closedUntilMs),
      open: [...this.open.values()].sort((a, b) => a.start - b.start).map((b) => structuredClone(b)),
    };
  }

  /** The remembered ids, by bucket start. */
  seenIds(): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const [id, start] of this.seen) {
      let list = out.get(start);
      if (!list) out.set(start, (list = []));
      list.push(id);
    }
    return out;
  }

  /** Ids accepted since the last call, by bucket start (empty unless built with trackNewIds). */
  takeNewIds(): Map<number, string[]> {
    const out = this.fresh ?? new Map<number, string[]>();
    if (this.fresh) this.fresh = new Map();
    return out;
  }

  /**
   * Replaces everything with a snapshot (`toState`) and the ids remembered with it. With
   * `restoredAt` (arrival clock), both streams count as just arrived: after an outage longer
   * than the idle timeout, the saved arrival times would make both look idle, and the first
   * stream to deliver its backlog would close every bucket ahead of the other's backlog.
   */
  restore(state: BucketsState, ids: SeenIds, restoredAt?: number): void {
    this.streamMax.spend = state.streamMax.spend ?? -Infinity;
    this.streamMax.sales = state.streamMax.sales ?? -Infinity;
    this.streamArrival.spend = state.streamArrival.spend ?? -Infinity;
    this.streamArrival.sales = state.streamArrival.sales ?? -Infinity;
    this.firstArrival = state.firstArrival ?? Infinity;
    if (restoredAt !== undefined) {
      for (const kind of KINDS) if (this.streamArrival[kind] !== -Infinity) this.streamArrival[kind] = Math.max(this.streamArrival[kind], restoredAt);
      if (this.firstArrival !== Infinity) this.firstArrival = Math.max(this.firstArrival, restoredAt);
    }
    this.watermarkMs = state.watermark ?? -Infinity;
    this.closedUntilMs = state.closedUntil ?? -Infinity;
    this.open.clear();
    for (const b of state.open) this.open.set(b.start, structuredClone(b) as OpenBucket);
    this.seen.clear();
    this.seenByBucket.clear();
    for (const start of [...ids.keys()].sort((a, b) => a - b)) {
      for (const id of ids.get(start)!) this.track(id, start);
    }
    if (this.fresh) this.fresh = new Map();
  }

  bucketStart(ts: number): number {
    return Math.floor(ts / this.bucketMs) * this.bucketMs;
  }

  /** Adds an event that arrived at `arrivedAt` (wall clock, ms). */
  add(event: InputEvent, arrivedAt: number): AddResult {
    if (arrivedAt < this.firstArrival) this.firstArrival = arrivedAt;
    this.streamArrival[event.kind] = Math.max(this.streamArrival[event.kind], arrivedAt);
    const start = this.bucketStart(event.ts);
    if (this.seen.has(event.eventId)) return 'duplicate';
    if (start < this.closedUntilMs) return 'late';
    let bucket = this.open.get(start);
    if (!bucket) {
      bucket = { start, spend: {}, impressions: {}, clicks: {}, revenue: 0, orders: 0, attributedRevenue: {}, spendEvents: 0, salesEvents: 0 };
      this.open.set(start, bucket);
    }
    if (event.kind === 'spend') {
      addTo(bucket.spend, event.channelId, event.amount);
      if (event.impressions !== undefined) addTo(bucket.impressions, event.channelId, event.impressions);
      if (event.clicks !== undefined) addTo(bucket.clicks, event.channelId, event.clicks);
      bucket.spendEvents++;
    } else {
      bucket.revenue += event.revenue;
      bucket.orders += event.orders;
      if (event.channelId !== undefined) addTo(bucket.attributedRevenue, event.channelId, event.revenue);
      bucket.salesEvents++;
    }
    this.remember(event.eventId, start);
    if (event.ts > this.streamMax[event.kind]) this.streamMax[event.kind] = event.ts;
    return 'accepted';
  }

  /** Closes, in time order, every open bucket whose end plus lateness the watermark has passed. */
  closeReady(now: number): ClosedBucket[] {
    this.watermarkMs = Math.max(this.watermarkMs, this.watermarkAt(now));
    const closable = this.bucketStart(this.watermarkMs - this.latenessMs);
    if (!(closable > this.closedUntilMs)) return [];
    const starts = [...this.open.keys()].filter((s) => s + this.bucketMs <= closable).sort((a, b) => a - b);
    const closed = starts.map((s) => this.freeze(this.open.get(s)!));
    for (const s of starts) this.open.delete(s);
    this.closedUntilMs = closable;
    this.forgetBefore(this.forgetHorizon);
    return closed;
  }

  private freeze(b: OpenBucket): ClosedBucket {
    return {
      portfolioId: this.portfolioId,
      start: b.start,
      end: b.start + this.bucketMs,
      spend: b.spend,
      impressions: b.impressions,
      clicks: b.clicks,
      revenue: b.revenue,
      orders: b.orders,
      attributedRevenue: b.attributedRevenue,
      spendEvents: b.spendEvents,
      salesEvents: b.salesEvents,
    };
  }

  private track(eventId: string, start: number): void {
    this.seen.set(eventId, start);
    let set = this.seenByBucket.get(start);
    if (!set) this.seenByBucket.set(start, (set = new Set()));
    set.add(eventId);
  }

  private remember(eventId: string, start: number): void {
    this.track(eventId, start);
    if (this.fresh) {
      let list = this.fresh.get(start);
      if (!list) this.fresh.set(start, (list = []));
      list.push(eventId);
    }
    // Bounded memory: past the cap, forget the first-seen id of the oldest closed bucket. Ids of
    // open buckets are kept even then, since forgetting them would let a redelivery count twice.
    // By bucket, not by arrival, so a restored copy (ids kept by bucket) forgets the same ones.
    if (this.seen.size > this.maxTrackedIds) {
      let oldest = Infinity;
      for (const s of this.seenByBucket.keys()) if (s < oldest && s < this.closedUntilMs) oldest = s;
      const set = this.seenByBucket.get(oldest);
      const first = set?.values().next();
      if (set && first && !first.done) {
        set.delete(first.value);
        this.seen.delete(first.value);
        if (set.size === 0) this.seenByBucket.delete(oldest);
      }
    }
  }

  private forgetBefore(time: number): void {
    for (const [start, set] of this.seenByBucket) {
      if (start >= time) continue;
      for (const id of set) this.seen.delete(id);
      this.seenByBucket.delete(start);
    }
  }
}
