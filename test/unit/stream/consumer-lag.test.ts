/**
 * ConsumerLag with a fake Kafka client: only `admin()` with connect / fetchTopicOffsets /
 * disconnect, which is all it uses. Lag leaves as `consumer.lag` signals.
 */
import { describe, expect, it, vi } from 'vitest';
import type { KafkaClient } from '../../../src/bus/kafka-client.ts';
import { createLogger } from '../../../src/log.ts';
import { SignalBus, type PipelineSignal } from '../../../src/pipeline/signals.ts';
import { ConsumerLag } from '../../../src/stream/consumer-lag.ts';

type Offsets = { partition: number; offset: string; high: string; low: string }[];

function fakeClient(offsets: Record<string, Offsets>, fail: { connect?: Error; fetch?: Error } = {}) {
  const calls = { connect: 0, fetch: [] as string[], disconnect: 0 };
  let gate: Promise<void> | null = null;
  const client = {
    admin: () => ({
      connect: async () => {
        calls.connect++;
        if (fail.connect) throw fail.connect;
      },
      fetchTopicOffsets: async (topic: string) => {
        calls.fetch.push(topic);
        if (gate) await gate;
        if (fail.fetch) throw fail.fetch;
        return offsets[topic] ?? [];
      },
      disconnect: async () => {
        calls.disconnect++;
      },
    }),
  } as unknown as KafkaClient;
  /** Holds fetchTopicOffsets until the returned function is called. */
  const hold = () => {
    let open!: () => void;
    gate = new Promise((r) => (open = r));
    return () => {
      gate = null;
      open();
    };
  };
  return { client, calls, hold };
}

const high = (...highs: number[]): Offsets => highs.map((h, partition) => ({ partition, offset: String(h), high: String(h), low: '0' }));

function setup(offsets: Record<string, Offsets> = {}, fail: { connect?: Error; fetch?: Error } = {}) {
  const fake = fakeClient(offsets, fail);
  const signals = new SignalBus();
  const lags: { topic: string; partition: number; lag: number | null }[] = [];
  signals.on((s: PipelineSignal) => {
    if (s.type === 'consumer.lag') lags.push({ topic: s.topic, partition: s.partition, lag: s.lag });
  });
  const lag = new ConsumerLag({ client: fake.client, topics: ['spend', 'sales'], signals, log: createLogger('silent') });
  return { ...fake, lag, lags };
}

describe('ConsumerLag', () => {
  it('processed(): lag from the batch\'s high watermark, never below 0; no watermark, no signal', () => {
    const { lag, lags, calls } = setup();
    lag.processed('spend', 0, 10n, '15');
    lag.processed('spend', 1, 20n, '20');
    lag.processed('sales', 0, 9n, '7');
    lag.processed('sales', 1, 3n, null);
    expect(lags).toEqual([
      { topic: 'spend', partition: 0, lag: 5 },
      { topic: 'spend', partition: 1, lag: 0 },
      { topic: 'sales', partition: 0, lag: 0 },
    ]);
    expect(calls.connect).toBe(0);
  });

  it('handles offsets beyond 2^53 exactly (bigint arithmetic)', () => {
    const { lag, lags } = setup();
    lag.processed('spend', 0, 9007199254740993n, '9007199254741000');
    expect(lags).toEqual([{ topic: 'spend', partition: 0, lag: 7 }]);
  });

  it('probe(): high − next offset for tracked partitions only, across the input topics', async () => {
    const { lag, lags, calls } = setup({ spend: high(100, 50, 70), sales: high(10, 20, 30) });
    lag.processed('spend', 0, 90n, null);
    lag.resumed(2, new Map([['sales', 25n], ['spend', 70n]]));
    await lag.probe();
    expect(calls.fetch).toEqual(['spend', 'sales']);
    expect(lags).toEqual([
      { topic: 'spend', partition: 0, lag: 10 },
      { topic: 'spend', partition: 2, lag: 0 },
      { topic: 'sales', partition: 2, lag: 5 },
    ]);
    expect(calls).toMatchObject({ connect: 1, disconnect: 1 });
  });

  it('probe() with nothing tracked does not call the broker; overlapping probes run once', async () => {
    const { lag, lags, calls, hold } = setup({ spend: high(5), sales: high(5) });
    await lag.probe();
    expect(calls.connect).toBe(0);
    lag.processed('spend', 0, 1n, null);
    const open = hold();
    const first = lag.probe();
    const second = lag.probe();
    await second;
    open();
    await first;
    expect(calls.connect).toBe(1);
    expect(lags).toEqual([{ topic: 'spend', partition: 0, lag: 4 }]);
  });

  it('released(): the partition\'s series go (lag null), for every topic; others stay tracked', async () => {
    const { lag, lags } = setup({ spend: high(10, 10), sales: high(10, 10) });
    lag.processed('spend', 0, 1n, null);
    lag.processed('sales', 0, 2n, null);
    lag.processed('spend', 1, 3n, null);
    lag.released(0);
    expect(lags).toEqual([
      { topic: 'spend', partition: 0, lag: null },
      { topic: 'sales', partition: 0, lag: null },
    ]);
    lags.length = 0;
    await lag.probe();
    expect(lags).toEqual([{ topic: 'spend', partition: 1, lag: 7 }]);
    lags.length = 0;
    lag.released(0);
    expect(lags).toEqual([]);
    lag.stop();
    expect(lags).toEqual([{ topic: 'spend', partition: 1, lag: null }]);
  });

  it('a failing probe does not throw, disconnects, and keeps the partitions tracked', async () => {
    for (const fail of [{ connect: new Error('broker down') }, { fetch: new Error('not leader') }]) {
      const { lag, lags, calls } = setup({ spend: high(10) }, fail);
      lag.processed('spend', 0, 4n, null);
      await expect(lag.probe()).resolves.toBeUndefined();
      expect(lags).toEqual([]);
      expect(calls.disconnect).toBe(1);
      // The next probe is not blocked by the failed one.
      await lag.probe();
      expect(calls.connect).toBe(2);
    }
  });

  it('start() probes on its interval until stop()', async () => {
    vi.useFakeTimers();
    try {
      const { lag, calls } = setup({ spend: high(3), sales: high(3) });
      lag.processed('spend', 0, 1n, null);
      lag.start(1_000);
      await vi.advanceTimersByTimeAsync(999);
      expect(calls.connect).toBe(0);
      await vi.advanceTimersByTimeAsync(1_001);
      expect(calls.connect).toBe(2);
      lag.stop();
      // Tracked again, but the timer is gone: no more probes.
      lag.processed('spend', 0, 1n, null);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(calls.connect).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
