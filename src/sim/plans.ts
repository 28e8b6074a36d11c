/**
 * Budget plans inside the market simulator: the allocation a portfolio spends, reallocations
 * waiting for their effective time, and the checks on allocations passed in from outside.
 */
import { SpendflowError } from '../errors.ts';
import { evenSplit } from './oracle.ts';
import type { SimPortfolio } from './scenario.ts';

/** Budgets per period by channel id. */
export type Allocation = Readonly<Record<string, number>>;

export interface PendingPlan {
  readonly version: number;
  readonly effectiveFrom: number;
  readonly budget: number;
}

/** One channel's plan: what it spends now and what is queued. */
export interface ChannelPlan {
  planned: number;
  /** Newest version accepted (pending or effective); older or equal ones are stale. */
  newestVersion: number;
  /** Version of the plan in effect (−∞ for the initial plan). */
  appliedVersion: number;
  pending: PendingPlan[];
}

export function invalid(message: string): SpendflowError {
  return new SpendflowError('INPUT_INVALID', message);
}

/** Makes every pending plan due at `time` effective, in order of time then version; drops those superseded. */
export function promote(channels: readonly ChannelPlan[], time: number): void {
  for (const c of channels) {
    if (c.pending.length === 0) continue;
    const due = c.pending.filter((p) => p.effectiveFrom <= time);
    if (due.length === 0) continue;
    due.sort((a, b) => a.effectiveFrom - b.effectiveFrom || a.version - b.version);
    for (const plan of due) {
      if (plan.version > c.appliedVersion) {
        c.planned = plan.budget;
        c.appliedVersion = plan.version;
      }
    }
    c.pending = c.pending.filter((p) => p.effectiveFrom > time && p.version > c.appliedVersion);
  }
}

export function ownEntry<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Allocation → numbers in channel order; unknown channels are errors, missing ones 0 (or errors when `complete`). */
export function readAllocation(truth: SimPortfolio, allocation: Allocation, what: string, complete: boolean): number[] {
  const ids = new Set(truth.channels.map((c) => c.id));
  const unknown = Object.keys(allocation).find((id) => !ids.has(id));
  if (unknown !== undefined) throw invalid(`${what}: portfolio ${truth.id} has no channel ${JSON.stringify(unknown)}`);
  return truth.channels.map((c) => {
    const v = ownEntry(allocation, c.id);
    if (v === undefined && !complete) return 0;
    if (v === undefined || !Number.isFinite(v) || v < 0) {
      throw invalid(`${what}.${truth.id}.${c.id} must be a finite number >= 0 (got ${v})`);
    }
    return v;
  });
}

/** The budget split evenly, clamped into the scenario's channel bounds. */
export function evenPlan(truth: SimPortfolio): number[] {
  return evenSplit(truth.budget, truth.channels.map((c) => c.min ?? 0), truth.channels.map((c) => c.max ?? Infinity));
}
