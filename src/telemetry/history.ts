/**
 * History for the Grafana boards: subscribes to pipeline signals (which leave only with committed
 * work) and queues their points on the history writer. Off unless `influx.url` is set.
 */
import type { Config } from '../config/types.ts';
import type { Logger } from '../log.ts';
import type { PortfolioView } from '../pipeline/pipeline.ts';
import type { PipelineSignal, SignalBus } from '../pipeline/signals.ts';
import { HistoryWriter, type HistoryStats, type HistoryTarget } from './history-writer.ts';
import { allocationPoints, bucketPoints } from './influx-points.ts';
import { InfluxTarget } from './influx-target.ts';

export interface HistoryDeps {
  readonly config: Config;
  readonly signals: SignalBus;
  readonly stats: HistoryStats;
  readonly portfolio: (id: string) => Pick<PortfolioView, 'portfolio' | 'allocation'> | undefined;
  readonly log: Logger;
  /** For tests: another target than InfluxDB at `influx.url`. */
  readonly target?: HistoryTarget;
}

export interface History {
  readonly writer: HistoryWriter;
  /** Unsubscribes, then writes what is buffered (for up to `influx.timeoutMs`). */
  stop(): Promise<void>;
}

/** Points for one signal (none for signals history does not record). */
export function pointsFor(signal: PipelineSignal, portfolio: HistoryDeps['portfolio']) {
  if (signal.type === 'reoptimized') {
    const view = portfolio(signal.portfolioId);
    return view ? allocationPoints(view.portfolio, signal.allocation, signal.budget, signal.at) : [];
  }
  if (signal.type === 'bucket.modelled') {
    const budgets = portfolio(signal.portfolioId)?.allocation.budgets ?? {};
    return bucketPoints(signal.portfolioId, signal.model, budgets);
  }
  return [];
}

export function startHistory(deps: HistoryDeps): History | null {
  const { config, log } = deps;
  const influx = config.influx;
  if (influx.url === null && !deps.target) return null;
  const target = deps.target ?? new InfluxTarget({ ...influx, url: influx.url! });
  const writer = new HistoryWriter({
    target,
    batchSize: influx.batchSize,
    flushIntervalMs: influx.flushIntervalMs,
    maxBufferPoints: influx.maxBufferPoints,
    maxRetries: influx.maxRetries,
    stats: deps.stats,
    log,
  });
  writer.start();
  const unsubscribe = deps.signals.on((signal) => writer.add(pointsFor(signal, deps.portfolio)));
  log.info('writing history', { target: target.name, retentionPolicy: influx.retentionPolicy });
  return {
    writer,
    async stop() {
      unsubscribe();
      await writer.stop(influx.timeoutMs);
    },
  };
}
