/**
 * The in-memory HistoryTarget keeps the same contract as the InfluxDB one
 * (test/integration/influx-target.test.ts runs it against a real influxd).
 */
import { describe, expect, it } from 'vitest';
import { HistoryWriteError } from '../../../src/telemetry/history-writer.ts';
import { FakeHistoryTarget } from '../../support/fake-history-target.ts';
import { describeHistoryTargetContract } from '../../support/history-target-contract.ts';

describeHistoryTargetContract('in-memory fake', async () => {
  const target = new FakeHistoryTarget();
  return { target, read: async (measurement) => target.read(measurement), cleanup: async () => {} };
});

describe('FakeHistoryTarget test controls', () => {
  const point = { measurement: 'bucket', tags: { portfolio: 'p' }, fields: { revenue: 1 }, timestamp: Date.now() };

  it('down: prepare and write fail retriably, and work again once up', async () => {
    const target = new FakeHistoryTarget();
    target.down = true;
    await expect(target.prepare()).rejects.toMatchObject({ name: 'HistoryWriteError', retriable: true });
    await expect(target.write([point])).rejects.toMatchObject({ retriable: true });
    target.down = false;
    await target.prepare();
    await target.write([point]);
    expect(target.read('bucket')).toHaveLength(1);
    expect(target.prepares).toBe(2);
    expect(target.attempts.map((a) => a.points.length)).toEqual([1, 1]);
  });

  it('hang: writes wait until released, then succeed or fail with the given error', async () => {
    const target = new FakeHistoryTarget();
    await target.prepare();
    const release = target.hang();
    let settled = false;
    const pending = target.write([point]).then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 5));
    expect(settled).toBe(false);
    release();
    await pending;
    expect(target.read('bucket')).toHaveLength(1);
    const again = target.hang();
    const failing = target.write([point]);
    again(new HistoryWriteError('timeout', true));
    await expect(failing).rejects.toMatchObject({ retriable: true });
  });

  it('scripted failures come first, in order; dropDatabase makes writes fail until prepared again', async () => {
    const target = new FakeHistoryTarget();
    await target.prepare();
    target.failures.push(new HistoryWriteError('bad', false), new Error('socket hang up'));
    await expect(target.write([point])).rejects.toMatchObject({ retriable: false });
    await expect(target.write([point])).rejects.toThrow('socket hang up');
    await target.write([point]);
    target.dropDatabase();
    expect(target.read('bucket')).toEqual([]);
    await expect(target.write([point])).rejects.toMatchObject({ retriable: true });
    await target.prepare();
    await target.write([point]);
    expect(target.read('bucket')).toHaveLength(1);
  });
});
