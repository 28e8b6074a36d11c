/**
 * Runs the market simulator against a live spendflow: every tick, the market's spend and sales
 * events go out through a transport (the in-process bus or Kafka), and the reallocations
 * spendflow publishes come back and change the market's plan. Simulated time runs `speed` times
 * faster than wall time.
 */
import type { Config } from '../config/types.ts';
import { errorMessage } from '../errors.ts';
import type { ReallocationEvent } from '../events/types.ts';
import type { Logger } from '../log.ts';
import type { MarketSimulator, SimRecord } from './market.ts';

export interface SimulationTransport {
  /** Writes one tick's records, keyed by portfolioId, to the spend and sales topics. */
  write(records: readonly SimRecord[]): Promise<void>;
  /** Calls `listener` with every reallocation published from now on. */
  onReallocation(listener: (event: ReallocationEvent) => void): Promise<void>;
  close(): Promise<void>;
}

export interface LiveSimulation {
  /** Resolves when the run ends (after `maxTicks`, or once stopped). */
  readonly done: Promise<void>;
  ticks(): number;
  stop(): Promise<void>;
}

export function topicFor(topics: Config['kafka']['topics'], record: SimRecord): string {
  return record.topic === 'spend' ? topics.spend : topics.sales;
}

/** Parses a reallocation from the wire, keeping only what the market needs; null if unusable. */
export function parseReallocation(value: string): ReallocationEvent | null {
  try {
    const e = JSON.parse(value) as Partial<ReallocationEvent>;
    const ok =
      typeof e.portfolioId === 'string' &&
      typeof e.channelId === 'string' &&
      typeof e.budget === 'number' &&
      typeof e.version === 'number' &&
      typeof e.effectiveFrom === 'string';
    return ok ? (e as ReallocationEvent) : null;
  } catch {
    return null;
  }
}

export async function startLiveSimulation(options: {
  readonly market: MarketSimulator;
  readonly transport: SimulationTransport;
  readonly speed: number;
  readonly tickMinutes: number;
  readonly log: Logger;
  readonly maxTicks?: number;
  /** Once simulated time reaches the wall clock, run in real time instead of ahead of it. */
  readonly realTimeAfterCatchUp?: boolean;
  /** Wall clock (ms), for tests. */
  readonly wallNow?: () => number;
}): Promise<LiveSimulation> {
  const { market, transport, log } = options;
  let applied = 0;
  await transport.onReallocation((event) => {
    try {
      if (market.applyReallocation(event) !== 'stale') applied++;
    } catch (err) {
      // A reallocation for a portfolio or channel this market does not simulate: not ours to apply.
      log.debug('ignoring reallocation', { portfolioId: event.portfolioId, channelId: event.channelId, error: errorMessage(err) });
    }
  });
  const tickWallMs = (options.tickMinutes * 60_000) / options.speed;
  let running = true;
  let ticks = 0;
  let wake: (() => void) | null = null;
  const wallNow = options.wallNow ?? Date.now;
  const startedAt = wallNow();
  let caughtUp = false;
  const done = (async () => {
    while (running && (options.maxTicks === undefined || ticks < options.maxTicks)) {
      const records = market.step();
      try {
        await transport.write(records);
      } catch (err) {
        log.error('simulator could not write events; stopping', { error: errorMessage(err) });
        break;
      }
      ticks++;
      if (ticks % Math.max(1, Math.round((24 * 60) / options.tickMinutes)) === 0) {
        log.info('simulated one more day', { simulatedTime: new Date(market.now()).toISOString(), ticks, reallocationsApplied: applied });
      }
      let due = startedAt + ticks * tickWallMs - wallNow();
      if (options.realTimeAfterCatchUp) {
        // The next tick starts at market.now(): never generate it before the wall clock gets there.
        const ahead = market.now() - wallNow();
        if (ahead > 0 && !caughtUp) {
          caughtUp = true;
          log.info('simulator caught up with the wall clock; running in real time from here', { simulatedTime: new Date(market.now()).toISOString() });
        }
        due = Math.max(due, ahead);
      }
      if (due > 0 && running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, due);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
    }
  })();
  return {
    done,
    ticks: () => ticks,
    async stop() {
      running = false;
      (wake as (() => void) | null)?.();
      await done;
      await transport.close();
    },
  };
}
