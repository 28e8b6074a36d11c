import { describe, expect, it } from 'vitest';
import { MarketSimulator } from '../../../src/sim/market.ts';
import { simulateToLines, tickCount } from '../../../src/sim/ndjson.ts';
import { builtInScenario } from '../../../src/sim/scenarios.ts';
import { START } from './fixtures.ts';

const demo = builtInScenario('demo');
const options = { seed: 5, start: START, tickMinutes: 5, hours: 2 };

describe('simulateToLines', () => {
  const lines = [...simulateToLines(demo, options)];

  it('yields one JSON line per record: 24 ticks × (7 spend + 2 sales)', () => {
    expect(lines).toHaveLength(24 * 9);
    for (const line of lines) {
      expect(line).not.toContain('\n');
      const parsed = JSON.parse(line) as { topic: string; key: string; value: { portfolioId: string } };
      expect(Object.keys(parsed)).toEqual(['topic', 'key', 'value']);
      expect(['spend', 'sales']).toContain(parsed.topic);
      expect(parsed.key).toBe(parsed.value.portfolioId);
    }
  });

  it('is the simulator output on a static plan, deterministically', () => {
    const sim = new MarketSimulator(demo, { seed: 5, start: START, tickMinutes: 5 });
    const direct: string[] = [];
    for (let i = 0; i < 24; i++) direct.push(...sim.step().map((r) => JSON.stringify(r)));
    expect(lines).toEqual(direct);
    expect([...simulateToLines(demo, options)]).toEqual(lines);
    expect([...simulateToLines(demo, { ...options, seed: 6 })]).not.toEqual(lines);
  });

  it('passes the initial plan through', () => {
    const plan = { 'demo-outdoor': { search: 800, social: 0, video: 0 } };
    const outdoor = [...simulateToLines(demo, { ...options, hours: 1, initialPlan: plan })]
      .map((l) => JSON.parse(l) as { topic: string; value: { portfolioId: string; channelId?: string; amount?: number } })
      .filter((r) => r.topic === 'spend' && r.value.portfolioId === 'demo-outdoor');
    const total = (channelId: string): number =>
      outdoor.filter((r) => r.value.channelId === channelId).reduce((s, r) => s + (r.value.amount ?? 0), 0);
    expect(total('social') + total('video')).toBe(0);
    expect(Math.abs(total('search') / 800 - 1)).toBeLessThan(0.1);
  });

  it('is lazy: the first lines of a very long run come at once', () => {
    const it = simulateToLines(demo, { ...options, hours: 1e9 });
    const first = [it.next().value, it.next().value];
    expect(first).toEqual(lines.slice(0, 2));
  });
});

describe('tickCount', () => {
  it('covers the hours with whole ticks and rejects bad input', () => {
    expect(tickCount(2, 5)).toBe(24);
    expect(tickCount(0, 5)).toBe(0);
    expect(tickCount(1, 7)).toBe(9);
    expect(tickCount(0.1, 0.5)).toBe(12);
    expect(() => tickCount(-1, 5)).toThrow(/hours/);
    expect(() => tickCount(1, 0)).toThrow(/tickMinutes/);
    expect([...simulateToLines(demo, { ...options, hours: 0 })]).toEqual([]);
  });
});
