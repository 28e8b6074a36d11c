/**
 * The ports between spendflow's stages and the outside world. Interfaces only: `app.ts` picks
 * the adapter that serves each (in-process bus in embedded mode, Kafka otherwise), and each port
 * has one contract test that both adapters pass (test/unit/contracts, test/integration).
 */
import type { DeadLetter, InputKind, ReallocationEvent } from './events/types.ts';

/** One record as read from a topic: the bytes as text, not yet parsed or trusted. */
export interface SourceRecord {
  readonly topic: string;
  readonly kind: InputKind;
  readonly key: string | null;
  readonly value: string;
  readonly partition?: number;
  readonly offset?: string;
}

/**
 * Handles one record. Resolves when the record is fully processed (its bucket updated, any
 * reallocation published); rejects only with a retriable error, in which case the source must
 * deliver the record again.
 */
export type RecordHandler = (record: SourceRecord) => Promise<void>;

/** Spend and sales records, delivered one at a time, in order within a portfolio. */
export interface EventSource {
  readonly name: string;
  start(handler: RecordHandler): Promise<void>;
  /** True once the source is connected and receiving its assignment. */
  isReady(): boolean;
  stop(): Promise<void>;
}

/** Where reallocation events go: one topic per ad platform. */
export interface AllocationSink {
  /** Publishes all events or throws; events of one call belong to one portfolio reallocation. */
  publish(events: readonly ReallocationEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Where records that cannot be used go, with the reason and the original payload. */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
  close(): Promise<void>;
}
