/** The live driver's pacing: `speed` times faster than the wall clock, or real time once caught up. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildMarket, scenarioFor } from '../../../src/app.ts';
import { loadConfig } from '../../../src/config/loader.ts';
import { createLogger } from '../../../src/log.ts';
import { startLiveSimulation, type SimulationTransport } from '../../../src/sim/live-driver.ts';

const TICK_MS = 5 * 60_000;

function transport(): SimulationTransport & { ticks: number } {
  const t = {
    ticks: 0,
    async write() {
      t.ticks++;
    },
    async onReallocation() {},
    async close() {},
  };
  return t;
}

async function run(realTimeAfterCatchUp: boolean, startTicksAgo: number, wallMs: number): Promise<number> {
  const config = loadConfig({ overrides: { simulator: { tickMinutes: 5 } } });
  const now = Math.floor(Date.now() / TICK_MS) * TICK_MS;
  vi.setSystemTime(now);
  const log = createLogger('silent');
  const market = buildMarket(config, scenarioFor(config, log), now - startTicksAgo * TICK_MS);
  const sink = transport();
  // 3600×: one 5-minute tick every 83 ms of wall time.
  const sim = await startLiveSimulation({ market, transport: sink, speed: 3600, tickMinutes: 5, log, realTimeAfterCatchUp });
  await vi.advanceTimersByTimeAsync(wallMs);
  const ticks = sink.ticks;
  await sim.stop();
  return ticks;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('startLiveSimulation pacing', () => {
  it('runs speed times faster than the wall clock, past it, by default', async () => {
    vi.useFakeTimers();
    // 10 s of wall time at 3600× is 120 ticks, far beyond the 12 ticks of history.
    const ticks = await run(false, 12, 10_000);
    expect(ticks).toBeGreaterThanOrEqual(115);
    expect(ticks).toBeLessThanOrEqual(125);
  });

  it('with realTimeAfterCatchUp, plays the history fast, then one tick per tick of wall time', async () => {
    vi.useFakeTimers();
    // 12 ticks of history are played within a second; the next tick waits for the wall clock.
    expect(await run(true, 12, 2_000)).toBe(13);
    // After 10 more minutes of wall time, two more ticks.
    expect(await run(true, 12, 2_000 + 2 * TICK_MS)).toBe(15);
  });
});
