/**
 * PortfolioBuckets state export: toState / seenIds → JSON → restore gives a PortfolioBuckets that
 * behaves exactly like the original from then on; takeNewIds hands out only the ids accepted since
 * the last take; ids of buckets before the forget horizon are forgotten once their buckets close.
 */
import { describe, expect, it } from 'vitest';
import type { InputEvent, SalesEvent, SpendEvent } from '../../../src/events/types.ts';
import { PortfolioBuckets, type BucketsState, type SeenIds } from '../../../src/ingest/buckets.ts';

const MIN = 60_000;
const H = 60 * MIN;
const L = 10 * MIN;
const IDLE = 30_000;
const T0 = Date.UTC(2026, 0, 5);

const spend = (id: string, ts: number, channelId: string, amount: number, over: Partial<SpendEvent> = {}): SpendEvent => ({
  kind: 'spend', eventId: id, portfolioId: 'p', channelId, platform: 'x', ts, amount, currency: 'EUR', ...over,
});
const sale = (id: string, ts: number, revenue: number, orders: number, over: Partial<SalesEvent> = {}): SalesEvent => ({
  kind: 'sales', eventId: id, portfolioId: 'p', ts, revenue, orders, ...over,
});

interface Options { latenessMs?: number; maxTrackedIds?: number; trackNewIds?: boolean }
const make = (o: Options = {}) =>
  new PortfolioBuckets('p', { bucketMs: H, latenessMs: o.latenessMs ?? L, maxTrackedIds: o.maxTrackedIds ?? 10_000, idleMs: IDLE, trackNewIds: o.trackNewIds ?? false });

/** What a snapshot store would write: plain JSON, the ids as [bucketStart, ids] pairs. */
function encode(b: PortfolioBuckets): string {
  return JSON.stringify({ state: b.toState(), ids: [...b.seenIds().entries()] });
}
function decode(text: string): { state: BucketsState; ids: SeenIds } {
  const parsed = JSON.parse(text) as { state: BucketsState; ids: [number, string[]][] };
  return { state: parsed.state, ids: new Map(parsed.ids) };
}
function roundTrip(b: PortfolioBuckets, o: Options = {}): PortfolioBuckets {
  const { state, ids } = decode(encode(b));
  const fresh = make(o);
  fresh.restore(state, ids);
  return fresh;
}

interface Step { event?: InputEvent; close?: true; at: number }

/** Feeds the same steps to both and returns every observable answer of each. */
function replay(b: PortfolioBuckets, steps: readonly Step[]): unknown[] {
  const out: unknown[] = [];
  for (const s of steps) {
    if (s.event) out.push(['add', s.event.eventId, b.add(s.event, s.at)]);
    if (s.close) out.push(['close', b.closeReady(s.at)]);
    out.push(['view', b.watermark, b.closedUntil, b.latestEventTime, b.watermarkAt(s.at), b.openBuckets, b.trackedEventIds, b.forgetHorizon]);
  }
  out.push(['state', b.toState(), [...b.seenIds().entries()].sort((x, y) => x[0] - y[0])]);
  return out;
}

/** A history with out-of-order events, a stream ahead of the other, closed and open buckets. */
function history(): Step[] {
  const steps: Step[] = [];
  let at = 1_000;
  const push = (event: InputEvent, close = true) => steps.push({ event, at: (at += 100), ...(close ? { close: true as const } : {}) });
  for (let h = 0; h < 5; h++) {
    push(spend(`s-${h}-a`, T0 + h * H + 5 * MIN, 'search', 10 + h, { impressions: 100, clicks: 3 }));
    push(spend(`s-${h}-b`, T0 + h * H + 40 * MIN, 'social', 7.25));
    push(sale(`o-${h}-a`, T0 + h * H + 20 * MIN, 30 + h, 2, { channelId: 'search' }));
    push(sale(`o-${h}-b`, T0 + h * H + 50 * MIN, 12.5, 1));
  }
  // Spend runs ahead into hour 7; sales stay in hour 5: buckets 5 and 6 are open with data.
  push(spend('ahead-1', T0 + 6 * H + 10 * MIN, 'search', 3));
  push(spend('ahead-2', T0 + 7 * H + 1 * MIN, 'display', 4));
  push(sale('late-sale-5', T0 + 5 * H + 2 * MIN, 9, 1));
  return steps;
}

/** What comes after the snapshot: redeliveries (open, last closed and old buckets), late, new, idle. */
function continuation(): Step[] {
  let at = 50_000;
  const s = (event: InputEvent, close = true): Step => ({ event, at: (at += 100), ...(close ? { close: true as const } : {}) });
  return [
    s(spend('s-4-a', T0 + 4 * H + 5 * MIN, 'search', 14)), // redelivery: hour 4 is open or the last closed
    s(spend('ahead-1', T0 + 6 * H + 10 * MIN, 'search', 3)), // redelivery of an open bucket's event
    s(spend('s-0-a', T0 + 5 * MIN, 'search', 10)), // redelivery of an old, forgotten bucket's event
    s(spend('new-old', T0 + 1 * H + 1 * MIN, 'search', 1)), // late
    s(sale('o-5-new', T0 + 5 * H + 30 * MIN, 5, 1)),
    s(sale('o-6-new', T0 + 6 * H + 30 * MIN, 5, 1)),
    s(sale('o-7-new', T0 + 7 * H + 30 * MIN, 5, 1)),
    s(spend('s-8', T0 + 8 * H + 20 * MIN, 'search', 8)),
    s(sale('o-8', T0 + 8 * H + 20 * MIN, 8, 1)),
    // Sales go silent: after IDLE of arrival time spend alone drives the watermark.
    { event: spend('s-10', T0 + 10 * H + 20 * MIN, 'search', 8), at: at + IDLE + 1, close: true },
    s(spend('s-8', T0 + 8 * H + 20 * MIN, 'search', 8)),
    s(sale('o-9', T0 + 9 * H + 30 * MIN, 8, 1)),
  ];
}

describe('PortfolioBuckets.toState / restore', () => {
  it('is JSON-safe: no ±Infinity, null for "none yet", and it survives JSON unchanged', () => {
    const empty = make().toState();
    expect(empty).toEqual({
      streamMax: { spend: null, sales: null },
      streamArrival: { spend: null, sales: null },
      firstArrival: null,
      watermark: null,
      closedUntil: null,
      open: [],
    });
    const b = make();
    replay(b, history());
    const state = b.toState();
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
    expect(state.closedUntil).not.toBeNull();
    expect(state.open.length).toBeGreaterThan(0);
  });

  it('a restored copy gives the same answers, closed buckets and state as the original for the same later events', () => {
    const a = make();
    replay(a, history());
    const b = roundTrip(a);
    expect(b.toState()).toEqual(a.toState());
    const later = continuation();
    const answersA = replay(a, later);
    const answersB = replay(b, later);
    expect(answersB).toEqual(answersA);
    // The continuation exercised every answer.
    const results = answersA.filter((x): x is ['add', string, string] => Array.isArray(x) && x[0] === 'add').map((x) => x[2]);
    expect(new Set(results)).toEqual(new Set(['accepted', 'duplicate', 'late']));
    expect(answersA.some((x) => Array.isArray(x) && x[0] === 'close' && (x[1] as unknown[]).length > 0)).toBe(true);
  });

  it('restoring the state of a fresh instance behaves like a fresh instance (idle timing included)', () => {
    const a = make();
    const b = roundTrip(make());
    expect(replay(b, continuation())).toEqual(replay(a, continuation()));
  });

  it('restores at every point of a history, not only at its end', () => {
    const steps = [...history(), ...continuation()];
    for (let cut = 0; cut <= steps.length; cut += 3) {
      const a = make();
      replay(a, steps.slice(0, cut));
      const b = roundTrip(a);
      expect(replay(b, steps.slice(cut)), `cut at step ${cut}`).toEqual(replay(a, steps.slice(cut)));
    }
  });

  it('restore replaces everything the instance held before', () => {
    const a = make();
    replay(a, history());
    const b = make();
    replay(b, continuation()); // unrelated data, to be overwritten
    const { state, ids } = decode(encode(a));
    b.restore(state, ids);
    expect(b.toState()).toEqual(a.toState());
    expect(b.seenIds()).toEqual(a.seenIds());
    expect(b.trackedEventIds).toBe(a.trackedEventIds);
  });

  it('a restored copy forgets ids in the same order as the original under the maxTrackedIds cap', () => {
    // 70 spend events of a far-ahead bucket come first, then the events of the bucket that closes.
    // The original remembers them in that order; the snapshot groups ids by bucket start.
    const o: Options = { maxTrackedIds: 75 };
    const a = make(o);
    let at = 1_000;
    for (let i = 0; i < 70; i++) a.add(spend(`far-${i}`, T0 + 2 * H + i, 'search', 1), (at += 1));
    a.add(sale('old-sale', T0 + 5 * MIN, 3, 1), (at += 1));
    a.add(spend('old-spend', T0 + 6 * MIN, 'search', 1), (at += 1));
    a.add(sale('tick', T0 + H + L, 0, 0), (at += 1));
    expect(a.closeReady(at).map((c) => c.start)).toEqual([T0]);
    const b = roundTrip(a, o);
    const later: Step[] = [];
    for (let i = 0; i < 5; i++) later.push({ event: spend(`more-${i}`, T0 + 2 * H + 100 + i, 'search', 1), at: (at += 1) });
    later.push({ event: sale('old-sale', T0 + 5 * MIN, 3, 1), at: (at += 1) });
    later.push({ event: spend('old-spend', T0 + 6 * MIN, 'search', 1), at: (at += 1) });
    expect(replay(b, later)).toEqual(replay(a, later));
  });
});

describe('PortfolioBuckets.seenIds / takeNewIds', () => {
  it('seenIds groups the remembered ids by the start of the bucket they counted in', () => {
    const b = make();
    b.add(spend('a', T0 + 1, 'x', 1), 1);
    b.add(sale('b', T0 + H + 1, 1, 1), 2);
    b.add(spend('c', T0 + 2, 'x', 1), 3);
    b.add(spend('a', T0 + 3, 'x', 1), 4); // duplicate: not remembered twice
    expect(b.seenIds()).toEqual(new Map([[T0, ['a', 'c']], [T0 + H, ['b']]]));
  });

  it('takeNewIds returns only the ids accepted since the last take', () => {
    const b = make({ trackNewIds: true });
    expect(b.takeNewIds()).toEqual(new Map());
    b.add(spend('a', T0 + 1, 'x', 1), 1);
    b.add(spend('b', T0 + H + 1, 'x', 1), 2);
    expect(b.takeNewIds()).toEqual(new Map([[T0, ['a']], [T0 + H, ['b']]]));
    expect(b.takeNewIds()).toEqual(new Map());
    b.add(spend('a', T0 + 1, 'x', 1), 3); // duplicate
    b.add(sale('c', T0 + H + 2, 1, 1), 4);
    expect(b.takeNewIds()).toEqual(new Map([[T0 + H, ['c']]]));
    // Close hour 0 and 1: a late event is not new either.
    b.add(spend('tick', T0 + 2 * H + L, 'x', 0), 5);
    b.add(sale('tick-s', T0 + 2 * H + L, 0, 0), 6);
    expect(b.closeReady(6).map((c) => c.start)).toEqual([T0, T0 + H]);
    expect(b.takeNewIds()).toEqual(new Map([[T0 + 2 * H, ['tick', 'tick-s']]]));
    expect(b.add(spend('too-late', T0 + 5, 'x', 1), 7)).toBe('late');
    expect(b.takeNewIds()).toEqual(new Map());
  });

  it('takeNewIds is always empty without trackNewIds, while seenIds still remembers', () => {
    const b = make();
    b.add(spend('a', T0 + 1, 'x', 1), 1);
    b.add(spend('b', T0 + 2, 'x', 1), 2);
    expect(b.takeNewIds()).toEqual(new Map());
    expect(b.seenIds()).toEqual(new Map([[T0, ['a', 'b']]]));
  });

  it('the ids restored from a snapshot are not new; ids accepted after the restore are', () => {
    const a = make({ trackNewIds: true });
    a.add(spend('a', T0 + 1, 'x', 1), 1);
    const b = roundTrip(a, { trackNewIds: true });
    expect(b.takeNewIds()).toEqual(new Map());
    expect(b.add(spend('a', T0 + 1, 'x', 1), 2)).toBe('duplicate');
    expect(b.add(spend('z', T0 + 2, 'x', 1), 3)).toBe('accepted');
    expect(b.takeNewIds()).toEqual(new Map([[T0, ['z']]]));
  });

  it('the deltas, pruned at the forget horizon, add up to seenIds', () => {
    const b = make({ trackNewIds: true });
    const kept = new Map<number, string[]>();
    for (const s of [...history(), ...continuation()]) {
      if (s.event) b.add(s.event, s.at);
      if (s.close) b.closeReady(s.at);
      for (const [start, ids] of b.takeNewIds()) kept.set(start, [...(kept.get(start) ?? []), ...ids]);
      for (const start of [...kept.keys()]) if (start < b.forgetHorizon) kept.delete(start);
    }
    const sorted = (m: Map<number, string[]>) => [...m.entries()].sort((x, y) => x[0] - y[0]);
    expect(sorted(kept)).toEqual(sorted(b.seenIds()));
  });
});

describe('PortfolioBuckets.forgetHorizon', () => {
  function closedThrough(hours: number, latenessMs = L): PortfolioBuckets {
    const b = make({ latenessMs });
    let at = 1;
    for (let h = 0; h <= hours; h++) {
      b.add(spend(`s${h}`, T0 + h * H + MIN, 'x', 1), at++);
      b.add(sale(`o${h}`, T0 + h * H + MIN, 1, 1), at++);
    }
    b.add(spend('tick', T0 + (hours + 1) * H + latenessMs, 'x', 0), at++);
    b.add(sale('tick-s', T0 + (hours + 1) * H + latenessMs, 0, 0), at++);
    b.closeReady(at);
    return b;
  }

  it('is the closed time minus one bucket (lateness shorter than a bucket), and older ids are forgotten', () => {
    const b = closedThrough(4);
    expect(b.closedUntil).toBe(T0 + 5 * H);
    expect(b.forgetHorizon).toBe(T0 + 4 * H);
    const starts = [...b.seenIds().keys()];
    expect(starts.length).toBeGreaterThan(0);
    for (const start of starts) expect(start).toBeGreaterThanOrEqual(b.forgetHorizon);
    expect(b.seenIds().get(T0 + 4 * H)).toEqual(['s4', 'o4']);
    // A forgotten id is now just late; a remembered one of a closed bucket is still a duplicate.
    expect(b.add(spend('s0', T0 + MIN, 'x', 1), 100)).toBe('late');
    expect(b.add(spend('s4', T0 + 4 * H + MIN, 'x', 1), 100)).toBe('duplicate');
  });

  it('keeps the lateness worth of closed buckets when the lateness is longer than a bucket', () => {
    const b = closedThrough(6, 150 * MIN);
    // The tick at 09:30 minus 150 min lateness closes everything before 07:00.
    expect(b.closedUntil).toBe(T0 + 7 * H);
    expect(b.forgetHorizon).toBe(T0 + 7 * H - 150 * MIN);
    for (const start of b.seenIds().keys()) expect(start).toBeGreaterThanOrEqual(b.forgetHorizon);
    expect(b.seenIds().has(T0 + 4 * H)).toBe(false);
    // Hours 5 and 6 are closed but within the lateness of the horizon: still remembered.
    expect(b.seenIds().get(T0 + 5 * H)).toEqual(['s5', 'o5']);
    expect(b.add(spend('s5', T0 + 5 * H + MIN, 'x', 1), 100)).toBe('duplicate');
  });

  it('is -Infinity before anything closed, and nothing is forgotten then', () => {
    const b = make();
    b.add(spend('a', T0 + 1, 'x', 1), 1);
    expect(b.forgetHorizon).toBe(-Infinity);
    expect(b.closeReady(2)).toEqual([]);
    expect(b.seenIds()).toEqual(new Map([[T0, ['a']]]));
  });
});
