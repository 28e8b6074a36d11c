/**
 * Reallocations and dead letters to Kafka with an idempotent kafkajs producer (acks from all
 * in-sync replicas, broker-side de-duplication of retries). Each reallocation goes to its
 * platform's topic, keyed by portfolioId. Exactly-once across consume→publish is a later step
 * (transactions); today a crash between publish and offset commit can publish a version twice,
 * with the same eventId, so consumers can de-duplicate.
 */
import kafkajs, { type Producer } from 'kafkajs';
import type { KafkaClient } from '../bus/kafka-client.ts';
import type { Config } from '../config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../events/types.ts';
import type { AllocationSink, DeadLetterSink } from '../ports.ts';
import { encodeDeadLetter, encodeReallocation, type OutgoingRecord } from './encode.ts';

/** Java-compatible murmur2 partitioning, so a portfolio's key lands where Java producers put it too. */
const { Partitioners } = kafkajs;

export class KafkaPublisher implements AllocationSink, DeadLetterSink {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(
    client: KafkaClient,
    private readonly topics: Config['kafka']['topics'],
  ) {
    this.producer = client.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  }

  private connect(): Promise<void> {
    // A failed connect must not stick: the next publish tries again.
    this.connected ??= this.producer.connect().catch((err: unknown) => {
      this.connected = null;
      throw err;
    });
    return this.connected;
  }

  private async sendAll(records: readonly OutgoingRecord[]): Promise<void> {
    await this.connect();
    const byTopic = new Map<string, OutgoingRecord[]>();
    for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, rs]) => ({
        topic,
        messages: rs.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })),
      })),
    });
  }

  async publish(events: readonly ReallocationEvent[]): Promise<void> {
    await this.sendAll(events.map((e) => encodeReallocation(this.topics, e)));
  }

  async send(letter: DeadLetter): Promise<void> {
    await this.sendAll([encodeDeadLetter(this.topics, letter)]);
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
    this.connected = null;
  }
}
