/**
 * The history writer on the in-memory target, with fake timers (the clock moves only when a test
 * moves it, so backoff and intervals are asserted exactly) and Math.random pinned to 0.5 where
 * a test asserts backoff delays (the jitter factor is then exactly 1).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { HistoryWriteError, HistoryWriter, type HistoryWriterOptions } from '../../../src/telemetry/history-writer.ts';
import type { HistoryPoint } from '../../../src/telemetry/influx-points.ts';
import { FakeHistoryTarget, recordingStats } from '../../support/fake-history-target.ts';

const T0 = Date.parse('2026-12-01T00:00:00Z');

/** Points n.. of a bucket series, one minute apart; `revenue` is the point's number. */
const points = (count: number, from = 0): HistoryPoint[] =>
  Array.from({ length: count }, (_, i) => ({ measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: from + i }, timestamp: T0 + (from + i) * 60_000 }));

const numbers = (batch: readonly HistoryPoint[]) => batch.map((p) => p.fields['revenue']);

function setup(options: Partial<HistoryWriterOptions> = {}) {
  const target = new FakeHistoryTarget();
  const { counts, stats } = recordingStats();
  const writer = new HistoryWriter({ target, batchSize: 3, flushIntervalMs: 100, maxBufferPoints: 100, maxRetries: 5, stats, initialBackoffMs: 1_000, maxBackoffMs: 60_000, ...options });
  const stored = () => target.read('bucket').map((p) => p.fields['revenue']);
  const written = () => target.attempts.map((a) => numbers(a.points));
  return { target, counts, writer, stored, written };
}

/** Lets pending promise callbacks run (and timers due now fire) without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(T0 + 3_600_000);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('HistoryWriter batching', () => {
  it('writes batches of at most batchSize, oldest first', async () => {
    const { writer, counts, written, stored } = setup({ batchSize: 3 });
    writer.start();
    writer.add(points(7));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(written()).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(stored()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(counts).toMatchObject({ written: 7, failed: 0, dropped: {}, buffered: 0 });
  });

  it('a full batch leaves at once; a partial one waits for the flush interval', async () => {
    const { writer, written } = setup({ batchSize: 3, flushIntervalMs: 10_000 });
    writer.start();
    writer.add(points(2));
    await settle();
    expect(written()).toEqual([]);
    writer.add(points(1, 2));
    await settle();
    expect(written()).toEqual([[0, 1, 2]]);
    writer.add(points(2, 3));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(written()).toEqual([[0, 1, 2]]);
    await vi.advanceTimersByTimeAsync(1);
    expect(written()).toEqual([[0, 1, 2], [3, 4]]);
  });

  it('a full batch that queued behind a slow write leaves as soon as that write ends', async () => {
    const { writer, target, written } = setup({ batchSize: 3, flushIntervalMs: 10_000 });
    writer.start();
    const release = target.hang();
    writer.add(points(3));
    writer.add(points(3, 3));
    await settle();
    expect(written()).toEqual([[0, 1, 2]]);
    release();
    await settle();
    expect(written()).toEqual([[0, 1, 2], [3, 4, 5]]);
  });

  it('stats.buffered follows the points waiting or being written', async () => {
    const { writer, target, counts } = setup({ batchSize: 3, flushIntervalMs: 10_000 });
    writer.start();
    writer.add(points(2));
    expect([writer.pending(), counts.buffered]).toEqual([2, 2]);
    const release = target.hang();
    writer.add(points(2, 2));
    await settle();
    // Three in flight, one waiting.
    expect([writer.pending(), counts.buffered]).toEqual([4, 4]);
    release();
    await settle();
    expect([writer.pending(), counts.buffered]).toEqual([1, 1]);
    await vi.advanceTimersByTimeAsync(10_000);
    expect([writer.pending(), counts.buffered]).toEqual([0, 0]);
  });
});

describe('HistoryWriter failures', () => {
  it('retries a retriable failure with doubling backoff, capped at maxBackoffMs, keeping the points in order', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { writer, target, counts, written, stored } = setup({ batchSize: 2, initialBackoffMs: 1_000, maxBackoffMs: 3_000 });
    for (let i = 0; i < 3; i++) target.failures.push(new HistoryWriteError('HTTP 503', true));
    writer.start();
    const start = Date.now();
    writer.add(points(4));
    await vi.advanceTimersByTimeAsync(20_000);
    expect(target.attempts.map((a) => a.at - start)).toEqual([0, 1_000, 3_000, 6_000, 6_000]);
    expect(written()).toEqual([[0, 1], [0, 1], [0, 1], [0, 1], [2, 3]]);
    expect(stored()).toEqual([0, 1, 2, 3]);
    expect(counts).toMatchObject({ written: 4, failed: 3, dropped: {} });
  });

  it('jitters each backoff within ±25% (plus at most one flush interval until the timer notices)', async () => {
    const { writer, target } = setup({ batchSize: 1, flushIntervalMs: 10, initialBackoffMs: 1_000, maxRetries: 5 });
    for (let i = 0; i < 5; i++) target.failures.push(new HistoryWriteError('HTTP 503', true));
    writer.start();
    writer.add(points(1));
    await vi.advanceTimersByTimeAsync(60_000);
    const times = target.attempts.map((a) => a.at);
    expect(times).toHaveLength(6);
    times.slice(1).forEach((t, i) => {
      const delay = 1_000 * 2 ** i;
      expect(t - times[i]!).toBeGreaterThanOrEqual(0.75 * delay);
      expect(t - times[i]!).toBeLessThanOrEqual(1.25 * delay + 10);
    });
  });

  it('a plain Error (not a HistoryWriteError) counts as retriable', async () => {
    const { writer, target, counts, stored } = setup();
    target.failures.push(new Error('socket hang up'));
    writer.start();
    writer.add(points(3));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(stored()).toEqual([0, 1, 2]);
    expect(counts).toMatchObject({ failed: 1, written: 3, dropped: {} });
  });

  it('a batch refused as malformed is split until the refused points are alone: only they are dropped, as rejected', async () => {
    const { writer, counts, written, stored } = setup({ batchSize: 8 });
    writer.start();
    writer.add(points(4));
    await vi.advanceTimersByTimeAsync(200);
    // Point 5 turns `revenue` into a string: a field type conflict, which InfluxDB refuses (400)
    // while storing the rest of the batch.
    const batch = points(8, 4).map((p, i) => (i === 1 ? { ...p, fields: { revenue: 'five' } } : p));
    writer.add(batch);
    await vi.advanceTimersByTimeAsync(200);
    // 8 → 4 + 4 → (2 + 2) + 4 → (1 + 1) + 2 + 4: four refused requests, and point 5 alone at the end.
    expect(written()).toEqual([[0, 1, 2, 3], [4, 'five', 6, 7, 8, 9, 10, 11], [4, 'five', 6, 7], [4, 'five'], [4], ['five'], [6, 7], [8, 9, 10, 11]]);
    expect(counts).toMatchObject({ written: 4 + 7, failed: 4, dropped: { rejected: 1 }, buffered: 0 });
    expect(stored()).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11]);
  });

  it('a scripted refusal of a whole batch is split and written in halves; the next batch does not wait', async () => {
    const { writer, target, counts, written, stored } = setup();
    target.failures.push(new HistoryWriteError('HTTP 400: field type conflict', false));
    writer.start();
    writer.add(points(3));
    await settle();
    expect(counts).toMatchObject({ failed: 1, written: 3, dropped: {}, buffered: 0 });
    writer.add(points(3, 3));
    await settle();
    expect(written()).toEqual([[0, 1, 2], [0, 1], [2], [3, 4, 5]]);
    expect(stored()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('a batch whose maxRetries run out is dropped as retries_exhausted; later points still go', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { writer, target, counts, stored } = setup({ maxRetries: 2, initialBackoffMs: 100 });
    for (let i = 0; i < 3; i++) target.failures.push(new HistoryWriteError('HTTP 503', true));
    writer.start();
    writer.add(points(3));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(target.attempts).toHaveLength(3);
    expect(counts).toMatchObject({ failed: 3, dropped: { retries_exhausted: 3 }, written: 0, buffered: 0 });
    writer.add(points(3, 3));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(stored()).toEqual([3, 4, 5]);
  });

  it('after an outage writes resume, and prepare() runs again (also when the database was lost)', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const { writer, target, counts, stored } = setup({ initialBackoffMs: 100 });
    writer.start();
    writer.add(points(3));
    await settle();
    expect(target.prepares).toBe(1);
    target.down = true;
    writer.add(points(3, 3));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(counts.failed).toBeGreaterThan(1);
    expect(writer.pending()).toBe(3);
    const preparesWhileDown = target.prepares;
    target.down = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stored()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(target.prepares).toBe(preparesWhileDown + 1);

    target.dropDatabase();
    writer.add(points(3, 6));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stored()).toEqual([6, 7, 8]);
    expect(target.prepares).toBe(preparesWhileDown + 2);
    expect(writer.pending()).toBe(0);
  });
});

describe('HistoryWriter buffer bound', () => {
  it('over maxBufferPoints the oldest points make room (counted buffer_full); the buffer never grows past the bound', async () => {
    const { writer, target, counts, stored } = setup({ batchSize: 100, maxBufferPoints: 10, initialBackoffMs: 100 });
    target.down = true;
    writer.start();
    for (let i = 0; i < 25; i++) {
      writer.add(points(1, i));
      expect(writer.pending()).toBeLessThanOrEqual(10);
      if (i % 5 === 0) await vi.advanceTimersByTimeAsync(150);
    }
    await vi.advanceTimersByTimeAsync(1_000);
    expect(writer.pending()).toBe(10);
    expect(counts.maxBuffered).toBe(10);
    expect(counts.dropped).toEqual({ buffer_full: 15 });
    target.down = false;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(stored()).toEqual([15, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect(counts).toMatchObject({ written: 10, buffered: 0 });
  });

  it('points in flight count towards the bound, and a failed batch coming back does not break it', async () => {
    const { writer, target, counts } = setup({ batchSize: 4, maxBufferPoints: 10 });
    writer.start();
    const release = target.hang();
    writer.add(points(4));
    await settle();
    expect(target.attempts).toHaveLength(1);
    writer.add(points(10, 4));
    expect(writer.pending()).toBe(10);
    expect(counts.dropped).toEqual({ buffer_full: 4 });
    release(new HistoryWriteError('timeout', true));
    await settle();
    expect(writer.pending()).toBe(10);
    expect(counts.maxBuffered).toBe(10);
    expect(counts.failed).toBe(1);
  });

  it('add() never throws and never waits, even while the target hangs', async () => {
    const { writer, target, counts } = setup({ batchSize: 50, maxBufferPoints: 500 });
    writer.start();
    target.hang();
    for (let i = 0; i < 100; i++) {
      expect(writer.add(points(20, i * 20))).toBeUndefined();
      expect(writer.pending()).toBeLessThanOrEqual(500);
    }
    expect(() => writer.add([])).not.toThrow();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(target.attempts).toHaveLength(1);
    expect(counts.dropped['buffer_full']).toBe(2_000 - 500);
    expect(writer.pending()).toBe(500);
  });
});

describe('HistoryWriter.stop', () => {
  it('writes what is buffered without waiting for the interval; add() after stop is ignored', async () => {
    const { writer, counts, stored } = setup({ batchSize: 3, flushIntervalMs: 60_000 });
    writer.start();
    writer.add(points(5));
    await writer.stop(1_000);
    expect(stored()).toEqual([0, 1, 2, 3, 4]);
    expect(counts).toMatchObject({ written: 5, dropped: {}, buffered: 0 });
    expect(() => writer.add(points(1, 5))).not.toThrow();
    expect(writer.pending()).toBe(0);
  });

  it('with the target down, gives up at once and counts what is left as shutdown', async () => {
    const { writer, target, counts } = setup({ batchSize: 3, flushIntervalMs: 60_000 });
    target.down = true;
    writer.start();
    writer.add(points(5));
    let stopped = false;
    void writer.stop(10_000).then(() => (stopped = true));
    await settle();
    expect(stopped).toBe(true);
    expect(counts.dropped).toEqual({ shutdown: 5 });
    expect(writer.pending()).toBe(0);
  });

  it('with the target hanging, returns after the timeout; no point is left uncounted, however the hung write ends', async () => {
    for (const outcome of ['succeeds', 'fails', 'fails while down'] as const) {
      const { writer, target, counts } = setup({ batchSize: 3, flushIntervalMs: 60_000 });
      writer.start();
      const release = target.hang();
      writer.add(points(5));
      let stopped = false;
      void writer.stop(1_000).then(() => (stopped = true));
      await vi.advanceTimersByTimeAsync(999);
      expect(stopped).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(stopped).toBe(true);
      if (outcome === 'fails while down') target.down = true;
      release(outcome === 'succeeds' ? undefined : new HistoryWriteError('timeout', true));
      await vi.advanceTimersByTimeAsync(60_000);
      // Every point is accounted for exactly once: written, or dropped at shutdown.
      expect(counts.written + (counts.dropped['shutdown'] ?? 0), outcome).toBe(5);
      if (outcome === 'succeeds') expect(counts.written).toBe(3);
      expect(writer.pending(), outcome).toBe(0);
      expect(counts.buffered, outcome).toBe(0);
    }
  });
});
