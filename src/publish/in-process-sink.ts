import type { InProcessBus } from '../bus/in-process-bus.ts';
import type { Config } from '../config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../events/types.ts';
import type { AllocationSink, DeadLetterSink } from '../ports.ts';
import { encodeDeadLetter, encodeReallocation } from './encode.ts';

/** Publishes reallocations and dead letters onto the in-process bus, with Kafka's topic names. */
export class InProcessPublisher implements AllocationSink, DeadLetterSink {
  constructor(
    private readonly bus: InProcessBus,
    private readonly topics: Config['kafka']['topics'],
  ) {}

  async publish(events: readonly ReallocationEvent[]): Promise<void> {
    for (const e of events) {
      const r = encodeReallocation(this.topics, e);
      this.bus.append(r.topic, r.key, r.value);
    }
  }

  async send(letter: DeadLetter): Promise<void> {
    const r = encodeDeadLetter(this.topics, letter);
    this.bus.append(r.topic, r.key, r.value);
  }

  async close(): Promise<void> {}
}
