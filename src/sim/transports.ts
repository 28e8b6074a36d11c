/** Where the live simulator writes its events and hears back reallocations: in-process or Kafka. */
import kafkajs, { type Consumer, type Producer } from 'kafkajs';
import type { InProcessBus } from '../bus/in-process-bus.ts';
import type { KafkaClient } from '../bus/kafka-client.ts';
import type { Config } from '../config/types.ts';
import { reallocationTopic } from '../publish/encode.ts';
import { parseReallocation, topicFor, type SimulationTransport } from './live-driver.ts';

/** Java-compatible murmur2 partitioning, so a portfolio's key lands where Java producers put it too. */
const { Partitioners } = kafkajs;

export function inProcessTransport(bus: InProcessBus, config: Config): SimulationTransport {
  const topics = config.kafka.topics;
  let subscription: { unsubscribe(): Promise<void> } | null = null;
  return {
    async write(records) {
      for (const r of records) bus.append(topicFor(topics, r), r.key, JSON.stringify(r.value));
    },
    async onReallocation(listener) {
      const platforms = new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)));
      subscription = bus.subscribe([...platforms].map((p) => reallocationTopic(topics, p)), (record) => {
        const event = parseReallocation(record.value);
        if (event) listener(event);
      });
    },
    async close() {
      await subscription?.unsubscribe();
    },
  };
}

/**
 * Writes with an idempotent producer and reads reallocations with its own consumer group
 * (`<groupId>-simulator`), read_committed, from the latest offsets.
 */
export function kafkaTransport(client: KafkaClient, config: Config, platforms: readonly string[]): SimulationTransport {
  const topics = config.kafka.topics;
  const producer: Producer = client.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  let consumer: Consumer | null = null;
  let connected = false;
  return {
    async write(records) {
      if (!connected) {
        await producer.connect();
        connected = true;
      }
      const byTopic = new Map<string, { key: string; value: string }[]>();
      for (const r of records) {
        const topic = topicFor(topics, r);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), { key: r.key, value: JSON.stringify(r.value) }]);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
    },
    async onReallocation(listener) {
      consumer = client.consumer({ groupId: `${config.kafka.groupId}-simulator`, readUncommitted: false });
      await consumer.connect();
      await consumer.subscribe({ topics: platforms.map((p) => reallocationTopic(topics, p)), fromBeginning: false });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const event = message.value ? parseReallocation(message.value.toString('utf8')) : null;
          if (event) listener(event);
        },
      });
    },
    async close() {
      await consumer?.disconnect();
      if (connected) await producer.disconnect();
    },
  };
}
