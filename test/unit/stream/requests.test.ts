import { describe, expect, it } from 'vitest';
import { requestsOf } from '../../../src/stream/exactly-once-source.ts';
import { coPartitionPlan, partitionFor } from '../../../src/stream/partitioning.ts';

describe('requestsOf: a transaction in produce requests below the broker limit', () => {
  it('keeps every message once, in order per topic, each request within the bound unless one message alone exceeds it', () => {
    const big = 'x'.repeat(300);
    const byTopic = new Map([
      ['state', Array.from({ length: 7 }, (_, i) => ({ key: `k${i}`, value: big }))],
      ['out', [{ key: 'a', value: 'small' }, { key: 'b', value: 'x'.repeat(2000) }]],
    ]);
    const requests = requestsOf(byTopic, 1000);
    expect(requests.length).toBeGreaterThan(2);
    const flat = (topic: string) => requests.flatMap((r) => r.filter((t) => t.topic === topic).flatMap((t) => t.messages.map((m) => m.key)));
    expect(flat('state')).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5', 'k6']);
    expect(flat('out')).toEqual(['a', 'b']);
    for (const r of requests) {
      const bytes = r.flatMap((t) => t.messages).reduce((s, m) => s + (m.key?.length ?? 0) + (m.value?.length ?? 0) + 64, 0);
      const single = r.flatMap((t) => t.messages).length === 1;
      if (!single) expect(bytes).toBeLessThanOrEqual(1000);
    }
  });

  it('sends nothing for nothing', () => {
    expect(requestsOf(new Map())).toEqual([]);
  });
});

describe('partitioning', () => {
  it('spreads keys over every partition, stably, and co-partitions every topic', () => {
    // (That it matches what producers do is checked on the real broker: a mismatch would
    // dead-letter every record as wrong_partition in the integration tests.)
    const seen = new Set(Array.from({ length: 200 }, (_, i) => partitionFor(`shop-${i}`, 6)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(partitionFor('demo-shop', 6)).toBe(partitionFor('demo-shop', 6));
    const plan = coPartitionPlan(['b', 'a'], { spend: 4, sales: 4, state: 4 });
    expect(plan.get('a')).toEqual({ spend: [0, 2], sales: [0, 2], state: [0, 2] });
    expect(plan.get('b')).toEqual({ spend: [1, 3], sales: [1, 3], state: [1, 3] });
  });
});
