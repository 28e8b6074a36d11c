/**
 * Portfolio state as records of the compacted state topic (and of the embedded local store).
 *
 * Keys are JSON arrays, so any portfolio id is safe in them:
 *   ["decision", id]                 model, allocation, counters: rewritten when a bucket closes
 *   ["ingest", id]                   open buckets and stream watermarks: rewritten when touched
 *   ["ids", id, bucketStart, seq]    event ids first seen in one transaction, for one bucket:
 *                                    written once, deleted (tombstone) when the bucket's ids
 *                                    are no longer needed for de-duplication
 *   ["marker", uuid]                 a restore's fence post: everything before it is complete
 * Values carry a format tag; numbers that JSON cannot hold (NaN, ±Infinity) are tagged, so a
 * snapshot restores to exactly what was saved.
 */
import { SpendflowError } from '../errors.ts';
import type { BucketsState } from '../ingest/buckets.ts';
import type { DecisionState, PortfolioSnapshot } from '../pipeline/pipeline.ts';

export const STATE_FORMAT = 'spendflow-state/1';

export type StateKey =
  | { readonly kind: 'decision'; readonly portfolioId: string }
  | { readonly kind: 'ingest'; readonly portfolioId: string }
  | { readonly kind: 'ids'; readonly portfolioId: string; readonly bucketStart: number; readonly seq: string }
  | { readonly kind: 'marker'; readonly id: string };

export function encodeKey(key: StateKey): string {
  switch (key.kind) {
    case 'decision':
    case 'ingest':
      return JSON.stringify([key.kind, key.portfolioId]);
    case 'ids':
      return JSON.stringify(['ids', key.portfolioId, key.bucketStart, key.seq]);
    case 'marker':
      return JSON.stringify(['marker', key.id]);
  }
}

/** The key's meaning, or null for a key spendflow did not write. */
export function decodeKey(raw: string): StateKey | null {
  let parts: unknown;
  try {
    parts = JSON.parse(raw);
  } catch {
    return null;
  }
  if (!Array.isArray(parts) || typeof parts[1] !== 'string') return null;
  if ((parts[0] === 'decision' || parts[0] === 'ingest') && parts.length === 2) return { kind: parts[0], portfolioId: parts[1] };
  if (parts[0] === 'ids' && parts.length === 4 && typeof parts[2] === 'number' && typeof parts[3] === 'string') {
    return { kind: 'ids', portfolioId: parts[1], bucketStart: parts[2], seq: parts[3] };
  }
  if (parts[0] === 'marker' && parts.length === 2) return { kind: 'marker', id: parts[1] };
  return null;
}

const NON_FINITE = '$nonFinite';

/** JSON with NaN and ±Infinity kept (as {"$nonFinite": "NaN"}). */
export function encodeValue(data: unknown): string {
  return JSON.stringify({ format: STATE_FORMAT, data }, (_key, v: unknown) =>
    typeof v === 'number' && !Number.isFinite(v) ? { [NON_FINITE]: String(v) } : v,
  );
}

/** The data of a value written by `encodeValue`; STATE_INVALID when it is not one. */
export function decodeValue(raw: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw, (_key, v: unknown) => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        const keys = Object.keys(v);
        if (keys.length === 1 && keys[0] === NON_FINITE) return Number((v as Record<string, string>)[NON_FINITE]);
      }
      return v;
    });
  } catch (err) {
    throw new SpendflowError('STATE_INVALID', `state record is not JSON: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || (parsed as { format?: unknown }).format !== STATE_FORMAT) {
    throw new SpendflowError('STATE_INVALID', `state record is not in format ${STATE_FORMAT}`);
  }
  return (parsed as { data: unknown }).data;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Shape checks on what a restore hands the pipeline: a wrong record must not become live state. */
export function decodeDecision(raw: string): DecisionState {
  const d = decodeValue(raw);
  if (!isObject(d) || !isObject(d['allocation']) || typeof d['bucketsSeen'] !== 'number' || typeof d['rounds'] !== 'number' || !Array.isArray(d['notes'])) {
    throw new SpendflowError('STATE_INVALID', 'decision state lacks allocation, bucketsSeen, rounds or notes');
  }
  const a = d['allocation'];
  if (typeof a['version'] !== 'number' || !isObject(a['budgets'])) throw new SpendflowError('STATE_INVALID', 'decision state: allocation lacks version or budgets');
  if (d['model'] !== null && !(isObject(d['model']) && d['model']['format'] === 'spendflow-online/1')) {
    throw new SpendflowError('STATE_INVALID', 'decision state: model is not a spendflow-online/1 state');
  }
  return d as unknown as DecisionState;
}

export function decodeIngest(raw: string): BucketsState {
  const d = decodeValue(raw);
  if (!isObject(d) || !Array.isArray(d['open']) || !isObject(d['streamMax']) || !isObject(d['streamArrival'])) {
    throw new SpendflowError('STATE_INVALID', 'ingest state lacks open buckets or stream positions');
  }
  return d as unknown as BucketsState;
}

export function decodeIds(raw: string): string[] {
  const d = decodeValue(raw);
  if (!Array.isArray(d) || !d.every((x) => typeof x === 'string')) throw new SpendflowError('STATE_INVALID', 'ids record is not a list of strings');
  return d;
}

/** The latest value of every key (null: deleted), as read from a compacted topic in order. */
export type StateTable = Map<string, string | null>;

export interface RestoredPortfolio {
  readonly snapshot: PortfolioSnapshot;
  /** The ids records that are live (to be deleted once their bucket's ids are not needed). */
  readonly idKeys: { readonly bucketStart: number; readonly key: string }[];
  /** What could not be read (the portfolio then starts from what could). */
  readonly problems: string[];
}

/** Groups a table's records by portfolio into snapshots. */
export function snapshotsOf(table: StateTable): Map<string, RestoredPortfolio> {
  const out = new Map<string, { decision: DecisionState | null; ingest: BucketsState | null; ids: Map<number, string[]>; idKeys: { bucketStart: number; key: string }[]; problems: string[] }>();
  const entry = (id: string) => {
    let e = out.get(id);
    if (!e) out.set(id, (e = { decision: null, ingest: null, ids: new Map(), idKeys: [], problems: [] }));
    return e;
  };
  for (const [rawKey, value] of table) {
    if (value === null) continue;
    const key = decodeKey(rawKey);
    if (key === null || key.kind === 'marker') continue;
    const e = entry(key.portfolioId);
    try {
      if (key.kind === 'decision') e.decision = decodeDecision(value);
      else if (key.kind === 'ingest') e.ingest = decodeIngest(value);
      else {
        const list = e.ids.get(key.bucketStart) ?? [];
        list.push(...decodeIds(value));
        e.ids.set(key.bucketStart, list);
        e.idKeys.push({ bucketStart: key.bucketStart, key: rawKey });
      }
    } catch (err) {
      e.problems.push(`${key.kind}: ${(err as Error).message}`);
    }
  }
  return new Map([...out].map(([id, e]) => [id, { snapshot: { decision: e.decision, ingest: e.ingest, ids: e.ids }, idKeys: e.idKeys, problems: e.problems }]));
}
