/**
 * The control plane's contract: what the API asks of it. Portfolio configuration and pause state
 * come from the configuration files (version 0), the API and the compacted control topic; each
 * accepted change gets the next version and the highest version of a portfolio wins everywhere.
 * src/control/control-plane.ts implements it; the API only sees this interface.
 */
import type { PortfolioConfig } from '../config/types.ts';

export type ConfigSource = 'file' | 'api' | 'control-topic';

/** One portfolio as the control plane knows it. */
export interface PortfolioEntry {
  readonly config: PortfolioConfig;
  /** 0 for the configuration files; every accepted change adds 1. */
  readonly version: number;
  readonly source: ConfigSource;
  /** When this version was accepted (ISO-8601); null for the configuration files. */
  readonly updatedAt: string | null;
  /** Kill switch: a paused portfolio keeps learning but publishes no reallocation. */
  readonly paused: boolean;
  readonly pausedReason: string | null;
  /**
   * Whether this instance owns the portfolio's partition, so its live state (model, allocation)
   * is here. Always true in embedded mode.
   */
  readonly owned: boolean;
}

export interface ReoptimizeResult {
  readonly outcome: 'published' | 'unchanged' | 'learning' | 'held' | 'paused';
  /** The allocation's version after the call. */
  readonly version: number;
  readonly summary: string;
}

export interface ControlPlane {
  list(): PortfolioEntry[];
  get(id: string): PortfolioEntry | undefined;
  /**
   * Validates `body` as a portfolio configuration (CONFIG_INVALID with field problems, paths like
   * `budget` or `channels[1].max`), requires `body.id`, when present, to equal `id`, and stores it
   * as the next version. With `expectedVersion`, refuses with VERSION_CONFLICT unless the current
   * version is that one. A new id creates a portfolio. Resolves once applied on this instance.
   */
  put(id: string, body: unknown, options?: { readonly expectedVersion?: number }): Promise<PortfolioEntry>;
  /** PORTFOLIO_NOT_FOUND for unknown ids. Pausing a paused portfolio only updates the reason. */
  pause(id: string, reason: string | null): Promise<PortfolioEntry>;
  resume(id: string): Promise<PortfolioEntry>;
  /**
   * Reoptimizes now on the current model and publishes when anything moves. NOT_OWNER when
   * another instance owns the portfolio.
   */
  reoptimize(id: string): Promise<ReoptimizeResult>;
}
