/**
 * The control plane: portfolio configuration and the kill switch, versioned, latest wins.
 *
 * Entries start from the configuration files (version 0). Every accepted change (PUT, pause,
 * resume) takes the next version and is written to a store — the compacted control topic in
 * Kafka mode (every instance reads it, so all of them converge on the highest version), a file
 * in the state directory in embedded mode — and applied to the pipeline here at once.
 */
import type { Config, PortfolioConfig } from '../config/types.ts';
import { validatePortfolio } from '../config/validate.ts';
import { SpendflowError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { ControlPlane, PortfolioEntry, ReoptimizeResult } from './types.ts';

export const CONTROL_FORMAT = 'spendflow-control/1';

/** What the store keeps per portfolio: the latest accepted entry. */
export interface ControlRecord {
  readonly format: typeof CONTROL_FORMAT;
  readonly id: string;
  readonly version: number;
  readonly config: PortfolioConfig;
  readonly paused: boolean;
  readonly pausedReason: string | null;
  readonly updatedAt: string;
}

export interface ControlStore {
  /** Every stored record (any order); later calls to the listener bring new ones. */
  load(): Promise<ControlRecord[]>;
  write(record: ControlRecord): Promise<void>;
  /** Records written by other instances, as they arrive. */
  onRecord(listener: (record: ControlRecord) => void): void;
  close(): Promise<void>;
}

/** A control record from untrusted bytes, or a reason why not. */
export function parseControlRecord(raw: string): { record: ControlRecord } | { problem: string } {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    return { problem: `not JSON: ${(err as Error).message}` };
  }
  if (v === null || typeof v !== 'object') return { problem: 'not an object' };
  const r = v as Record<string, unknown>;
  if (r['format'] !== CONTROL_FORMAT) return { problem: `format is not ${CONTROL_FORMAT}` };
  if (typeof r['id'] !== 'string' || !Number.isInteger(r['version']) || typeof r['paused'] !== 'boolean' || typeof r['updatedAt'] !== 'string') {
    return { problem: 'id, version, paused or updatedAt missing or of the wrong type' };
  }
  const checked = validatePortfolio(r['config']);
  if (!checked.portfolio) return { problem: `config: ${checked.problems.map((p) => `${p.field} ${p.message}`).join('; ')}` };
  if (checked.portfolio.id !== r['id']) return { problem: `config.id ${checked.portfolio.id} differs from id ${String(r['id'])}` };
  return {
    record: {
      format: CONTROL_FORMAT,
      id: r['id'],
      version: r['version'] as number,
      config: checked.portfolio,
      paused: r['paused'],
      pausedReason: typeof r['pausedReason'] === 'string' ? r['pausedReason'] : null,
      updatedAt: r['updatedAt'],
    },
  };
}

const recordKey = (r: ControlRecord) => `${r.id}\u0000${r.version}\u0000${r.updatedAt}`;

export interface ControlPlaneDeps {
  readonly config: Config;
  readonly pipeline: Pipeline;
  readonly store: ControlStore;
  /** Whether this instance holds the portfolio's live state (always, embedded). */
  readonly owns: (portfolioId: string) => boolean;
  /** Runs a change to a live portfolio and commits/publishes what it produced. */
  readonly run: <T>(portfolioId: string, fn: () => T) => Promise<T>;
  readonly log: Logger;
  readonly now?: () => number;
}

interface Entry {
  readonly config: PortfolioConfig;
  readonly version: number;
  readonly source: PortfolioEntry['source'];
  readonly updatedAt: string | null;
  readonly paused: boolean;
  readonly pausedReason: string | null;
}

export class LiveControlPlane implements ControlPlane {
  private readonly entries = new Map<string, Entry>();
  /** Serialises changes, so versions are assigned one at a time. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Records this instance wrote: when the follower reads them back, `accept` already applies them. */
  private readonly written = new Set<string>();

  constructor(private readonly deps: ControlPlaneDeps) {
    for (const p of deps.config.portfolios) {
      this.entries.set(p.id, { config: p, version: 0, source: 'file', updatedAt: null, paused: false, pausedReason: null });
    }
  }

  /** Loads the store (latest version wins over the files) and follows it. */
  async start(): Promise<void> {
    for (const record of await this.deps.store.load()) this.adopt(record, 'control-topic');
    this.deps.store.onRecord((record) => {
      const key = recordKey(record);
      if (this.written.delete(key)) return;
      if (this.adopt(record, 'control-topic')) void this.settle(record.id, null).catch(() => {});
    });
  }

  ids(): string[] {
    return [...this.entries.keys()];
  }

  /** Applies a record when it is newer than what is known; true when it was. */
  private adopt(record: ControlRecord, source: PortfolioEntry['source']): boolean {
    const known = this.entries.get(record.id);
    if (known && (known.version > record.version || (known.version === record.version && (known.updatedAt ?? '') >= record.updatedAt))) return false;
    this.entries.set(record.id, { config: record.config, version: record.version, source, updatedAt: record.updatedAt, paused: record.paused, pausedReason: record.pausedReason });
    const what = this.deps.pipeline.applyConfig(record.config, record.version);
    this.deps.pipeline.setPaused(record.id, record.paused ? (record.pausedReason ?? 'paused') : null);
    this.deps.log.info('portfolio configuration applied', { portfolioId: record.id, version: record.version, paused: record.paused, effect: what });
    return true;
  }

  private view(id: string, e: Entry): PortfolioEntry {
    return { config: e.config, version: e.version, source: e.source, updatedAt: e.updatedAt, paused: e.paused, pausedReason: e.pausedReason, owned: this.deps.owns(id) };
  }

  list(): PortfolioEntry[] {
    return [...this.entries].map(([id, e]) => this.view(id, e));
  }

  get(id: string): PortfolioEntry | undefined {
    const e = this.entries.get(id);
    return e ? this.view(id, e) : undefined;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  private known(id: string): Entry {
    const e = this.entries.get(id);
    if (!e) throw new SpendflowError('PORTFOLIO_NOT_FOUND', `no portfolio "${id}"`);
    return e;
  }

  private async accept(id: string, next: Omit<ControlRecord, 'format' | 'id' | 'version' | 'updatedAt'>, previous: Entry | undefined): Promise<PortfolioEntry> {
    const record: ControlRecord = {
      format: CONTROL_FORMAT,
      id,
      version: (previous?.version ?? 0) + 1,
      updatedAt: new Date((this.deps.now ?? Date.now)()).toISOString(),
      ...next,
    };
    this.written.add(recordKey(record));
    try {
      await this.deps.store.write(record);
    } catch (err) {
      this.written.delete(recordKey(record));
      throw err;
    }
    this.adopt(record, 'api');
    await this.settle(id, previous?.config ?? null);
    return this.get(id)!;
  }

  /**
   * After a change to a portfolio this instance owns: when the budget went down or the
   * channels changed, reoptimize now, so no allocation stays above the budget until the next
   * bucket closes. Best effort: the next bucket does it otherwise.
   */
  private async settle(id: string, before: PortfolioConfig | null): Promise<void> {
    if (!this.deps.owns(id)) return;
    const now = this.entries.get(id)!.config;
    const channels = (p: PortfolioConfig) => p.channels.map((c) => c.id).join('\u0000');
    if (before !== null && now.budget >= before.budget && channels(now) === channels(before)) return;
    try {
      await this.deps.run(id, () => this.deps.pipeline.reoptimizeNow(id));
    } catch (err) {
      this.deps.log.warn('reoptimization after a configuration change failed; the next bucket will do it', { portfolioId: id, error: (err as Error).message });
    }
  }

  put(id: string, body: unknown, options: { readonly expectedVersion?: number } = {}): Promise<PortfolioEntry> {
    return this.serial(async () => {
      const checked = validatePortfolio(body);
      const bodyId = body !== null && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
      if (bodyId !== undefined && bodyId !== id) {
        throw new SpendflowError('CONFIG_INVALID', `portfolio id in the body (${String(bodyId)}) differs from the path (${id})`, {
          problems: [{ field: 'id', message: `must equal the path's id "${id}"` }],
        });
      }
      // The id may come from the path alone.
      const withId = bodyId === undefined && body !== null && typeof body === 'object' ? validatePortfolio({ ...(body as object), id }) : checked;
      if (!withId.portfolio) {
        throw new SpendflowError('CONFIG_INVALID', `invalid portfolio configuration: ${withId.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`, { problems: withId.problems });
      }
      const previous = this.entries.get(id);
      if (options.expectedVersion !== undefined && (previous?.version ?? -1) !== options.expectedVersion) {
        throw new SpendflowError('VERSION_CONFLICT', `portfolio "${id}" is at version ${previous?.version ?? 'none'}, not ${options.expectedVersion}; read it again and retry`);
      }
      return this.accept(id, { config: withId.portfolio, paused: previous?.paused ?? false, pausedReason: previous?.pausedReason ?? null }, previous);
    });
  }

  pause(id: string, reason: string | null): Promise<PortfolioEntry> {
    return this.serial(async () => {
      const e = this.known(id);
      const entry = await this.accept(id, { config: e.config, paused: true, pausedReason: reason ?? 'paused through the API' }, e);
      // The pause shows in the allocation state too (status paused), committed with it.
      if (this.deps.owns(id)) await this.deps.run(id, () => undefined).catch(() => {});
      return entry;
    });
  }

  resume(id: string): Promise<PortfolioEntry> {
    return this.serial(async () => {
      const e = this.known(id);
      return this.accept(id, { config: e.config, paused: false, pausedReason: null }, e);
    });
  }

  async reoptimize(id: string): Promise<ReoptimizeResult> {
    this.known(id);
    if (!this.deps.owns(id)) {
      throw new SpendflowError('NOT_OWNER', `this instance does not own portfolio "${id}"'s partition; ask the instance that does (GET /v1/portfolios shows owned)`);
    }
    return this.deps.run(id, () => this.deps.pipeline.reoptimizeNow(id));
  }
}
