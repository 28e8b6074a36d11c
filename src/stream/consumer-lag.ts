/**
 * Consumer lag per assigned input partition, for `spendflow_consumer_lag_records`: records between
 * the next offset to process and the partition's high watermark. Updated after every committed
 * batch from the batch's own high watermark, and probed on a timer through the admin client, so
 * a consumer that stopped making progress shows a growing lag instead of its last good figure.
 */
import { errorMessage } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { SignalBus } from '../pipeline/signals.ts';
import type { KafkaClient } from '../bus/kafka-client.ts';

export const LAG_PROBE_MS = 10_000;

export class ConsumerLag {
  /** Next offset to process, per "topic\0partition" of an assigned partition. */
  private readonly positions = new Map<string, { topic: string; partition: number; next: bigint }>();
  private timer: NodeJS.Timeout | null = null;
  private probing = false;

  constructor(
    private readonly deps: { readonly client: KafkaClient; readonly topics: readonly string[]; readonly signals: SignalBus; readonly log: Logger },
  ) {}

  start(intervalMs = LAG_PROBE_MS): void {
    this.timer = setInterval(() => void this.probe(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const key of [...this.positions.keys()]) this.forgetKey(key);
  }

  /** After a commit: `next` is the next offset to process; `highWatermark` as the batch saw it. */
  processed(topic: string, partition: number, next: bigint, highWatermark: string | null): void {
    this.positions.set(`${topic}\0${partition}`, { topic, partition, next });
    if (highWatermark !== null) this.emit(topic, partition, BigInt(highWatermark) - next);
  }

  /** Where a restored partition resumes (its committed offsets). */
  resumed(partition: number, committed: ReadonlyMap<string, bigint>): void {
    for (const [topic, next] of committed) this.positions.set(`${topic}\0${partition}`, { topic, partition, next });
  }

  /** The partition is no longer assigned here: its series go. */
  released(partition: number): void {
    for (const [key, pos] of this.positions) if (pos.partition === partition) this.forgetKey(key);
  }

  /** Reads the high watermarks of the input topics and reports every tracked partition's lag. */
  async probe(): Promise<void> {
    if (this.probing || this.positions.size === 0) return;
    this.probing = true;
    const admin = this.deps.client.admin();
    try {
      await admin.connect();
      for (const topic of this.deps.topics) {
        const offsets = await admin.fetchTopicOffsets(topic);
        for (const o of offsets) {
          const pos = this.positions.get(`${topic}\0${o.partition}`);
          if (pos) this.emit(topic, o.partition, BigInt(o.high) - pos.next);
        }
      }
    } catch (err) {
      // The gauge keeps its last value; the broker being away shows up elsewhere (aborts, /ready).
      this.deps.log.debug('consumer lag probe failed', { error: errorMessage(err) });
    } finally {
      this.probing = false;
      await admin.disconnect().catch(() => {});
    }
  }

  private emit(topic: string, partition: number, lag: bigint): void {
    this.deps.signals.emit({ type: 'consumer.lag', topic, partition, lag: Number(lag > 0n ? lag : 0n) });
  }

  private forgetKey(key: string): void {
    const pos = this.positions.get(key);
    if (!pos) return;
    this.positions.delete(key);
    this.deps.signals.emit({ type: 'consumer.lag', topic: pos.topic, partition: pos.partition, lag: null });
  }
}
