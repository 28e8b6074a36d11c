/**
 * Embedded mode's durable state: the same records the Kafka state topic holds, kept as a table
 * in memory and saved atomically to `<state.dir>/state.json` — at every decision (a bucket
 * closed, a control action) and otherwise at most `flushMs` after a change, and on stop.
 */
import { join } from 'node:path';
import { SpendflowError } from '../errors.ts';
import { readFileIfExists, writeFileAtomic } from '../runtime/atomic-file.ts';
import { snapshotsOf, type RestoredPortfolio, type StateTable } from './state-records.ts';
import type { StateRecord } from './state-tracker.ts';

export class LocalStateStore {
  private readonly table: StateTable = new Map();
  private readonly path: string | null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(dir: string | null, private readonly flushMs = 1000) {
    this.path = dir === null ? null : join(dir, 'state.json');
  }

  get file(): string | null {
    return this.path;
  }

  /** What was saved, by portfolio (empty without a file). */
  load(): Map<string, RestoredPortfolio> {
    const text = this.path ? readFileIfExists(this.path) : null;
    if (text !== null) {
      let entries: unknown;
      try {
        entries = JSON.parse(text);
      } catch (err) {
        throw new SpendflowError('STATE_INVALID', `${this.path} is not JSON (${(err as Error).message}); move it away to start afresh`);
      }
      if (!Array.isArray(entries)) throw new SpendflowError('STATE_INVALID', `${this.path} is not a list of [key, value] records`);
      for (const e of entries) if (Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'string') this.table.set(e[0], e[1]);
    }
    return snapshotsOf(this.table);
  }

  /** Applies records; saves now when `decided`, else soon. */
  apply(records: readonly StateRecord[], decided: boolean): void {
    if (records.length === 0) return;
    for (const r of records) {
      if (r.value === null) this.table.delete(r.key);
      else this.table.set(r.key, r.value);
    }
    this.dirty = true;
    if (decided) this.save();
    else if (!this.timer && this.path) this.timer = setTimeout(() => this.save(), this.flushMs).unref();
  }

  save(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.dirty || !this.path) return;
    writeFileAtomic(this.path, JSON.stringify([...this.table]));
    this.dirty = false;
  }
}
