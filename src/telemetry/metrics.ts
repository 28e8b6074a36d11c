/**
 * Prometheus metrics, on an injected registry (never the global one), fed by pipeline signals.
 * Labels are bounded: event kind, result, reason, outcome and ad platform; no per-portfolio
 * labels. Every metric here is listed in docs/metrics.md.
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import type { PipelineSignal, SignalBus } from '../pipeline/signals.ts';
import type { HistoryStats } from './history-writer.ts';
import { registerPortfolioGauges } from './portfolio-gauges.ts';

export interface PipelineMetricsOptions {
  /** prom-client's default process and Node.js metrics (default true). */
  readonly processMetrics?: boolean;
  /** Portfolios that get per-portfolio and per-channel gauges (`metrics.portfolios`). */
  readonly portfolios?: readonly string[];
}

export function registerPipelineMetrics(registry: Registry, signals: SignalBus, options: PipelineMetricsOptions = {}): () => void {
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'spendflow_' });
  const registers = [registry];
  const consumed = new Counter({
    name: 'spendflow_events_consumed_total',
    help: 'Spend and sales records consumed, by kind (spend, sales) and result (accepted, duplicate, invalid, late).',
    labelNames: ['kind', 'result'] as const,
    registers,
  });
  const invalid = new Counter({
    name: 'spendflow_invalid_events_total',
    help: 'Records rejected as invalid, by reason (too_large, malformed_json, invalid, unknown_portfolio, unknown_channel, wrong_partition, internal).',
    labelNames: ['reason'] as const,
    registers,
  });
  const late = new Counter({ name: 'spendflow_late_events_total', help: 'Records later than the allowed lateness (sent to the DLQ).', registers });
  const duplicates = new Counter({ name: 'spendflow_duplicate_events_total', help: 'Records whose eventId was already counted (ignored).', registers });
  const deadLetters = new Counter({
    name: 'spendflow_dead_letters_total',
    help: 'Records written to the dead-letter topic, by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const buckets = new Counter({ name: 'spendflow_buckets_closed_total', help: 'Event-time buckets closed (all portfolios).', registers });
  const closeToCommit = new Histogram({
    name: 'spendflow_bucket_close_to_commit_seconds',
    help: 'From a bucket closing (model update, reoptimization) to its outputs being committed (Kafka) or published (embedded).',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5],
    registers,
  });
  const reoptimizations = new Counter({
    name: 'spendflow_reoptimizations_total',
    help: 'Reoptimizations run, by outcome (published, unchanged, learning, held, paused).',
    labelNames: ['outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'spendflow_reoptimization_duration_seconds',
    help: 'Time to refit the model and reallocate one portfolio.',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const published = new Counter({
    name: 'spendflow_reallocations_published_total',
    help: 'Reallocation events published (one per channel), by ad platform.',
    labelNames: ['platform'] as const,
    registers,
  });
  const modelUpdates = new Counter({
    name: 'spendflow_model_updates_total',
    help: 'Online model updates (one per closed bucket per portfolio), by result (ok, failed: the last allocation is held).',
    labelNames: ['result'] as const,
    registers,
  });
  const modelDuration = new Histogram({
    name: 'spendflow_model_update_duration_seconds',
    help: 'Time to absorb one closed bucket into a portfolio\'s online model.',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
    registers,
  });
  const drift = new Counter({
    name: 'spendflow_drift_detections_total',
    help: 'Changes in a portfolio\'s response detected by the model (each cuts the memory of what changed).',
    registers,
  });
  const explored = new Counter({
    name: 'spendflow_exploration_draws_total',
    help: 'Reoptimizations made against a posterior draw of the curves (Thompson sampling) instead of the mean.',
    registers,
  });
  const guardrails = new Counter({
    name: 'spendflow_guardrail_interventions_total',
    help: 'Decisions a guardrail shaped, by kind (learning, unhealthy, hold_after_change, paused, max_change, budget_cap, bounds, min_roas).',
    labelNames: ['kind'] as const,
    registers,
  });
  const commits = new Counter({ name: 'spendflow_transactions_committed_total', help: 'Kafka transactions committed (one per consumed batch or control action).', registers });
  const aborts = new Counter({ name: 'spendflow_transaction_aborts_total', help: 'Kafka transactions aborted (the partition is then restored and the batch processed again).', registers });
  const commitDuration = new Histogram({
    name: 'spendflow_transaction_duration_seconds',
    help: 'Time to commit one transaction (outputs, state records, offsets).',
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const restores = new Counter({ name: 'spendflow_state_restores_total', help: 'Partitions restored from the state topic (or the local store at start).', registers });
  const restoreDuration = new Histogram({
    name: 'spendflow_state_restore_duration_seconds',
    help: 'Time to restore one partition: fence, marker, read the state up to it, seek.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers,
  });
  const stateInvalid = new Counter({ name: 'spendflow_state_invalid_total', help: 'Stored state records that could not be read (that part of the portfolio started afresh).', registers });
  const lag = new Gauge({
    name: 'spendflow_consumer_lag_records',
    help: 'Records between the last consumed offset and the high watermark, per assigned partition of the spend and sales topics (Kafka mode).',
    labelNames: ['topic', 'partition'] as const,
    registers,
  });
  const rmse = new Histogram({
    name: 'spendflow_model_rmse_ratio',
    help: 'Model loss after each update: weighted RMSE of the fit over the replay window, relative to the portfolio\'s typical bucket revenue.',
    buckets: [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1, 2],
    registers,
  });
  const gap = new Histogram({
    name: 'spendflow_optimizer_gap_ratio',
    help: 'Certified optimality gap, (bound − objective)/bound, of each optimized decision.',
    buckets: [1e-6, 1e-5, 1e-4, 1e-3, 0.005, 0.01, 0.02, 0.05, 0.1],
    registers,
  });
  const portfolioGauges = registerPortfolioGauges(registry, options.portfolios ?? []);
  // Zero-initialise the common series so dashboards and alerts see 0, not "no data".
  for (const kind of ['spend', 'sales']) for (const result of ['accepted', 'duplicate', 'invalid', 'late']) consumed.labels(kind, result).inc(0);
  for (const outcome of ['published', 'unchanged', 'learning', 'held', 'paused']) reoptimizations.labels(outcome).inc(0);
  for (const result of ['ok', 'failed']) modelUpdates.labels(result).inc(0);
  for (const reason of ['too_large', 'malformed_json', 'invalid', 'unknown_portfolio', 'unknown_channel', 'wrong_partition', 'internal']) invalid.labels(reason).inc(0);
  for (const kind of ['learning', 'unhealthy', 'hold_after_change', 'paused', 'max_change', 'budget_cap', 'bounds', 'min_roas']) guardrails.labels(kind).inc(0);

  // The per-record series, bound once: prom-client's labels() hashes its arguments on every call.
  const consumedBy = new Map<string, ReturnType<typeof consumed.labels>>();
  const consumedChild = (kind: string, result: string) => {
    const key = `${kind}\0${result}`;
    let child = consumedBy.get(key);
    if (!child) consumedBy.set(key, (child = consumed.labels(kind, result)));
    return child;
  };
  return signals.on((s: PipelineSignal) => {
    switch (s.type) {
      case 'event.consumed':
        consumedChild(s.kind, s.result).inc();
        if (s.result === 'duplicate') duplicates.inc();
        if (s.result === 'late') late.inc();
        break;
      case 'dead_letter.sent':
        deadLetters.labels(s.reason).inc();
        if (s.reason !== 'late') invalid.labels(s.reason).inc();
        break;
      case 'bucket.closed':
        buckets.inc();
        closeToCommit.observe((performance.now() - s.closedAt) / 1000);
        break;
      case 'reoptimized':
        reoptimizations.labels(s.outcome).inc();
        duration.observe(s.durationSeconds);
        if (s.explored) explored.inc();
        if ((s.outcome === 'published' || s.outcome === 'unchanged') && s.allocation.gap !== null && Number.isFinite(s.allocation.gap)) gap.observe(Math.max(0, s.allocation.gap));
        portfolioGauges.decided(s.portfolioId, s.allocation, s.budget);
        break;
      case 'model.updated':
        modelUpdates.labels(s.ok ? 'ok' : 'failed').inc();
        modelDuration.observe(s.durationSeconds);
        break;
      case 'bucket.modelled':
        if (Number.isFinite(s.rmse) && s.model.revenueScale > 0) rmse.observe(s.rmse / s.model.revenueScale);
        break;
      case 'consumer.lag':
        if (s.lag === null) lag.remove(s.topic, String(s.partition));
        else lag.labels(s.topic, String(s.partition)).set(s.lag);
        break;
      case 'drift.detected':
        drift.inc();
        break;
      case 'reallocation.published':
        published.labels(s.platform).inc(s.count);
        break;
      case 'guardrail.intervened':
        guardrails.labels(s.kind).inc();
        break;
      case 'transaction.committed':
        commits.inc();
        commitDuration.observe(s.durationSeconds);
        break;
      case 'transaction.aborted':
        aborts.inc();
        break;
      case 'state.restored':
        restores.inc();
        restoreDuration.observe(s.durationSeconds);
        break;
      case 'state.invalid':
        stateInvalid.inc();
        break;
    }
  });
}

/** The history writer's counters, registered whether or not InfluxDB is configured (so they read 0). */
export function registerHistoryMetrics(registry: Registry): HistoryStats {
  const registers = [registry];
  const written = new Counter({ name: 'spendflow_influx_points_written_total', help: 'History points InfluxDB accepted.', registers });
  const failures = new Counter({ name: 'spendflow_influx_write_failures_total', help: 'Failed InfluxDB requests (each is retried with backoff until influx.maxRetries).', registers });
  const dropped = new Counter({
    name: 'spendflow_influx_points_dropped_total',
    help: 'History points never written, by reason (buffer_full, retries_exhausted, rejected, shutdown).',
    labelNames: ['reason'] as const,
    registers,
  });
  const buffer = new Gauge({ name: 'spendflow_influx_buffer_points', help: 'History points waiting to be written (bounded by influx.maxBufferPoints).', registers });
  for (const reason of ['buffer_full', 'retries_exhausted', 'rejected', 'shutdown']) dropped.labels(reason).inc(0);
  buffer.set(0);
  return {
    written: (n) => written.inc(n),
    failed: () => failures.inc(),
    dropped: (n, reason) => dropped.labels(reason).inc(n),
    buffered: (n) => buffer.set(n),
  };
}
