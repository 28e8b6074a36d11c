import type { Config } from '../config/types.ts';
import type { DeadLetter, ReallocationEvent } from '../events/types.ts';

/** The wire form of outgoing records: JSON values keyed by portfolio, on per-platform topics. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly key: string | null;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

export function reallocationTopic(topics: Config['kafka']['topics'], platform: string): string {
  return `${topics.reallocationsPrefix}${platform}`;
}

export function encodeReallocation(topics: Config['kafka']['topics'], event: ReallocationEvent): OutgoingRecord {
  return {
    topic: reallocationTopic(topics, event.platform),
    key: event.portfolioId,
    value: JSON.stringify(event),
    headers: { 'content-type': 'application/json', 'spendflow-event': 'reallocation', 'spendflow-version': String(event.version) },
  };
}

export function encodeDeadLetter(topics: Config['kafka']['topics'], letter: DeadLetter): OutgoingRecord {
  return {
    topic: topics.dlq,
    key: letter.key,
    value: JSON.stringify(letter),
    headers: { 'content-type': 'application/json', 'spendflow-event': 'dead-letter', 'spendflow-reason': letter.reason },
  };
}
