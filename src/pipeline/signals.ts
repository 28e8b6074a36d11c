/**
 * Typed signals the stages emit as they work. Telemetry (metrics now, InfluxDB later) subscribes;
 * the stages never call a metrics library themselves.
 */
import type { DeadLetterReason, InputKind } from '../events/types.ts';
import type { OnlineModelState } from '../model/online/types.ts';
import type { GuardrailKind, PortfolioAllocation } from './allocation-state.ts';

export type ConsumeResult = 'accepted' | 'duplicate' | 'invalid' | 'late';
export type ReoptimizeOutcome = 'published' | 'unchanged' | 'learning' | 'held' | 'paused';

export type PipelineSignal =
  | { readonly type: 'event.consumed'; readonly kind: InputKind; readonly result: ConsumeResult }
  | { readonly type: 'dead_letter.sent'; readonly reason: DeadLetterReason }
  /** `closedAt`: performance.now() when the bucket closed (the signal itself leaves after the commit). */
  | { readonly type: 'bucket.closed'; readonly portfolioId: string; readonly bucketStart: number; readonly closedAt: number }
  | {
      readonly type: 'reoptimized';
      readonly portfolioId: string;
      readonly outcome: ReoptimizeOutcome;
      readonly solver: string;
      /** Optimised against a posterior draw (Thompson sampling) rather than the mean curves. */
      readonly explored: boolean;
      readonly durationSeconds: number;
      /** The allocation as decided (the new version when published, else the one kept). */
      readonly allocation: PortfolioAllocation;
      /** The portfolio's budget for the period (before any cap or guardrail). */
      readonly budget: number;
      /** Event time of the decision: the data cut-off (end of the last closed bucket). */
      readonly at: number;
    }
  | { readonly type: 'model.updated'; readonly portfolioId: string; readonly ok: boolean; readonly durationSeconds: number; readonly rmse: number }
  /**
   * A closed bucket was absorbed into the model: `model` is the state after it (immutable), whose
   * last window row is the bucket (src/model/online/history.ts reads it with its forecast).
   */
  | { readonly type: 'bucket.modelled'; readonly portfolioId: string; readonly bucketStart: number; readonly model: OnlineModelState; readonly rmse: number }
  /** Records behind the high watermark on an assigned input partition; null when it is no longer assigned here. */
  | { readonly type: 'consumer.lag'; readonly topic: string; readonly partition: number; readonly lag: number | null }
  | { readonly type: 'drift.detected'; readonly portfolioId: string; readonly components: readonly string[] }
  | { readonly type: 'reallocation.published'; readonly portfolioId: string; readonly platform: string; readonly count: number }
  | { readonly type: 'guardrail.intervened'; readonly portfolioId: string; readonly kind: GuardrailKind }
  /** A Kafka transaction (outputs + state + offsets) committed. */
  | { readonly type: 'transaction.committed'; readonly partition: number; readonly records: number; readonly durationSeconds: number }
  | { readonly type: 'transaction.aborted'; readonly partition: number; readonly reason: string }
  /** A partition's portfolios were restored from the state topic (or the local store, partition -1). */
  | { readonly type: 'state.restored'; readonly partition: number; readonly portfolios: number; readonly durationSeconds: number }
  /** A stored snapshot could not be read; the portfolio starts afresh. */
  | { readonly type: 'state.invalid'; readonly portfolioId: string; readonly problem: string };

export type SignalListener = (signal: PipelineSignal) => void;

export class SignalBus {
  private readonly listeners = new Set<SignalListener>();

  on(listener: SignalListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(signal: PipelineSignal): void {
    for (const listener of this.listeners) {
      try {
        listener(signal);
      } catch {
        // A broken listener must never break the pipeline.
      }
    }
  }
}
