/**
 * Turns what a batch changed into state records (src/stream/state-records.ts): the decision of
 * each portfolio that decided, the ingest state of each that was touched, the event ids first
 * seen since the last snapshot (as a new record, so a snapshot never rewrites old ids), and
 * tombstones for ids records whose buckets no longer need de-duplication.
 */
import type { Outbox, Pipeline } from '../pipeline/pipeline.ts';
import { encodeKey, encodeValue } from './state-records.ts';

export interface StateRecord {
  readonly key: string;
  /** null: a tombstone. */
  readonly value: string | null;
}

type IdKey = { readonly bucketStart: number; readonly key: string };

export class StateTracker {
  /** Live ids records per portfolio. */
  private readonly idKeys = new Map<string, IdKey[]>();
  /** Keys to delete with the next commit on a partition (restore markers). */
  private readonly deletes = new Map<number, Set<string>>();
  private seq = 0;

  constructor(private readonly instance: string) {}

  /** The ids records a restore found for a portfolio. */
  adopt(portfolioId: string, keys: readonly IdKey[]): void {
    this.idKeys.set(portfolioId, [...keys]);
  }

  forget(portfolioId: string): void {
    this.idKeys.delete(portfolioId);
  }

  deleteLater(key: string, partition: number): void {
    let set = this.deletes.get(partition);
    if (!set) this.deletes.set(partition, (set = new Set()));
    set.add(key);
  }

  records(pipeline: Pipeline, outbox: Outbox, partition = -1): StateRecord[] {
    const out: StateRecord[] = [];
    for (const id of outbox.decided) {
      const decision = pipeline.decisionState(id);
      if (decision) out.push({ key: encodeKey({ kind: 'decision', portfolioId: id }), value: encodeValue(decision) });
    }
    for (const id of new Set([...outbox.touched, ...outbox.decided])) {
      const ingest = pipeline.ingestState(id);
      if (!ingest) continue;
      out.push({ key: encodeKey({ kind: 'ingest', portfolioId: id }), value: encodeValue(ingest) });
      const live = this.idKeys.get(id) ?? [];
      for (const [bucketStart, ids] of pipeline.takeNewIds(id)) {
        const key = encodeKey({ kind: 'ids', portfolioId: id, bucketStart, seq: `${this.instance}.${++this.seq}` });
        out.push({ key, value: encodeValue(ids) });
        live.push({ bucketStart, key });
      }
      const horizon = pipeline.idsForgetBefore(id);
      const keep: IdKey[] = [];
      for (const k of live) {
        if (k.bucketStart < horizon) out.push({ key: k.key, value: null });
        else keep.push(k);
      }
      this.idKeys.set(id, keep);
    }
    for (const key of this.deletes.get(partition) ?? []) out.push({ key, value: null });
    return out;
  }

  /** The records of `partition` are committed: its pending deletes went out. */
  committed(partition = -1): void {
    this.deletes.delete(partition);
  }
}
