/**
 * The pipeline's side of the online model: its options from the config, its spec from a
 * portfolio, closed buckets as model input, and one guarded update step that never loses the
 * previous state. The model itself is pure (src/model/online).
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import { errorMessage, isSpendflowError } from '../errors.ts';
import type { ClosedBucket } from '../ingest/buckets.ts';
import { createOnlineModel, updateOnlineModel, type OnlineModelSpec, type UpdateReport } from '../model/online/online-model.ts';
import type { ModelBucket, OnlineModelOptions, OnlineModelState } from '../model/online/types.ts';
import { initialBudgets } from './allocation-state.ts';

export function onlineModelOptions(config: Pick<Config, 'model' | 'ingest'>): OnlineModelOptions {
  const m = config.model;
  return {
    bucketMs: config.ingest.bucketMinutes * 60_000,
    windowBuckets: m.windowBuckets,
    halfLifeBuckets: m.halfLifeBuckets,
    priorRoi: m.priorRoi,
    priorPrecision: m.ridge,
    shapeSteps: m.shapeSteps,
    drift: { enabled: m.driftDetection, threshold: m.driftThreshold },
  };
}

export function onlineModelSpec(portfolio: PortfolioConfig): OnlineModelSpec {
  return {
    channels: portfolio.channels.map((c) => c.id),
    referenceSpend: initialBudgets(portfolio),
    attributedChannels: portfolio.channels.filter((c) => c.attributed === true).map((c) => c.id),
  };
}

export function modelBucketOf(bucket: ClosedBucket): ModelBucket {
  return { start: bucket.start, revenue: bucket.revenue, spend: bucket.spend, attributedRevenue: bucket.attributedRevenue };
}

export type ModelStep =
  | { readonly ok: true; readonly state: OnlineModelState; readonly report: UpdateReport; readonly durationSeconds: number }
  | { readonly ok: false; readonly state: OnlineModelState; readonly problem: string; readonly durationSeconds: number };

/**
 * Absorbs one closed bucket into the portfolio's model (created on the first). A bucket the model
 * refuses, or an update that degenerates, leaves the previous state in place and says why: the
 * reoptimizer then holds the last allocation instead of acting on a broken model.
 */
export function stepPortfolioModel(
  state: OnlineModelState | null,
  portfolio: PortfolioConfig,
  bucket: ClosedBucket,
  options: OnlineModelOptions,
): ModelStep {
  const started = performance.now();
  const base = state ?? createOnlineModel(onlineModelSpec(portfolio), options);
  try {
    const { state: next, report } = updateOnlineModel(base, modelBucketOf(bucket), options);
    return { ok: true, state: next, report, durationSeconds: (performance.now() - started) / 1000 };
  } catch (err) {
    const problem = isSpendflowError(err) && err.problems.length > 0
      ? `${err.message}: ${err.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`
      : errorMessage(err);
    return { ok: false, state: base, problem, durationSeconds: (performance.now() - started) / 1000 };
  }
}

/** Buckets after a detected change during which the reoptimizer optimises the mean curves. */
export const EXPLORATION_PAUSE_BUCKETS = 6;

/**
 * Whether a change was detected in the last `buckets` buckets. Right after one, the memory cut
 * has widened the posterior and the first post-change buckets cannot yet tell which component
 * changed: the reoptimizer holds the allocation for `model.holdAfterChangeBuckets` and then
 * optimises the mean curves until EXPLORATION_PAUSE_BUCKETS have passed (measured, both shorten
 * the revenue dip after a change point; docs/evaluation.md).
 */
export function recentlyChanged(model: OnlineModelState | null, buckets = EXPLORATION_PAUSE_BUCKETS): boolean {
  if (model === null || model.lastBucket === null || buckets <= 0) return false;
  const horizon = model.lastBucket - buckets * model.bucketMs;
  return model.blocks.some((b) => b.drift.events.some((e) => e.detectedAt > horizon));
}
