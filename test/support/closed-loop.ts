/**
 * spendflow in a closed loop with the market simulator, without timers: every tick's events go
 * through the pipeline, and every published reallocation changes the market's plan. Used by the
 * quality tests and the benchmarks.
 */
import { buildMarket } from '../../src/app.ts';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import type { Config } from '../../src/config/types.ts';
import type { ReallocationEvent } from '../../src/events/types.ts';
import { createPipeline, type Pipeline } from '../../src/pipeline/pipeline.ts';
import { SignalBus } from '../../src/pipeline/signals.ts';
import { InProcessPublisher } from '../../src/publish/in-process-sink.ts';
import type { MarketSimulator } from '../../src/sim/market.ts';
import type { SimScenario } from '../../src/sim/scenario.ts';

export interface LoopOutcome {
  readonly portfolioId: string;
  /** True expected revenue per period at spendflow's final allocation, the initial one, and the best one. */
  readonly final: number;
  readonly initial: number;
  readonly oracle: number;
  readonly finalAllocation: Readonly<Record<string, number>>;
  readonly oracleAllocation: Readonly<Record<string, number>>;
}

export async function runClosedLoop(config: Config, scenario: SimScenario, days: number, start = Date.parse('2026-03-02T00:00:00Z')) {
  const bus = new InProcessBus({ retain: 100 });
  const publisher = new InProcessPublisher(bus, config.kafka.topics);
  let market: MarketSimulator | null = null;
  const feedback = {
    publish: async (events: readonly ReallocationEvent[]) => {
      await publisher.publish(events);
      for (const e of events) market!.applyReallocation(e);
    },
    close: async () => {},
  };
  const pipeline: Pipeline = createPipeline({ config, allocations: feedback, deadLetters: publisher, signals: new SignalBus(), now: () => 0, clock: null });
  market = buildMarket(config, scenario, start);
  const initial = Object.fromEntries(config.portfolios.map((p) => [p.id, { ...pipeline.portfolio(p.id)!.allocation.budgets }]));
  const ticks = Math.round((days * 24 * 60) / config.simulator.tickMinutes);
  let events = 0;
  for (let i = 0; i < ticks; i++) {
    for (const r of market.step()) {
      await pipeline.handle({ topic: r.topic, kind: r.topic, key: r.key, value: JSON.stringify(r.value) });
      events++;
    }
  }
  const outcomes: LoopOutcome[] = config.portfolios.map((p) => {
    const bounds = {
      min: Object.fromEntries(p.channels.map((c) => [c.id, c.min])),
      max: Object.fromEntries(p.channels.map((c) => [c.id, c.max ?? Infinity])),
    };
    const finalAllocation = pipeline.portfolio(p.id)!.allocation.budgets;
    const oracleAllocation = market!.oracleAllocation(p.id, bounds);
    return {
      portfolioId: p.id,
      final: market!.expectedRevenue(p.id, finalAllocation),
      initial: market!.expectedRevenue(p.id, initial[p.id]!),
      oracle: market!.expectedRevenue(p.id, oracleAllocation),
      finalAllocation,
      oracleAllocation,
    };
  });
  return { outcomes, events, pipeline };
}
