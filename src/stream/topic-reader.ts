/**
 * Reads a compacted topic's latest value per key, from the beginning, with read_committed.
 *
 * kafkajs has no manual partition assignment, so a read uses a consumer of its own in a
 * throwaway group (deleted afterwards). It stops when every wanted partition has delivered the
 * `until` key (a marker written just before, in a committed transaction: everything committed
 * before it has been read), or, with `until: 'end'`, when each partition reached the high
 * watermark measured at the start.
 */
import { randomUUID } from 'node:crypto';
import type { KafkaClient } from '../bus/kafka-client.ts';
import { retryTransient } from '../bus/retry.ts';
import { SpendflowError } from '../errors.ts';
import type { Logger } from '../log.ts';

export interface ReadOptions {
  readonly topic: string;
  /** Partitions to read (default: all). */
  readonly partitions?: readonly number[];
  /** Stop at this key on every wanted partition, or at the end measured when the read starts. */
  readonly until: { readonly key: string } | 'end';
  readonly groupPrefix: string;
  readonly timeoutMs?: number;
  readonly log?: Logger;
}

export interface ReadResult {
  /** Latest value per key per partition (null: a tombstone). */
  readonly tables: Map<number, Map<string, string | null>>;
  readonly records: number;
}

export async function readCompacted(client: KafkaClient, options: ReadOptions): Promise<ReadResult> {
  const admin = client.admin();
  await admin.connect();
  const groupId = `${options.groupPrefix}.read.${randomUUID()}`;
  const consumer = client.consumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 100, retry: { retries: 3 } });
  try {
    const offsets = await retryTransient(() => admin.fetchTopicOffsets(options.topic));
    const wanted = new Set(options.partitions ?? offsets.map((o) => o.partition));
    const tables = new Map<number, Map<string, string | null>>([...wanted].map((p) => [p, new Map()]));
    const pending = new Set<number>();
    // With `end`, a partition is done once its position passes the high watermark seen now
    // (read_committed may stop short of it at an open transaction: the marker form avoids that).
    const ends = new Map<number, bigint>();
    for (const o of offsets) {
      if (!wanted.has(o.partition)) continue;
      ends.set(o.partition, BigInt(o.high));
      if (options.until !== 'end' || BigInt(o.high) > BigInt(o.low)) pending.add(o.partition);
    }
    let records = 0;
    if (pending.size > 0) {
      let finish!: () => void;
      let fail!: (err: Error) => void;
      const done = new Promise<void>((resolve, reject) => {
        finish = resolve;
        fail = reject;
      });
      const timer = setTimeout(
        () => fail(new SpendflowError('TRANSACTION_FAILED', `reading ${options.topic} did not finish within ${options.timeoutMs ?? 60_000} ms (partitions ${[...pending].join(', ')} pending)`, { retriable: true })),
        options.timeoutMs ?? 60_000,
      );
      consumer.on(consumer.events.CRASH, (e) => fail(new SpendflowError('TRANSACTION_FAILED', `reading ${options.topic} failed: ${String(e.payload.error)}`, { retriable: true })));
      await consumer.connect();
      await consumer.subscribe({ topics: [options.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const table = tables.get(batch.partition);
          if (!table || !pending.has(batch.partition)) return;
          for (const m of batch.messages) {
            const key = m.key?.toString('utf8') ?? '';
            table.set(key, m.value === null ? null : m.value.toString('utf8'));
            records++;
            const reached = options.until === 'end' ? BigInt(m.offset) + 1n >= ends.get(batch.partition)! : key === options.until.key;
            if (reached) {
              pending.delete(batch.partition);
              break;
            }
          }
          if (pending.size === 0) finish();
        },
      });
      try {
        await done;
      } finally {
        clearTimeout(timer);
      }
    }
    return { tables, records };
  } finally {
    await consumer.disconnect().catch(() => {});
    await admin.deleteGroups([groupId]).catch(() => {});
    await admin.disconnect().catch(() => {});
  }
}
