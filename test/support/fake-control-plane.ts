/**
 * An in-memory ControlPlane that behaves like the real one as far as the API can tell: portfolios
 * from "configuration files" at version 0, every accepted change the next version, latest wins,
 * the configuration validator of the files (field problems with paths like `budget` or
 * `channels[1].max`), `expectedVersion` conflicts, the kill switch, and reoptimize handed to a
 * callback. test/support/control-plane-contract.ts holds it to the same contract as the real one.
 */
import type { ControlPlane, PortfolioEntry, ReoptimizeResult } from '../../src/control/types.ts';
import type { PortfolioConfig } from '../../src/config/types.ts';
import { validatePortfolio } from '../../src/config/validate.ts';
import { SpendflowError } from '../../src/errors.ts';

export interface FakeControlPlaneOptions {
  /** Whether this instance owns a portfolio (default: all, as in embedded mode). */
  readonly owned?: (id: string) => boolean;
  /** What reoptimize does for an owned, known portfolio (default: nothing moves). */
  readonly reoptimize?: (id: string, entry: PortfolioEntry) => Promise<ReoptimizeResult> | ReoptimizeResult;
  /** Clock for updatedAt. */
  readonly now?: () => number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function validatePortfolioBody(id: string, body: unknown): PortfolioConfig {
  if (!isObject(body)) {
    throw new SpendflowError('CONFIG_INVALID', 'a portfolio configuration must be a JSON object', { problems: [{ field: '(root)', message: 'must be an object' }] });
  }
  if (body['id'] !== undefined && body['id'] !== id) {
    throw new SpendflowError('CONFIG_INVALID', `the body's id (${JSON.stringify(body['id'])}) is not the portfolio's id in the path ("${id}")`, {
      problems: [{ field: 'id', message: `must equal the path's id "${id}" (or be left out)` }],
    });
  }
  const checked = validatePortfolio({ ...body, id });
  if (!checked.portfolio) {
    const { problems } = checked;
    throw new SpendflowError('CONFIG_INVALID', `invalid portfolio "${id}":\n${problems.map((p) => `  - ${p.field}: ${p.message}`).join('\n')}`, { problems });
  }
  return checked.portfolio;
}

export class FakeControlPlane implements ControlPlane {
  readonly reoptimized: string[] = [];
  private readonly entries = new Map<string, PortfolioEntry>();
  private readonly options: FakeControlPlaneOptions;

  constructor(portfolios: readonly PortfolioConfig[], options: FakeControlPlaneOptions = {}) {
    this.options = options;
    for (const config of portfolios) {
      this.entries.set(config.id, { config, version: 0, source: 'file', updatedAt: null, paused: false, pausedReason: null, owned: this.owns(config.id) });
    }
  }

  private owns(id: string): boolean {
    return this.options.owned?.(id) ?? true;
  }

  private stamp(): string {
    return new Date((this.options.now ?? Date.now)()).toISOString();
  }

  private known(id: string): PortfolioEntry {
    const entry = this.entries.get(id);
    if (!entry) throw new SpendflowError('PORTFOLIO_NOT_FOUND', `portfolio "${id}" is not configured`);
    return entry;
  }

  private store(id: string, change: Partial<PortfolioEntry>): PortfolioEntry {
    const before = this.entries.get(id);
    const next: PortfolioEntry = {
      config: change.config ?? before!.config,
      version: (before?.version ?? 0) + 1,
      source: 'api',
      updatedAt: this.stamp(),
      paused: change.paused ?? before?.paused ?? false,
      pausedReason: change.pausedReason !== undefined ? change.pausedReason : (before?.pausedReason ?? null),
      owned: this.owns(id),
    };
    this.entries.set(id, next);
    return next;
  }

  list(): PortfolioEntry[] {
    return [...this.entries.values()];
  }

  get(id: string): PortfolioEntry | undefined {
    return this.entries.get(id);
  }

  async put(id: string, body: unknown, options: { readonly expectedVersion?: number } = {}): Promise<PortfolioEntry> {
    const config = validatePortfolioBody(id, body);
    const current = this.entries.get(id);
    if (options.expectedVersion !== undefined && current?.version !== options.expectedVersion) {
      throw new SpendflowError('VERSION_CONFLICT', current === undefined
        ? `portfolio "${id}" does not exist yet, so it has no version ${options.expectedVersion}`
        : `portfolio "${id}" is at version ${current.version}, not ${options.expectedVersion}: read it again and retry`);
    }
    return this.store(id, { config });
  }

  async pause(id: string, reason: string | null): Promise<PortfolioEntry> {
    this.known(id);
    return this.store(id, { paused: true, pausedReason: reason });
  }

  async resume(id: string): Promise<PortfolioEntry> {
    const entry = this.known(id);
    if (!entry.paused) return entry;
    return this.store(id, { paused: false, pausedReason: null });
  }

  async reoptimize(id: string): Promise<ReoptimizeResult> {
    const entry = this.known(id);
    if (!entry.owned) throw new SpendflowError('NOT_OWNER', `this instance does not own portfolio "${id}"'s partition`);
    this.reoptimized.push(id);
    if (this.options.reoptimize) return this.options.reoptimize(id, entry);
    return entry.paused
      ? { outcome: 'paused', version: 0, summary: 'paused: nothing is published' }
      : { outcome: 'unchanged', version: 0, summary: 'nothing moved' };
  }
}
