import { describe, expect, it } from 'vitest';
import type { InputEvent, SalesEvent, SpendEvent } from '../../../src/events/types.ts';
import { PortfolioBuckets } from '../../../src/ingest/buckets.ts';

const MIN = 60_000;
const H = 60 * MIN; // bucket length
const L = 10 * MIN; // allowed lateness
const IDLE = 24 * H; // arrival time after which a silent stream stops holding buckets open
const T0 = Date.UTC(2026, 0, 5); // a multiple of H
const NOW = Date.UTC(2026, 0, 5, 12); // arrival clock: fixed unless a test is about idleness

let counter = 0;
const spend = (ts: number, channelId: string, amount: number, over: Partial<SpendEvent> = {}): SpendEvent => ({
  kind: 'spend', eventId: `sp-${++counter}`, portfolioId: 'p', channelId, platform: 'x', ts, amount, currency: 'EUR', ...over,
});
const sale = (ts: number, revenue: number, orders: number, over: Partial<SalesEvent> = {}): SalesEvent => ({
  kind: 'sales', eventId: `sa-${++counter}`, portfolioId: 'p', ts, revenue, orders, ...over,
});

const buckets = (maxTrackedIds = 1000) => new PortfolioBuckets('p', { bucketMs: H, latenessMs: L, maxTrackedIds, idleMs: IDLE });

const addAll = (b: PortfolioBuckets, events: readonly InputEvent[], now = NOW) => events.map((e) => b.add(e, now));

/** Moves both streams' event time to `ts` with zero-valued events (which land in ts's bucket). */
function advance(b: PortfolioBuckets, ts: number, now = NOW): void {
  b.add(spend(ts, 'tick', 0), now);
  b.add(sale(ts, 0, 0), now);
}

describe('PortfolioBuckets: aggregation', () => {
  it('sums spend, impressions, clicks per channel and revenue, orders, attributed revenue per bucket', () => {
    const b = buckets();
    const results = addAll(b, [
      spend(T0 + 1, 'search', 10, { impressions: 100, clicks: 3 }),
      spend(T0 + 5 * MIN, 'search', 2.5, { clicks: 1 }),
      spend(T0 + 59 * MIN, 'social', 7, { impressions: 40 }),
      sale(T0 + 2, 30, 1),
      sale(T0 + 3, 12.5, 2, { channelId: 'search' }),
      sale(T0 + 4, 5, 1, { channelId: 'social' }),
      sale(T0 + 5, 1, 1, { channelId: 'search' }),
    ]);
    expect(results.every((r) => r === 'accepted')).toBe(true);
    advance(b, T0 + H + L);
    const [closed, ...rest] = b.closeReady(NOW);
    expect(rest).toEqual([]);
    expect(closed).toEqual({
      portfolioId: 'p', start: T0, end: T0 + H,
      spend: { search: 12.5, social: 7 },
      impressions: { search: 100, social: 40 },
      clicks: { search: 4 },
      revenue: 48.5, orders: 5,
      attributedRevenue: { search: 13.5, social: 5 },
      spendEvents: 3, salesEvents: 4,
    });
  });

  it('puts an event at exactly a bucket boundary into the later bucket', () => {
    const b = buckets();
    addAll(b, [spend(T0 + H - 1, 'a', 1), spend(T0 + H, 'a', 2)]);
    advance(b, T0 + 2 * H + L);
    expect(b.closeReady(NOW).map((c) => [c.start, c.spend['a']])).toEqual([[T0, 1], [T0 + H, 2]]);
  });
});

describe('PortfolioBuckets: closing', () => {
  it('closes a bucket exactly when the watermark reaches end + lateness, not one ms earlier', () => {
    const b = buckets();
    b.add(spend(T0 + 30 * MIN, 'a', 1), NOW);
    advance(b, T0 + H + L - 1);
    expect(b.closeReady(NOW)).toEqual([]);
    expect(b.watermark).toBe(T0 + H + L - 1);
    expect(b.openBuckets).toBe(2);
    advance(b, T0 + H + L);
    expect(b.closeReady(NOW).map((c) => [c.start, c.end])).toEqual([[T0, T0 + H]]);
    expect(b.openBuckets).toBe(1);
    expect(b.closedUntil).toBe(T0 + H);
    expect(b.closeReady(NOW)).toEqual([]); // nothing closes twice
  });

  it('closes several buckets at once, in time order, whatever order their events came in', () => {
    const b = buckets();
    const results = addAll(b, [spend(T0 + 2 * H + 5, 'a', 3), spend(T0 + 5, 'a', 1), spend(T0 + H + 5, 'a', 2)]);
    expect(results).toEqual(['accepted', 'accepted', 'accepted']);
    advance(b, T0 + 3 * H + L);
    const closed = b.closeReady(NOW);
    expect(closed.map((c) => c.start)).toEqual([T0, T0 + H, T0 + 2 * H]);
    expect(closed.map((c) => c.spend['a'])).toEqual([1, 2, 3]);
  });

  it('does not emit empty buckets in a gap', () => {
    const b = buckets();
    addAll(b, [spend(T0 + 1, 'a', 1), spend(T0 + 5 * H + 1, 'a', 2)]);
    advance(b, T0 + 6 * H + L);
    expect(b.closeReady(NOW).map((c) => c.start)).toEqual([T0, T0 + 5 * H]);
    expect(b.closedUntil).toBe(T0 + 6 * H);
  });

  it('waits for the slower stream: the watermark is the minimum of spend and sales', () => {
    const b = buckets();
    addAll(b, [spend(T0 + 1, 'a', 1), spend(T0 + 3 * H, 'a', 1), sale(T0 + 2, 5, 1)]);
    expect(b.latestEventTime).toBe(T0 + 3 * H);
    expect(b.closeReady(NOW)).toEqual([]);
    b.add(sale(T0 + H + L - 1, 0, 0), NOW);
    expect(b.closeReady(NOW)).toEqual([]);
    b.add(sale(T0 + H + L, 0, 0), NOW);
    expect(b.closeReady(NOW).map((c) => c.start)).toEqual([T0]);
  });

  it('never moves the watermark backwards, even when an idle stream wakes up behind it', () => {
    const b = buckets();
    b.add(spend(T0 + 3 * H, 'a', 1), NOW);
    b.closeReady(NOW + IDLE + 1); // sales never seen and idle: the watermark follows spend
    expect(b.watermark).toBe(T0 + 3 * H);
    expect(b.closedUntil).toBe(T0 + 2 * H);
    // Sales wake up with an old event time: the stream is live again but the watermark holds,
    // and its event for an already closed bucket is late.
    expect(b.add(sale(T0 + 5, 10, 1), NOW + IDLE + 2)).toBe('late');
    expect(b.add(sale(T0 + 2 * H + 5, 10, 1), NOW + IDLE + 2)).toBe('accepted');
    b.closeReady(NOW + IDLE + 2);
    expect(b.watermark).toBe(T0 + 3 * H);
  });
});

describe('PortfolioBuckets: idle streams', () => {
  it('a stream never seen stops holding buckets open once idleMs of arrival time has passed', () => {
    const b = buckets();
    addAll(b, [spend(T0 + 1, 'a', 1), spend(T0 + H + L, 'a', 1)], NOW);
    expect(b.closeReady(NOW + IDLE - 1)).toEqual([]);
    expect(b.closeReady(NOW + IDLE + 1).map((c) => c.start)).toEqual([T0]);
  });

  it('a stream that went quiet stops holding buckets open after idleMs', () => {
    const b = buckets();
    b.add(sale(T0 + 1, 5, 1), NOW);
    b.add(spend(T0 + 2, 'a', 1), NOW);
    b.add(spend(T0 + 2 * H, 'a', 1), NOW + IDLE - 1);
    expect(b.closeReady(NOW + IDLE - 1)).toEqual([]);
    b.add(spend(T0 + 2 * H + 1, 'a', 1), NOW + IDLE + 1);
    expect(b.closeReady(NOW + IDLE + 1).map((c) => c.start)).toEqual([T0]);
  });
});

describe('PortfolioBuckets: late events', () => {
  it('marks events for a closed bucket late, does not count them, and accepts the next open bucket', () => {
    const b = buckets();
    b.add(spend(T0 + 1, 'a', 1), NOW);
    advance(b, T0 + H + L);
    expect(b.closeReady(NOW)).toHaveLength(1);
    expect(b.add(spend(T0 + 30 * MIN, 'a', 100), NOW)).toBe('late');
    expect(b.add(sale(T0 + H - 1, 100, 1), NOW)).toBe('late');
    expect(b.add(spend(T0 + H, 'a', 5), NOW)).toBe('accepted'); // first instant of the open bucket
    advance(b, T0 + 2 * H + L);
    const closed = b.closeReady(NOW);
    expect(closed.map((c) => c.start)).toEqual([T0 + H]);
    expect(closed[0]!.spend['a']).toBe(5);
    expect(closed[0]!.revenue).toBe(0);
  });
});

describe('PortfolioBuckets: duplicates', () => {
  it('counts an event id once while its bucket is open', () => {
    const b = buckets();
    const e = spend(T0 + 1, 'a', 10);
    expect(b.add(e, NOW)).toBe('accepted');
    expect(b.add(e, NOW)).toBe('duplicate');
    expect(b.add({ ...e, amount: 999 }, NOW)).toBe('duplicate'); // same id, different body
    advance(b, T0 + H + L);
    expect(b.closeReady(NOW)[0]!.spend).toEqual({ a: 10 });
  });

  it('reports a duplicate arriving after its bucket closed (within retention) as duplicate, not counted again', () => {
    const b = buckets();
    const e = sale(T0 + 20 * MIN, 50, 1);
    b.add(e, NOW);
    advance(b, T0 + H + L);
    const first = b.closeReady(NOW);
    expect(first).toHaveLength(1);
    expect(b.add(e, NOW)).toBe('duplicate');
    advance(b, T0 + 2 * H + L);
    const second = b.closeReady(NOW);
    expect(second.map((c) => c.revenue)).toEqual([0]);
    expect(first[0]!.revenue + second.reduce((s, c) => s + c.revenue, 0)).toBe(50);
  });

  it('never counts a replayed event, even once its id has left retention', () => {
    const b = buckets();
    const e = spend(T0 + 1, 'a', 10);
    b.add(e, NOW);
    for (let i = 1; i <= 4; i++) advance(b, T0 + i * H + L);
    const closed = b.closeReady(NOW);
    expect(b.add(e, NOW)).not.toBe('accepted');
    advance(b, T0 + 10 * H);
    const total = [...closed, ...b.closeReady(NOW)].reduce((s, c) => s + (c.spend['a'] ?? 0), 0);
    expect(total).toBe(10);
  });

  it('does not let a duplicate move the event time', () => {
    const b = buckets();
    const e = spend(T0 + 5, 'a', 1);
    b.add(e, NOW);
    b.add(spend(T0 + 3, 'a', 1), NOW);
    b.add({ ...e, ts: T0 + 9 * H }, NOW); // same id, later time: still a duplicate
    expect(b.latestEventTime).toBe(T0 + 5);
  });
});

describe('PortfolioBuckets: bounded memory', () => {
  it('never tracks more than maxTrackedIds event ids plus those of open buckets', () => {
    const cap = 7;
    const b = buckets(cap);
    for (let i = 0; i < 200; i++) {
      b.add(i % 3 === 0 ? sale(T0 + i * 37 * MIN, 1, 1) : spend(T0 + i * 37 * MIN, 'a', 1), NOW);
      if (i % 5 === 0) b.closeReady(NOW);
      // At most two 60-minute buckets are open at 37-minute spacing and 10 minutes of lateness.
      expect(b.trackedEventIds).toBeLessThanOrEqual(cap + 6);
    }
    expect(b.trackedEventIds).toBeGreaterThan(0);
  });

  it('keeps every id of an open bucket past the cap, so a redelivery there is still a duplicate', () => {
    const b = buckets(3);
    const events = Array.from({ length: 50 }, (_, i) => spend(T0 + i, 'a', 1));
    for (const e of events) expect(b.add(e, NOW)).toBe('accepted');
    expect(b.trackedEventIds).toBe(50);
    expect(b.add(events[0]!, NOW)).toBe('duplicate');
  });
});
