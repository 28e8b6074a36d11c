/**
 * Writes history points to a target (InfluxDB in production) off the pipeline's path: points go
 * into a bounded buffer and leave in batches, on a timer or as soon as a batch is full. A failed
 * write is retried with exponential backoff; when the buffer is full the oldest points make
 * room, and every point that never reaches the target is counted. The pipeline never waits for
 * the target and never sees its errors.
 */
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { HistoryPoint } from './influx-points.ts';

/** Why a target refused a write; `retriable: false` drops the batch at once (e.g. HTTP 400). */
export class HistoryWriteError extends Error {
  constructor(message: string, readonly retriable: boolean) {
    super(message);
    this.name = 'HistoryWriteError';
  }
}

/** Where history goes. The InfluxDB adapter and the in-memory fake share one contract test. */
export interface HistoryTarget {
  readonly name: string;
  /** Creates what writes need (database, retention policy) when missing. */
  prepare(): Promise<void>;
  /** Writes one batch, or throws (a HistoryWriteError says whether a retry can help). */
  write(points: readonly HistoryPoint[]): Promise<void>;
}

/** What the writer reports, for metrics. */
export interface HistoryStats {
  written(points: number): void;
  failed(): void;
  dropped(points: number, reason: 'buffer_full' | 'retries_exhausted' | 'rejected' | 'shutdown'): void;
  buffered(points: number): void;
}

export interface HistoryWriterOptions {
  readonly target: HistoryTarget;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBufferPoints: number;
  readonly maxRetries: number;
  readonly stats: HistoryStats;
  readonly log?: Logger;
  /** First retry delay; doubles per attempt up to `maxBackoffMs`. */
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
}

export class HistoryWriter {
  private buffer: HistoryPoint[] = [];
  /**
   * Halves of batches the target refused as malformed, written as they are until the bad points
   * are alone (then dropped): InfluxDB stores the good points of a batch and refuses the whole
   * request, so only this way do the counts say which points were lost.
   */
  private isolated: HistoryPoint[][] = [];
  private inFlight = 0;
  private writing: Promise<void> | null = null;
  private attempts = 0;
  private retryAt = 0;
  private prepared = false;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private failingSince: number | null = null;

  constructor(private readonly options: HistoryWriterOptions) {}

  /** Starts the flush timer (and prepares the target on the first write). */
  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.flushIntervalMs);
    this.timer.unref();
  }

  /** Queues points; never blocks, never throws. */
  add(points: readonly HistoryPoint[]): void {
    if (this.stopped || points.length === 0) return;
    for (const p of points) this.buffer.push(p);
    const overflow = this.waiting() + this.inFlight - this.options.maxBufferPoints;
    if (overflow > 0) {
      const drop = Math.min(overflow, this.buffer.length);
      this.buffer.splice(0, drop);
      this.options.stats.dropped(drop, 'buffer_full');
    }
    this.report();
    if (this.buffer.length >= this.options.batchSize) this.kick();
  }

  /** Points waiting or being written. */
  pending(): number {
    return this.waiting() + this.inFlight;
  }

  private waiting(): number {
    return this.buffer.length + this.isolated.reduce((n, b) => n + b.length, 0);
  }

  /** Writes until the buffer is empty or a write fails (then waits for nothing). */
  async flush(): Promise<void> {
    while (this.waiting() > 0 || this.writing) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      const ok = await this.writeBatch();
      if (!ok) return;
    }
  }

  /** Stops the timer and tries to write what is left for up to `timeoutMs`; the rest is dropped and counted. */
  async stop(timeoutMs: number): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.retryAt = 0;
    let timeout: NodeJS.Timeout | undefined;
    await Promise.race([this.flush(), new Promise<void>((resolve) => (timeout = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timeout);
    this.stopped = true;
    const left = this.waiting();
    if (left > 0) {
      this.buffer = [];
      this.isolated = [];
      this.options.stats.dropped(left, 'shutdown');
      this.options.log?.warn('history points not written at shutdown', { target: this.options.target.name, points: left });
    }
    this.report();
  }

  private kick(): void {
    if (this.writing || this.waiting() === 0 || Date.now() < this.retryAt) return;
    void this.writeBatch();
  }

  private report(): void {
    this.options.stats.buffered(this.pending());
  }

  /** One batch (an isolated one first, else the head of the buffer); true when it left (written, split or dropped for good). */
  private writeBatch(): Promise<boolean> {
    const isolated = this.isolated.shift();
    const batch = isolated ?? this.buffer.splice(0, this.options.batchSize);
    this.inFlight = batch.length;
    const run = this.send(batch, isolated !== undefined);
    this.writing = run.then(() => undefined);
    return run.finally(() => {
      this.writing = null;
      this.inFlight = 0;
      this.report();
      // A full batch that queued behind this write leaves now, not at the next tick.
      if (!this.stopped && (this.isolated.length > 0 || this.buffer.length >= this.options.batchSize)) this.kick();
    });
  }

  private async send(batch: HistoryPoint[], isolated: boolean): Promise<boolean> {
    const { target, stats, log } = this.options;
    try {
      if (!this.prepared) {
        await target.prepare();
        this.prepared = true;
      }
      await target.write(batch);
      stats.written(batch.length);
      if (this.failingSince !== null) log?.info('history writes recovered', { target: target.name, failingForMs: Date.now() - this.failingSince });
      this.failingSince = null;
      this.attempts = 0;
      this.retryAt = 0;
      return true;
    } catch (err) {
      stats.failed();
      const retriable = !(err instanceof HistoryWriteError) || err.retriable;
      // A target that lost its database (dropped, or a new server) needs preparing again.
      this.prepared = false;
      if (this.failingSince === null) {
        this.failingSince = Date.now();
        log?.warn('history write failed; buffering and retrying', { target: target.name, error: errorMessage(err), points: batch.length });
      }
      if (!retriable) {
        this.attempts = 0;
        if (batch.length > 1) {
          // Split until the refused points are alone; the good ones are written (again: InfluxDB
          // keeps one point per series and time, so a repeat changes nothing).
          if (!isolated) log?.error('history batch refused as malformed; isolating the bad points', { target: target.name, error: errorMessage(err), points: batch.length });
          const half = Math.ceil(batch.length / 2);
          this.isolated.unshift(batch.slice(0, half), batch.slice(half));
          return true;
        }
        stats.dropped(1, 'rejected');
        log?.warn('history point refused; dropped', { target: target.name, measurement: batch[0]!.measurement, tags: batch[0]!.tags, error: errorMessage(err) });
        return true;
      }
      if (this.stopped) {
        // In flight when stop() gave up: nothing will retry it, so it is counted here.
        stats.dropped(batch.length, 'shutdown');
        this.attempts = 0;
        return true;
      }
      this.attempts++;
      if (this.attempts > this.options.maxRetries) {
        stats.dropped(batch.length, 'retries_exhausted');
        log?.warn('history batch dropped after retries', { target: target.name, points: batch.length, retries: this.options.maxRetries });
        this.attempts = 0;
        this.retryAt = Date.now() + this.backoff(this.options.maxRetries);
        return false;
      }
      if (isolated) {
        this.isolated.unshift(batch);
        this.retryAt = Date.now() + this.backoff(this.attempts);
        return false;
      }
      // Back to the head of the buffer, keeping the bound (the oldest go first).
      this.buffer.unshift(...batch);
      const overflow = this.waiting() - this.options.maxBufferPoints;
      if (overflow > 0) {
        this.buffer.splice(0, overflow);
        stats.dropped(overflow, 'buffer_full');
      }
      this.retryAt = Date.now() + this.backoff(this.attempts);
      return false;
    }
  }

  private backoff(attempt: number): number {
    const base = this.options.initialBackoffMs ?? 250;
    const max = this.options.maxBackoffMs ?? 30_000;
    const delay = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
    // Jitter, so many instances do not retry in step after an outage.
    return delay * (0.75 + 0.5 * Math.random());
  }
}
