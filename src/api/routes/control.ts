/**
 * The kill switch and a manual nudge: POST …/pause (optional body {reason}), …/resume and
 * …/reoptimize, each handed to the control plane. A paused portfolio keeps learning but publishes
 * no reallocation; reoptimize runs a reoptimization now on the current model.
 */
import type { FastifyInstance } from 'fastify';
import { portfolioEntry } from '../portfolio-lookup.ts';
import { PORTFOLIO_ERRORS, entrySchema, errorResponses, portfolioParams } from '../schemas.ts';
import type { ServerDeps } from '../server.ts';

export const MAX_REASON_LENGTH = 500;

const pauseBody = {
  type: ['object', 'null'],
  description: 'optional: why the portfolio is paused (shown in GET /v1/portfolios/:id)',
  properties: { reason: { type: ['string', 'null'], maxLength: MAX_REASON_LENGTH } },
  additionalProperties: false,
} as const;

const reoptimizeResponse = {
  type: 'object',
  properties: {
    portfolioId: { type: 'string' },
    outcome: { type: 'string', enum: ['published', 'unchanged', 'learning', 'held', 'paused'] },
    version: { type: 'integer', description: 'the allocation\'s version after the call' },
    summary: { type: 'string' },
  },
  required: ['portfolioId', 'outcome', 'version', 'summary'],
} as const;

const CONTROL_ERRORS = [...PORTFOLIO_ERRORS, 409, 503] as const;

export async function controlRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.post<{ Params: { id: string }; Body: { reason?: string | null } | null | undefined }>(
    '/v1/portfolios/:id/pause',
    {
      schema: {
        summary: 'Pause a portfolio (kill switch): it keeps learning but publishes no reallocation; pausing again updates the reason',
        tags: ['control'],
        params: portfolioParams,
        body: pauseBody,
        response: { 200: entrySchema, ...errorResponses(...CONTROL_ERRORS) },
      },
    },
    async (req) => {
      portfolioEntry(deps, req.params.id);
      const reason = req.body?.reason?.trim();
      return deps.control.pause(req.params.id, reason ? reason : null);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/portfolios/:id/resume',
    {
      schema: {
        summary: 'Resume a paused portfolio: the next reoptimization publishes again',
        tags: ['control'],
        params: portfolioParams,
        response: { 200: entrySchema, ...errorResponses(...CONTROL_ERRORS) },
      },
    },
    async (req) => {
      portfolioEntry(deps, req.params.id);
      return deps.control.resume(req.params.id);
    },
  );

  app.post<{ Params: { id: string } }>(
    '/v1/portfolios/:id/reoptimize',
    {
      schema: {
        summary: 'Reoptimize now on the current model, and publish when anything moves',
        tags: ['control'],
        params: portfolioParams,
        response: { 200: reoptimizeResponse, ...errorResponses(...CONTROL_ERRORS) },
      },
    },
    async (req) => {
      portfolioEntry(deps, req.params.id);
      const result = await deps.control.reoptimize(req.params.id);
      return { portfolioId: req.params.id, ...result };
    },
  );
}
