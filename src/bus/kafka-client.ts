/**
 * The kafkajs client for spendflow: one `Kafka` instance per process, its log lines routed to our
 * logger, and topic creation for everything spendflow reads or writes.
 */
import kafkajs from 'kafkajs';
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import { reallocationTopic } from '../publish/encode.ts';

const { Kafka, logLevel } = kafkajs;
export type KafkaClient = InstanceType<typeof Kafka>;

export function createKafkaClient(config: Config['kafka'], log: Logger, clientSuffix = ''): KafkaClient {
  const levelName: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
    [logLevel.ERROR]: 'error',
    [logLevel.WARN]: 'warn',
    [logLevel.INFO]: 'info',
    [logLevel.DEBUG]: 'debug',
  };
  return new Kafka({
    clientId: config.clientId + clientSuffix,
    brokers: [...config.brokers],
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        const kafkaLog = log.child({ component: 'kafkajs' });
        // Transient errors kafkajs retries by itself: a coordinator loading while a broker starts,
        // a transaction's partitions being added while the previous add is still in flight.
        const text = `${String(message)} ${typeof rest['error'] === 'string' ? rest['error'] : ''}`;
        const noisy = /coordinator (is loading|is not available)|concurrent (operation|transactions)/i.test(text);
        kafkaLog[noisy ? 'debug' : (levelName[level] ?? 'info')](String(message), rest);
      },
  });
}

/** Every topic spendflow reads or writes, given the configured portfolios' platforms. */
export function spendflowTopics(config: Config): string[] {
  const t = config.kafka.topics;
  const platforms = new Set(config.portfolios.flatMap((p) => p.channels.map((c) => c.platform)));
  return [t.spend, t.sales, t.dlq, t.state, t.control, ...[...platforms].map((p) => reallocationTopic(t, p))];
}

/** Creates the topics that do not exist yet (no-op for the ones that do). */
export async function ensureTopics(client: KafkaClient, topics: readonly string[], config: Config['kafka']): Promise<string[]> {
  const admin = client.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = [...new Set(topics)].filter((t) => !existing.has(t));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((topic) => ({
          topic,
          numPartitions: config.partitions,
          replicationFactor: config.replicationFactor,
          // State and control keep the latest record per key: compaction, never deletion by age.
          ...(topic === config.topics.state || topic === config.topics.control
            ? { configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'min.compaction.lag.ms', value: '60000' }] }
            : {}),
        })),
      });
    }
    return missing;
  } finally {
    await admin.disconnect();
  }
}
