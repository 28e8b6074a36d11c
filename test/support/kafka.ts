/** Helpers for tests against a real Kafka broker: unique names, raw producers, topic readers. */
import kafkajs, { type Consumer } from 'kafkajs';
import { randomBytes } from 'node:crypto';

const { Kafka, logLevel, Partitioners } = kafkajs;

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/**
 * Every topic spendflow uses, under a test's own prefix. State and control too: they are keyed
 * by portfolio id, so two tests sharing them would restore each other's portfolios.
 */
export function testTopics(prefix: string) {
  return {
    spend: `${prefix}.spend`,
    sales: `${prefix}.sales`,
    reallocationsPrefix: `${prefix}.reallocations.`,
    dlq: `${prefix}.dlq`,
    state: `${prefix}.state`,
    control: `${prefix}.control`,
  };
}

/** The same, as SPENDFLOW_* environment variables for a spawned service. */
export function testTopicsEnv(prefix: string): Record<string, string> {
  const t = testTopics(prefix);
  return {
    SPENDFLOW_KAFKA_TOPICS_SPEND: t.spend,
    SPENDFLOW_KAFKA_TOPICS_SALES: t.sales,
    SPENDFLOW_KAFKA_TOPICS_REALLOCATIONS_PREFIX: t.reallocationsPrefix,
    SPENDFLOW_KAFKA_TOPICS_DLQ: t.dlq,
    SPENDFLOW_KAFKA_TOPICS_STATE: t.state,
    SPENDFLOW_KAFKA_TOPICS_CONTROL: t.control,
  };
}

export function testKafka(brokers: string, clientId = uniqueName('test')) {
  return new Kafka({ clientId, brokers: brokers.split(','), logLevel: logLevel.NOTHING });
}

export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Record<string, string>;
}

/** Polls until `check` passes or the timeout ends; returns the last value or throws with `describe`. */
export async function waitFor<T>(produce: () => T | Promise<T>, check: (v: T) => boolean, timeoutMs: number, describe: (v: T) => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await produce();
  while (!check(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe(last)}`);
    await new Promise((r) => setTimeout(r, 200));
    last = await produce();
  }
  return last;
}

/** Reads topics from the beginning (read_committed) into a growing array, until closed. */
export async function collectTopics(brokers: string, topics: readonly string[]): Promise<{ records: ReadRecord[]; close(): Promise<void> }> {
  const kafka = testKafka(brokers);
  const consumer: Consumer = kafka.consumer({ groupId: uniqueName('reader') });
  const records: ReadRecord[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [...topics], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ topic, partition, message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      records.push({ topic, partition, key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '', headers });
    },
  });
  return { records, close: () => consumer.disconnect() };
}

export async function createTopics(brokers: string, topics: readonly string[], partitions = 3): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: topics.map((topic) => ({ topic, numPartitions: partitions })) });
  await admin.disconnect();
}

export async function deleteTopicsMatching(brokers: string, prefix: string): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
  if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 10_000 }).catch(() => {});
  await admin.disconnect();
}

export async function produceRaw(brokers: string, records: readonly { topic: string; key: string | null; value: string }[]): Promise<void> {
  const producer = testKafka(brokers).producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const byTopic = new Map<string, { key: string | null; value: string }[]>();
  for (const r of records) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), { key: r.key, value: r.value }]);
  await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  await producer.disconnect();
}
