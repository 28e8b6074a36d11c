/**
 * The pipeline's `partitionOf` and `clock` deps: a record read from a partition that does not own
 * its portfolio is dead-lettered as wrong_partition; event times are bounded by the wall clock
 * (too old is invalid), and without a wall clock (simulated time) old times are accepted.
 */
import { describe, expect, it } from 'vitest';
import { createPipeline } from '../../../src/pipeline/pipeline.ts';
import { SignalBus, type PipelineSignal } from '../../../src/pipeline/signals.ts';
import type { SourceRecord } from '../../../src/ports.ts';
import { START, configWith, drive } from './sync-harness.ts';

const config = configWith();
const t = config.kafka.topics;
const YEAR = 365 * 24 * 3_600_000;

const spendAt = (ts: number, eventId = `e-${ts}`) => ({
  eventId, portfolioId: 'demo-shop', channelId: 'search', platform: 'google-ads', ts: new Date(ts).toISOString(), amount: 10, currency: 'EUR',
});
const record = (value: unknown, partition?: number): SourceRecord => ({
  topic: t.spend, kind: 'spend', key: 'demo-shop', value: JSON.stringify(value), ...(partition === undefined ? {} : { partition, offset: '7' }),
});
const results = (signals: readonly PipelineSignal[]) => signals.flatMap((s) => (s.type === 'event.consumed' ? [s.result] : []));

describe('pipeline: partitionOf', () => {
  const partitionOf = (id: string) => (id === 'demo-shop' ? 2 : 0);

  it('dead-letters a record read from another partition than its portfolio\'s as wrong_partition, naming portfolioId', () => {
    const d = drive(config, { partitionOf, clock: () => START });
    const out = d.feed({ record: record(spendAt(START + 60_000), 1), at: 1 });
    expect(out.deadLetters).toHaveLength(1);
    const letter = out.deadLetters[0]!;
    expect(letter.reason).toBe('wrong_partition');
    expect(letter.fields.map((f) => f.field)).toEqual(['portfolioId']);
    expect(letter.error).toMatch(/^portfolioId: /);
    expect(letter.error).toContain('partition 1');
    expect(letter.error).toContain('partition 2');
    expect(letter.source).toEqual({ topic: t.spend, partition: 1, offset: '7' });
    expect(results(out.signals)).toEqual(['invalid']);
    expect(d.signals).toContainEqual({ type: 'dead_letter.sent', reason: 'wrong_partition' });
    // Nothing of it was counted: the portfolio has seen no event.
    expect(d.pipeline.portfolio('demo-shop')!.latestEventTime).toBeNull();
    expect(d.pipeline.seenIds('demo-shop')).toEqual(new Map());
  });

  it('accepts the record on the right partition, and one without a partition', () => {
    const d = drive(config, { partitionOf, clock: () => START });
    expect(results(d.feed({ record: record(spendAt(START + 60_000, 'a'), 2), at: 1 }).signals)).toEqual(['accepted']);
    expect(results(d.feed({ record: record(spendAt(START + 61_000, 'b')), at: 2 }).signals)).toEqual(['accepted']);
    expect(d.deadLetters).toEqual([]);
  });

  it('without partitionOf, any partition is accepted', () => {
    const d = drive(config, { clock: () => START });
    expect(results(d.feed({ record: record(spendAt(START + 60_000), 1), at: 1 }).signals)).toEqual(['accepted']);
  });

  it('a portfolio that is configured but not live here (activate says no) is wrong_partition too', () => {
    const d = drive(config, { clock: () => START, activate: (id) => id !== 'demo-shop' });
    const out = d.feed({ record: record(spendAt(START + 60_000), 0), at: 1 });
    expect(out.deadLetters.map((l) => [l.reason, l.fields.map((f) => f.field)])).toEqual([['wrong_partition', ['portfolioId']]]);
  });
});

describe('pipeline: clock', () => {
  it('an event 3 years before clock() is invalid, field ts', () => {
    const d = drive(config, { clock: () => START });
    const out = d.feed({ record: record(spendAt(START - 3 * YEAR)), at: 1 });
    expect(out.deadLetters).toHaveLength(1);
    expect(out.deadLetters[0]!.reason).toBe('invalid');
    expect(out.deadLetters[0]!.fields.map((f) => f.field)).toEqual(['ts']);
    expect(out.deadLetters[0]!.error).toMatch(/^ts: .*before the wall clock.*ingest\.maxEventAgeHours/);
    expect(results(out.signals)).toEqual(['invalid']);
    expect(d.pipeline.portfolio('demo-shop')!.latestEventTime).toBeNull();
  });

  it('an event within maxEventAgeHours of clock() is accepted', () => {
    const d = drive(config, { clock: () => START });
    const out = d.feed({ record: record(spendAt(START - (config.ingest.maxEventAgeHours - 1) * 3_600_000)), at: 1 });
    expect(out.deadLetters).toEqual([]);
    expect(results(out.signals)).toEqual(['accepted']);
  });

  it('an event far ahead of clock() is invalid, field ts', () => {
    const d = drive(config, { clock: () => START });
    const out = d.feed({ record: record(spendAt(START + (config.ingest.maxEventTimeJumpHours + 1) * 3_600_000)), at: 1 });
    expect(out.deadLetters.map((l) => [l.reason, l.fields.map((f) => f.field)])).toEqual([['invalid', ['ts']]]);
  });

  it('clock: null accepts old simulated times (the first event anchors the portfolio)', () => {
    const d = drive(config, { clock: null });
    const old = START - 3 * YEAR;
    const first = d.feed({ record: record(spendAt(old, 'a')), at: 1 });
    expect(first.deadLetters).toEqual([]);
    expect(results(first.signals)).toEqual(['accepted']);
    expect(d.pipeline.portfolio('demo-shop')!.latestEventTime).toBe(old);
    expect(results(d.feed({ record: record(spendAt(old + 3_600_000, 'b')), at: 2 }).signals)).toEqual(['accepted']);
    // Only the jump from the portfolio's latest event time is checked then.
    const jump = d.feed({ record: record(spendAt(old + (config.ingest.maxEventTimeJumpHours + 2) * 3_600_000, 'c')), at: 3 });
    expect(jump.deadLetters.map((l) => [l.reason, l.fields.map((f) => f.field)])).toEqual([['invalid', ['ts']]]);
  });

  it('the default clock is the wall clock (Date.now): a recent event is accepted, a 3-years-old one is not', () => {
    // No clock given at all (drive() would pass null).
    const pipeline = createPipeline({ config, signals: new SignalBus(), now: () => 0 });
    const now = Date.now();
    const take = (r: SourceRecord) => {
      pipeline.process(r, 1);
      return results(pipeline.takeOutbox().signals);
    };
    expect(take(record(spendAt(now - 60_000, 'a')))).toEqual(['accepted']);
    expect(take(record(spendAt(now - 3 * YEAR, 'b')))).toEqual(['invalid']);
  });
});
