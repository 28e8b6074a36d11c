/**
 * An in-memory HistoryTarget with InfluxDB 1.x's write semantics, as measured on Debian's
 * influxd 1.6 through the `influx` client (test/support/history-target-contract.ts runs the same
 * suite against both):
 * - writing before `prepare()` fails retriably (InfluxDB answers 404 "database not found");
 * - a point is identified by measurement, tag set and time: writing it again merges its fields
 *   into the stored ones, the newer value of each field winning;
 * - a batch is written point by point: a point with an empty tag value ("missing tag value"),
 *   one older than the retention policy, or one whose field type conflicts with the type already
 *   stored for that field in its shard (a shard group is one day for a 30-day policy) is refused,
 *   the other points are written, and the write fails with a non-retriable error (HTTP 400,
 *   "partial write"); so is a point without fields or with a NaN or infinite field.
 * For writer tests it can also be switched down (retriable failures), made to hang, fail with
 * scripted errors, or lose its database.
 */
import { HistoryWriteError, type HistoryStats, type HistoryTarget } from '../../src/telemetry/history-writer.ts';
import type { HistoryPoint } from '../../src/telemetry/influx-points.ts';

export interface StoredPoint {
  readonly time: number;
  readonly tags: Record<string, string>;
  readonly fields: Record<string, number | string>;
}

export interface FakeHistoryTargetOptions {
  /** How long points are kept (the retention policy's duration); default 30 days. */
  readonly retentionMs?: number;
  /** Shard group duration (field types are fixed per shard); default one day. */
  readonly shardMs?: number;
  /** Wall clock for the retention check. */
  readonly now?: () => number;
}

const DAY = 86_400_000;

export class FakeHistoryTarget implements HistoryTarget {
  readonly name = 'fake history target';
  /** While true, prepare() and write() fail as if the server were unreachable. */
  down = false;
  /** Errors the next write() calls throw, in order (before anything else is checked). */
  readonly failures: Error[] = [];
  /** Calls of prepare() (successful or not). */
  prepares = 0;
  /** Every batch write() was called with, and when (Date.now()), successful or not. */
  readonly attempts: { readonly points: readonly HistoryPoint[]; readonly at: number }[] = [];
  private database = false;
  private readonly series = new Map<string, { measurement: string; point: StoredPoint }>();
  /** Field type per "measurement\0field\0shard". */
  private readonly types = new Map<string, 'float' | 'string'>();
  private hanging: { release: (error?: Error) => void; promise: Promise<void> } | null = null;
  private readonly retentionMs: number;
  private readonly shardMs: number;
  private readonly now: () => number;

  constructor(options: FakeHistoryTargetOptions = {}) {
    this.retentionMs = options.retentionMs ?? 30 * DAY;
    this.shardMs = options.shardMs ?? DAY;
    this.now = options.now ?? Date.now;
  }

  async prepare(): Promise<void> {
    this.prepares++;
    if (this.down) throw new HistoryWriteError('preparing database: connect ECONNREFUSED (fake)', true);
    this.database = true;
  }

  async write(points: readonly HistoryPoint[]): Promise<void> {
    this.attempts.push({ points: [...points], at: Date.now() });
    if (this.hanging) await this.hanging.promise;
    const scripted = this.failures.shift();
    if (scripted) throw scripted;
    if (this.down) throw new HistoryWriteError('writing: No host available (fake)', true);
    if (!this.database) throw new HistoryWriteError('writing: database not found (fake, HTTP 404)', true);
    const refused: string[] = [];
    for (const p of points) {
      const problem = this.store(p);
      if (problem) refused.push(problem);
    }
    if (refused.length > 0) throw new HistoryWriteError(`partial write: ${refused.join('; ')} (fake, HTTP 400)`, false);
  }

  /** From now on every write hangs until the returned function is called (with an error: the writes fail with it). */
  hang(): (error?: Error) => void {
    let release!: (error?: Error) => void;
    const promise = new Promise<void>((resolve, reject) => (release = (error) => (error ? reject(error) : resolve())));
    // Keep an unobserved rejection from being reported before a write awaits it.
    promise.catch(() => {});
    this.hanging = { release, promise };
    return (error) => {
      this.hanging = null;
      release(error);
    };
  }

  /** The database disappears (dropped, or a new empty server): writes fail until prepared again. */
  dropDatabase(): void {
    this.database = false;
    this.series.clear();
    this.types.clear();
  }

  /** Stored points of one measurement, by time then tag set. */
  read(measurement: string): StoredPoint[] {
    return [...this.series.values()]
      .filter((s) => s.measurement === measurement)
      .map((s) => ({ time: s.point.time, tags: { ...s.point.tags }, fields: { ...s.point.fields } }))
      .sort((a, b) => a.time - b.time || seriesKey('', a.tags, 0).localeCompare(seriesKey('', b.tags, 0)));
  }

  /** Every stored point, of every measurement, in the order each was first written. */
  stored(): StoredPoint[] {
    return [...this.series.values()].map((s) => s.point);
  }

  /** Why the point is refused, or undefined once it is stored. */
  private store(p: HistoryPoint): string | undefined {
    for (const [k, v] of Object.entries(p.tags)) if (v === '') return `missing tag value for ${k} in ${p.measurement}`;
    const values = Object.values(p.fields);
    if (values.length === 0) return `missing fields in ${p.measurement}`;
    if (values.some((v) => typeof v === 'number' && !Number.isFinite(v))) return `invalid number in ${p.measurement}`;
    if (p.timestamp < this.now() - this.retentionMs) return 'points beyond retention policy';
    const shard = Math.floor(p.timestamp / this.shardMs);
    for (const [field, value] of Object.entries(p.fields)) {
      const type = typeof value === 'string' ? 'string' : 'float';
      const known = this.types.get(`${p.measurement}\0${field}\0${shard}`);
      if (known !== undefined && known !== type) return `field type conflict: input field "${field}" on measurement "${p.measurement}" is type ${type}, already exists as type ${known}`;
    }
    for (const [field, value] of Object.entries(p.fields)) this.types.set(`${p.measurement}\0${field}\0${shard}`, typeof value === 'string' ? 'string' : 'float');
    const key = seriesKey(p.measurement, p.tags, p.timestamp);
    const before = this.series.get(key);
    this.series.set(key, {
      measurement: p.measurement,
      point: { time: p.timestamp, tags: { ...p.tags }, fields: { ...before?.point.fields, ...p.fields } },
    });
    return undefined;
  }
}

function seriesKey(measurement: string, tags: Readonly<Record<string, string>>, time: number): string {
  const tagPart = Object.keys(tags)
    .sort()
    .map((k) => `${k}=${tags[k]}`)
    .join(',');
  return `${measurement},${tagPart} ${time}`;
}

/** HistoryStats that add up what the writer reports (and the largest buffer it reported). */
export function recordingStats() {
  const counts = { written: 0, failed: 0, dropped: {} as Record<string, number>, buffered: 0, maxBuffered: 0 };
  const stats: HistoryStats = {
    written: (n) => (counts.written += n),
    failed: () => counts.failed++,
    dropped: (n, reason) => (counts.dropped[reason] = (counts.dropped[reason] ?? 0) + n),
    buffered: (n) => {
      counts.buffered = n;
      counts.maxBuffered = Math.max(counts.maxBuffered, n);
    },
  };
  return { counts, stats };
}
