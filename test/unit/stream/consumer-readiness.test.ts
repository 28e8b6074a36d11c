/** /ready in Kafka mode: in the group, and heard from the coordinator within a session timeout. */
import { describe, expect, it } from 'vitest';
import { consumerReadiness } from '../../../src/stream/exactly-once-source.ts';

describe('consumerReadiness', () => {
  it('is not ready before the consumer joined its group', () => {
    expect(consumerReadiness(false, 0, 1_000, 10_000)).toEqual({ ok: false, detail: 'not in the consumer group' });
  });

  it('is ready while heartbeats arrive, and not once they stop for longer than the session timeout', () => {
    expect(consumerReadiness(true, 50_000, 59_000, 10_000)).toEqual({ ok: true });
    expect(consumerReadiness(true, 50_000, 60_000, 10_000).ok).toBe(true);
    const stale = consumerReadiness(true, 50_000, 72_400, 10_000);
    expect(stale.ok).toBe(false);
    expect(stale.detail).toBe('no heartbeat from the group coordinator for 22 s');
  });
});
