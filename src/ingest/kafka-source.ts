/**
 * Spend and sales records from Kafka through a kafkajs consumer group. Records are handled one at
 * a time per partition (a portfolio's events share a partition, keyed by portfolioId); an offset
 * is committed only after its record was fully handled, so a crash replays rather than loses
 * (replays are de-duplicated by event id). A retriable failure makes kafkajs redeliver.
 */
import type { Consumer } from 'kafkajs';
import type { Config } from '../config/types.ts';
import type { KafkaClient } from '../bus/kafka-client.ts';
import type { Logger } from '../log.ts';
import type { EventSource, RecordHandler } from '../ports.ts';

export class KafkaSource implements EventSource {
  readonly name = 'kafka';
  private consumer: Consumer | null = null;
  private ready = false;

  constructor(
    private readonly client: KafkaClient,
    private readonly config: Config['kafka'],
    private readonly log: Logger,
  ) {}

  async start(handler: RecordHandler): Promise<void> {
    const { topics } = this.config;
    const kindOf = new Map([
      [topics.spend, 'spend' as const],
      [topics.sales, 'sales' as const],
    ]);
    const consumer = this.client.consumer({ groupId: this.config.groupId, allowAutoTopicCreation: false });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.ready = true;
      this.log.info('joined consumer group', { groupId: e.payload.groupId, assignment: e.payload.memberAssignment });
    });
    consumer.on(consumer.events.CRASH, (e) => {
      this.ready = false;
      this.log.error('consumer crashed', { error: String(e.payload.error), restart: e.payload.restart });
    });
    consumer.on(consumer.events.DISCONNECT, () => {
      this.ready = false;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.spend, topics.sales], fromBeginning: true });
    await consumer.run({
      autoCommit: true,
      eachMessage: async ({ topic, partition, message }) => {
        await handler({
          topic,
          kind: kindOf.get(topic)!,
          key: message.key ? message.key.toString('utf8') : null,
          value: message.value ? message.value.toString('utf8') : '',
          partition,
          offset: message.offset,
        });
      },
    });
  }

  isReady(): boolean {
    return this.ready;
  }

  async stop(): Promise<void> {
    this.ready = false;
    await this.consumer?.disconnect();
    this.consumer = null;
  }
}
