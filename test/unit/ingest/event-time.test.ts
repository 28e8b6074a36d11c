import { describe, expect, it } from 'vitest';
import { checkEventTime, type EventTimeContext } from '../../../src/ingest/event-time.ts';

const H = 3_600_000;
const WALL = Date.UTC(2026, 0, 5, 10);
const ctx = (over: Partial<EventTimeContext> = {}): EventTimeContext => ({
  latestEventTime: -Infinity, wallNow: WALL, maxJumpHours: 168, maxAgeHours: 17520, ...over,
});

describe('checkEventTime: accepted', () => {
  it('accepts times between the bounds, both bounds included', () => {
    for (const ts of [WALL, WALL - H, WALL + 168 * H, WALL - 17520 * H]) expect(checkEventTime(ts, ctx())).toBeNull();
  });

  it('measures the future from the latest event time when it is ahead of the wall clock', () => {
    const latest = WALL + 100 * H;
    expect(checkEventTime(latest + 168 * H, ctx({ latestEventTime: latest }))).toBeNull();
  });

  it('measures the future from the wall clock when the latest event time is behind it', () => {
    expect(checkEventTime(WALL + 100 * H, ctx({ latestEventTime: WALL - 1000 * H }))).toBeNull();
  });
});

describe('checkEventTime: too far in the future', () => {
  it('rejects the first event of a portfolio in year 2099 (no latest event time: the wall clock bounds it)', () => {
    const problem = checkEventTime(Date.UTC(2099, 11, 31), ctx());
    expect(problem?.field).toBe('ts');
    expect(problem?.message).toMatch(/hours ahead of the wall clock \(2026-01-05T10:00:00\.000Z\); the limit is 168 hours \(ingest\.maxEventTimeJumpHours\)/);
  });

  it('says by how many hours, never rounding down to the limit', () => {
    expect(checkEventTime(WALL + 200 * H, ctx())?.message).toMatch(/^is 200\.0 hours ahead/);
    expect(checkEventTime(WALL + 168 * H + 1, ctx())?.message).toMatch(/^is 168\.1 hours ahead/);
  });

  it('names the latest event time when that is the reference', () => {
    const latest = WALL + 50 * H;
    const problem = checkEventTime(latest + 170 * H, ctx({ latestEventTime: latest }));
    expect(problem?.message).toMatch(/^is 170\.0 hours ahead of the portfolio's latest event time \(2026-01-07T12:00:00\.000Z\)/);
  });

  it('rejects a jump from an old latest event time only when it also jumps ahead of the wall clock', () => {
    expect(checkEventTime(WALL + 169 * H, ctx({ latestEventTime: WALL - 5000 * H }))?.message).toMatch(/ahead of the wall clock/);
  });
});

describe('checkEventTime: too far in the past', () => {
  it('rejects a time older than maxAgeHours by the wall clock, saying by how much and the limit', () => {
    const problem = checkEventTime(WALL - 20000 * H, ctx());
    expect(problem).toEqual({
      field: 'ts',
      message: 'is 20000.0 hours before the wall clock (2026-01-05T10:00:00.000Z); the limit is 17520 hours (ingest.maxEventAgeHours)',
    });
  });

  it('judges the past by the wall clock, not by the latest event time', () => {
    expect(checkEventTime(WALL - 10 * H, ctx({ latestEventTime: WALL + 100 * H, maxAgeHours: 24 }))).toBeNull();
    expect(checkEventTime(WALL - 25 * H, ctx({ latestEventTime: WALL - 30 * H, maxAgeHours: 24 }))?.message).toMatch(/^is 25\.0 hours before/);
  });

  it('rejects epoch 0 and a non-finite time', () => {
    expect(checkEventTime(0, ctx())?.field).toBe('ts');
    expect(checkEventTime(Number.NaN, ctx())?.message).toMatch(/finite/);
    expect(checkEventTime(Infinity, ctx())?.message).toMatch(/finite/);
  });
});
