/**
 * Where control records live: a compacted Kafka topic keyed by portfolio id (every instance
 * follows it), or a file in the embedded state directory (or memory only, without one).
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import type { KafkaClient } from '../bus/kafka-client.ts';
import type { Config } from '../config/types.ts';
import { SpendflowError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { retryTransient } from '../bus/retry.ts';
import { readFileIfExists, writeFileAtomic } from '../runtime/atomic-file.ts';
import { parseControlRecord, type ControlRecord, type ControlStore } from './control-plane.ts';

const { Partitioners } = kafkajs;

/** Embedded: one JSON file, `<state.dir>/control.json`, rewritten atomically on every change. */
export class FileControlStore implements ControlStore {
  private readonly records = new Map<string, ControlRecord>();
  private readonly path: string | null;

  constructor(dir: string | null, private readonly log: Logger) {
    this.path = dir === null ? null : join(dir, 'control.json');
  }

  async load(): Promise<ControlRecord[]> {
    const text = this.path ? readFileIfExists(this.path) : null;
    if (text === null) return [];
    let list: unknown;
    try {
      list = JSON.parse(text);
    } catch (err) {
      throw new SpendflowError('STATE_INVALID', `${this.path} is not JSON (${(err as Error).message}); move it away to start from the configuration files`);
    }
    for (const raw of Array.isArray(list) ? list : []) {
      const parsed = parseControlRecord(JSON.stringify(raw));
      if ('record' in parsed) this.records.set(parsed.record.id, parsed.record);
      else this.log.error('ignoring an unreadable control record', { file: this.path, problem: parsed.problem });
    }
    return [...this.records.values()];
  }

  async write(record: ControlRecord): Promise<void> {
    this.records.set(record.id, record);
    if (this.path) writeFileAtomic(this.path, `${JSON.stringify([...this.records.values()], null, 2)}\n`);
  }

  onRecord(): void {
    // One process: nobody else writes.
  }

  async close(): Promise<void> {}
}

/** Kafka: the compacted control topic, followed from the beginning by every instance. */
export class KafkaControlStore implements ControlStore {
  private producer: Producer | null = null;
  private consumer: Consumer | null = null;
  private listener: ((record: ControlRecord) => void) | null = null;

  constructor(
    private readonly client: KafkaClient,
    private readonly config: Config['kafka'],
    private readonly log: Logger,
  ) {}

  async load(): Promise<ControlRecord[]> {
    const topic = this.config.topics.control;
    const admin = this.client.admin();
    await admin.connect();
    const ends = new Map((await retryTransient(() => admin.fetchTopicOffsets(topic))).map((o) => [o.partition, { high: BigInt(o.high), low: BigInt(o.low) }]));
    await admin.disconnect();
    const pending = new Set([...ends].filter(([, o]) => o.high > o.low).map(([p]) => p));
    const loaded = new Map<string, ControlRecord>();
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (pending.size === 0) caughtUp();
    // Each instance follows the whole topic: a group of its own, never committed.
    // A short session: after a broker restart its old membership would otherwise hold the
    // rejoin (and every control change) back for kafkajs's default 30 s.
    const consumer = this.client.consumer({
      groupId: `${this.config.groupId}.control.${randomUUID()}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
      sessionTimeout: 6_000,
      heartbeatInterval: 1_500,
      retry: { retries: 8, initialRetryTime: 300 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (m.value !== null) {
            const parsed = parseControlRecord(m.value.toString('utf8'));
            if ('record' in parsed) {
              if (pending.size > 0) loaded.set(parsed.record.id, parsed.record);
              else this.listener?.(parsed.record);
            } else {
              this.log.error('ignoring an unreadable control record', { topic, partition: batch.partition, offset: m.offset, problem: parsed.problem });
            }
          }
          if (pending.has(batch.partition) && BigInt(m.offset) + 1n >= ends.get(batch.partition)!.high) {
            pending.delete(batch.partition);
            if (pending.size === 0) caughtUp();
          }
        }
      },
    });
    await ready;
    return [...loaded.values()];
  }

  async write(record: ControlRecord): Promise<void> {
    if (!this.producer) {
      const producer = this.client.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      this.producer = producer;
    }
    await this.producer.send({ topic: this.config.topics.control, acks: -1, messages: [{ key: record.id, value: JSON.stringify(record) }] });
  }

  onRecord(listener: (record: ControlRecord) => void): void {
    this.listener = listener;
  }

  async close(): Promise<void> {
    await this.consumer?.disconnect().catch(() => {});
    await this.producer?.disconnect().catch(() => {});
  }
}
