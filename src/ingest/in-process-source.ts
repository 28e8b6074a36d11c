import type { Config } from '../config/types.ts';
import type { InProcessBus } from '../bus/in-process-bus.ts';
import type { Logger } from '../log.ts';
import type { EventSource, RecordHandler } from '../ports.ts';
import { errorMessage } from '../errors.ts';

/**
 * Reads spend and sales records from the in-process bus, one at a time in append order (one
 * "partition"), so the embedded default behaves like a single-partition Kafka consumer. A
 * handler failure is retried (the bus redelivers), as Kafka would after an uncommitted offset.
 */
export class InProcessSource implements EventSource {
  readonly name = 'in-process';
  private subscription: { unsubscribe(): Promise<void>; idle(): Promise<void> } | null = null;

  constructor(
    private readonly bus: InProcessBus,
    private readonly topics: Config['kafka']['topics'],
    private readonly log: Logger,
  ) {}

  async start(handler: RecordHandler): Promise<void> {
    const kindOf = new Map([
      [this.topics.spend, 'spend' as const],
      [this.topics.sales, 'sales' as const],
    ]);
    this.subscription = this.bus.subscribe(
      [this.topics.spend, this.topics.sales],
      (r) => handler({ topic: r.topic, kind: kindOf.get(r.topic)!, key: r.key, value: r.value, partition: 0, offset: String(r.offset) }),
      (err, r) => this.log.warn('record failed; retrying', { topic: r.topic, offset: r.offset, error: errorMessage(err) }),
    );
  }

  isReady(): boolean {
    return this.subscription !== null;
  }

  /** Resolves when every record appended so far has been handled. */
  async idle(): Promise<void> {
    await this.subscription?.idle();
  }

  async stop(): Promise<void> {
    await this.subscription?.unsubscribe();
    this.subscription = null;
  }
}
