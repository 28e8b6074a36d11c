/**
 * A small in-process stand-in for Kafka topics, for the embedded default and unit tests.
 * Each topic is an append-only log with offsets; subscribers receive records in append order, one
 * at a time (a subscriber's next record waits for its previous handler to finish), like a consumer
 * on a single partition. Logs keep the last `retain` records per topic.
 */
export interface BusRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly offset: number;
}

export type BusHandler = (record: BusRecord) => Promise<void> | void;

interface Subscription {
  readonly topics: ReadonlySet<string>;
  readonly handler: BusHandler;
  readonly queue: BusRecord[];
  draining: boolean;
  active: boolean;
  idle: Promise<void>;
  onError: (err: unknown, record: BusRecord) => void;
}

export class InProcessBus {
  private readonly logs = new Map<string, BusRecord[]>();
  private readonly nextOffset = new Map<string, number>();
  private readonly subscriptions = new Set<Subscription>();
  private readonly retain: number;

  constructor(options: { retain?: number } = {}) {
    this.retain = options.retain ?? 10_000;
  }

  append(topic: string, key: string | null, value: string): BusRecord {
    const offset = this.nextOffset.get(topic) ?? 0;
    this.nextOffset.set(topic, offset + 1);
    const record: BusRecord = { topic, key, value, offset };
    let log = this.logs.get(topic);
    if (!log) this.logs.set(topic, (log = []));
    log.push(record);
    if (log.length > this.retain) log.splice(0, log.length - this.retain);
    for (const sub of this.subscriptions) {
      if (sub.active && sub.topics.has(topic)) {
        sub.queue.push(record);
        this.drain(sub);
      }
    }
    return record;
  }

  /** Records currently retained on a topic, oldest first. */
  read(topic: string): readonly BusRecord[] {
    return this.logs.get(topic) ?? [];
  }

  topics(): string[] {
    return [...this.logs.keys()];
  }

  /**
   * Subscribes to future records of `topics`. A handler that throws is reported to `onError`
   * and the record is retried after a short pause (at-least-once, like a consumer that did not commit).
   */
  subscribe(
    topics: readonly string[],
    handler: BusHandler,
    onError: (err: unknown, record: BusRecord) => void = () => {},
  ): { unsubscribe(): Promise<void>; idle(): Promise<void> } {
    const sub: Subscription = {
      topics: new Set(topics),
      handler,
      queue: [],
      draining: false,
      active: true,
      idle: Promise.resolve(),
      onError,
    };
    this.subscriptions.add(sub);
    return {
      unsubscribe: async () => {
        sub.active = false;
        sub.queue.length = 0;
        this.subscriptions.delete(sub);
        await sub.idle;
      },
      idle: () => sub.idle,
    };
  }

  private drain(sub: Subscription): void {
    if (sub.draining) return;
    sub.draining = true;
    sub.idle = (async () => {
      while (sub.active && sub.queue.length > 0) {
        const record = sub.queue[0]!;
        try {
          await sub.handler(record);
          sub.queue.shift();
        } catch (err) {
          sub.onError(err, record);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      sub.draining = false;
    })();
  }
}
