import { afterAll, inject } from 'vitest';
import { createKafkaClient, ensureTopics } from '../../../src/bus/kafka-client.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import type { Config } from '../../../src/config/types.ts';
import { KafkaSource } from '../../../src/ingest/kafka-source.ts';
import { createLogger } from '../../../src/log.ts';
import { KafkaPublisher } from '../../../src/publish/kafka-publisher.ts';
import { describeAllocationSinkContract, describeEventSourceContract, type Written } from '../../support/contracts.ts';
import { collectTopics, deleteTopicsMatching, produceRaw, testTopics, uniqueName } from '../../support/kafka.ts';

const brokers = inject('kafkaBrokers');
const log = createLogger('silent');
const prefixes: string[] = [];

function isolatedConfig(): Config {
  const prefix = uniqueName('contract');
  prefixes.push(prefix);
  return loadConfig({
    overrides: {
      kafka: {
        brokers: brokers.split(','),
        groupId: `${prefix}-group`,
        topics: testTopics(prefix),
      },
    },
  });
}

afterAll(async () => {
  for (const p of prefixes) await deleteTopicsMatching(brokers, p);
});

describeAllocationSinkContract('Kafka (idempotent producer)', async () => {
  const config = isolatedConfig();
  const client = createKafkaClient(config.kafka, log);
  const t = config.kafka.topics;
  const topics = [t.dlq, `${t.reallocationsPrefix}google-ads`, `${t.reallocationsPrefix}meta`];
  await ensureTopics(client, topics, config.kafka);
  const reader = await collectTopics(brokers, topics);
  const sink = new KafkaPublisher(client, t);
  return {
    sink,
    topics: t,
    read: async (topic): Promise<Written[]> => reader.records.filter((r) => r.topic === topic).map((r) => ({ key: r.key, value: r.value })),
    close: async () => {
      await sink.close();
      await reader.close();
    },
  };
});

describeEventSourceContract('Kafka (consumer group)', async () => {
  const config = isolatedConfig();
  const client = createKafkaClient(config.kafka, log);
  await ensureTopics(client, [config.kafka.topics.spend, config.kafka.topics.sales], config.kafka);
  const source = new KafkaSource(client, config.kafka, log);
  return {
    source,
    topics: config.kafka.topics,
    write: (topic, key, value) => produceRaw(brokers, [{ topic, key, value }]),
    close: () => source.stop(),
  };
});
