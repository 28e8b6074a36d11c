/**
 * Portfolio configuration: the list, one portfolio's entry, and PUT to change or create one.
 * These answer on every instance (the control plane knows every portfolio); the allocation
 * version and status in the list only where this instance owns the portfolio.
 */
import type { FastifyInstance } from 'fastify';
import { SpendflowError } from '../../errors.ts';
import { portfolioEntry } from '../portfolio-lookup.ts';
import { PORTFOLIO_ERRORS, entrySchema, errorResponses, portfolioConfigBodySchema, portfolioParams } from '../schemas.ts';
import type { ServerDeps } from '../server.ts';

const listItem = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    version: { type: 'integer' },
    source: { type: 'string', enum: ['file', 'api', 'control-topic'] },
    updatedAt: { type: ['string', 'null'] },
    paused: { type: 'boolean' },
    pausedReason: { type: ['string', 'null'] },
    owned: { type: 'boolean', description: 'whether this instance holds the live state; the allocation is shown only then' },
    currency: { type: 'string' },
    budget: { type: 'number' },
    channels: { type: 'integer', description: 'number of channels' },
    allocation: {
      type: ['object', 'null'],
      properties: {
        version: { type: 'integer' },
        status: { type: 'string', enum: ['initial', 'learning', 'optimized', 'held', 'paused'] },
      },
      required: ['version', 'status'],
    },
  },
  required: ['id', 'version', 'source', 'paused', 'owned', 'currency', 'budget', 'channels', 'allocation'],
} as const;

const listResponse = {
  type: 'object',
  properties: { portfolios: { type: 'array', items: listItem } },
  required: ['portfolios'],
} as const;

const ifMatchHeaders = {
  type: 'object',
  properties: {
    'if-match': { type: 'string', description: 'the version this change is based on (e.g. 3 or "3", as in the ETag): 409 VERSION_CONFLICT unless it is still the current one' },
  },
} as const;

/** `3`, `"3"` or `W/"3"` → 3; undefined without the header; INPUT_INVALID otherwise. */
export function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*(?:W\/)?"?(\d{1,15})"?\s*$/.exec(header);
  if (!match) {
    throw new SpendflowError('INPUT_INVALID', 'the If-Match header must be the version the change is based on, e.g. If-Match: 3', {
      problems: [{ field: 'if-match', message: 'must be a version number (as in the ETag)' }],
    });
  }
  return Number(match[1]);
}

const etag = (version: number) => `"${version}"`;

export async function portfolioRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.get(
    '/v1/portfolios',
    {
      schema: {
        summary: 'List the portfolios: configuration version, pause state, and the allocation where this instance owns it',
        tags: ['portfolios'],
        response: { 200: listResponse, ...errorResponses(401, 403) },
      },
    },
    async () => ({
      portfolios: deps.control.list().map((e) => {
        const view = e.owned ? deps.pipeline.portfolio(e.config.id) : undefined;
        return {
          id: e.config.id,
          version: e.version,
          source: e.source,
          updatedAt: e.updatedAt,
          paused: e.paused,
          pausedReason: e.pausedReason,
          owned: e.owned,
          currency: e.config.currency,
          budget: e.config.budget,
          channels: e.config.channels.length,
          allocation: view ? { version: view.allocation.version, status: view.allocation.status } : null,
        };
      }),
    }),
  );

  app.get<{ Params: { id: string } }>(
    '/v1/portfolios/:id',
    {
      schema: {
        summary: 'One portfolio\'s configuration, version and pause state (ETag: the version)',
        tags: ['portfolios'],
        params: portfolioParams,
        response: { 200: entrySchema, ...errorResponses(...PORTFOLIO_ERRORS) },
      },
    },
    async (req, reply) => {
      const entry = portfolioEntry(deps, req.params.id);
      void reply.header('etag', etag(entry.version));
      return entry;
    },
  );

  app.put<{ Params: { id: string }; Headers: { 'if-match'?: string }; Body: unknown }>(
    '/v1/portfolios/:id',
    {
      schema: {
        summary: 'Change a portfolio\'s configuration, or create a portfolio; the next version wins everywhere',
        description: 'The body is validated by the same validator as the configuration files: a 400 CONFIG_INVALID names every bad field (budget, channels[1].max). With If-Match, 409 VERSION_CONFLICT unless the version is still current.',
        tags: ['portfolios'],
        params: portfolioParams,
        headers: ifMatchHeaders,
        // Only the shape here: the control plane validates the configuration strictly (see schemas.ts).
        body: { type: 'object' },
        response: { 200: entrySchema, 201: { ...entrySchema, description: 'created' }, ...errorResponses(400, 401, 403, 409, 503) },
      },
      config: { openapi: { body: portfolioConfigBodySchema } },
    },
    async (req, reply) => {
      const expected = expectedVersion(req.headers['if-match']);
      const existed = deps.control.get(req.params.id) !== undefined;
      const entry = await deps.control.put(req.params.id, req.body, expected === undefined ? {} : { expectedVersion: expected });
      void reply.header('etag', etag(entry.version));
      return reply.status(existed ? 200 : 201).send(entry);
    },
  );
}
