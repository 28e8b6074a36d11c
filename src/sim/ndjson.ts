/**
 * The simulator as a stream of NDJSON lines, for `spendflow simulate --stdout`: the market runs on
 * a static plan (no feedback from spendflow), one line per record:
 * `{"topic":"spend"|"sales","key":"<portfolioId>","value":{…wire event…}}`.
 */
import { SpendflowError } from '../errors.ts';
import { MarketSimulator, type Allocation } from './market.ts';
import type { SimScenario } from './scenario.ts';

export interface SimulateOptions {
  readonly seed: number;
  /** Simulated start, epoch ms. */
  readonly start: number;
  readonly tickMinutes: number;
  /** Simulated duration; the last tick may end up to one tick after it (ticks = ⌈hours·60/tickMinutes⌉). */
  readonly hours: number;
  readonly initialPlan?: Readonly<Record<string, Allocation>>;
}

/** Number of ticks needed to cover `hours` (tolerant of float error such as 0.1·60/0.5). */
export function tickCount(hours: number, tickMinutes: number): number {
  if (!Number.isFinite(hours) || hours < 0) {
    throw new SpendflowError('INPUT_INVALID', `hours must be a finite number >= 0 (got ${hours})`);
  }
  if (!Number.isFinite(tickMinutes) || tickMinutes <= 0) {
    throw new SpendflowError('INPUT_INVALID', `tickMinutes must be > 0 (got ${tickMinutes})`);
  }
  return Math.max(0, Math.ceil((hours * 60) / tickMinutes - 1e-9));
}

/**
 * Yields one JSON document per record, without a trailing newline (the writer adds `\n`), in the
 * simulator's deterministic order: tick by tick; within a tick, per portfolio, spend then sales.
 */
export function* simulateToLines(scenario: SimScenario, options: SimulateOptions): Generator<string> {
  const ticks = tickCount(options.hours, options.tickMinutes);
  const sim = new MarketSimulator(scenario, {
    seed: options.seed,
    start: options.start,
    tickMinutes: options.tickMinutes,
    ...(options.initialPlan === undefined ? {} : { initialPlan: options.initialPlan }),
  });
  for (let i = 0; i < ticks; i++) {
    for (const record of sim.step()) yield JSON.stringify(record);
  }
}
