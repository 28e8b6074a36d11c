/**
 * Typed signals the stages emit as they work. Telemetry (metrics now, InfluxDB later) subscribes;
 * the stages never call a metrics library themselves.
 */
import type { DeadLetterReason, InputKind } from '../events/types.ts';

export type ConsumeResult = 'accepted' | 'duplicate' | 'invalid' | 'late';
export type ReoptimizeOutcome = 'published' | 'unchanged' | 'learning' | 'held';

export type PipelineSignal =
  | { readonly type: 'event.consumed'; readonly kind: InputKind; readonly result: ConsumeResult }
  | { readonly type: 'dead_letter.sent'; readonly reason: DeadLetterReason }
  | { readonly type: 'bucket.closed'; readonly portfolioId: string; readonly bucketStart: number }
  | {
      readonly type: 'reoptimized';
      readonly portfolioId: string;
      readonly outcome: ReoptimizeOutcome;
      readonly solver: string;
      /** Optimised against a posterior draw (Thompson sampling) rather than the mean curves. */
      readonly explored: boolean;
      readonly durationSeconds: number;
    }
  | { readonly type: 'model.updated'; readonly portfolioId: string; readonly ok: boolean; readonly durationSeconds: number; readonly rmse: number }
  | { readonly type: 'drift.detected'; readonly portfolioId: string; readonly components: readonly string[] }
  | { readonly type: 'reallocation.published'; readonly portfolioId: string; readonly platform: string; readonly count: number };

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
