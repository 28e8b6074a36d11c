/**
 * Finding a portfolio for a route. Its configuration comes from the control plane, which every
 * instance knows in full; its live state (allocation, model) only from the pipeline of the
 * instance that owns its partition. So:
 * - unknown to both: 404 PORTFOLIO_NOT_FOUND, naming the known ids;
 * - known, but not owned here (Kafka mode, another instance of the group owns the partition):
 *   409 NOT_OWNER for routes that need the live state;
 * - owned but not running yet (just created through the API): 409 MODEL_NOT_READY, retriable.
 */
import { SpendflowError } from '../errors.ts';
import type { PortfolioEntry } from '../control/types.ts';
import type { PortfolioView } from '../pipeline/pipeline.ts';
import type { ServerDeps } from './server.ts';

const MAX_LISTED = 20;

function notFound(deps: ServerDeps, id: string): SpendflowError {
  const ids = deps.control.list().map((e) => e.config.id);
  const listed = ids.slice(0, MAX_LISTED).join(', ') + (ids.length > MAX_LISTED ? `, … (${ids.length} in all)` : '');
  return new SpendflowError('PORTFOLIO_NOT_FOUND', `portfolio "${id}" is not configured`, {
    problems: [{ field: 'id', message: ids.length > 0 ? `known portfolios: ${listed}` : 'no portfolio is configured' }],
  });
}

/** The control plane's entry, or PORTFOLIO_NOT_FOUND. */
export function portfolioEntry(deps: ServerDeps, id: string): PortfolioEntry {
  const entry = deps.control.get(id);
  if (!entry) throw notFound(deps, id);
  return entry;
}

export interface LivePortfolio {
  readonly view: PortfolioView;
  /** The control plane's entry; undefined only if the pipeline runs a portfolio the control plane does not list. */
  readonly entry: PortfolioEntry | undefined;
}

/** The portfolio's live state on this instance, or why there is none here. */
export function livePortfolio(deps: ServerDeps, id: string): LivePortfolio {
  const entry = deps.control.get(id);
  const view = deps.pipeline.portfolio(id);
  if (view) return { view, entry };
  if (!entry) throw notFound(deps, id);
  if (!entry.owned) {
    throw new SpendflowError('NOT_OWNER', `this instance does not own portfolio "${id}"'s partition, so its allocation and model live on another instance of the group: ask another instance (any instance answers GET /v1/portfolios/${id} with its configuration)`);
  }
  throw new SpendflowError('MODEL_NOT_READY', `portfolio "${id}" (version ${entry.version}) is configured but not running on this instance yet`, { retriable: true });
}
