/**
 * GET /v1/portfolios/:id/history — the recent closed buckets as the model saw them: observed
 * spend per channel and revenue, next to the one-step-ahead forecast of the revenue with its 90%
 * interval (made before the bucket was absorbed). From the model's replay window, so at most
 * `model.windowBuckets` buckets and nothing before the first closed bucket.
 */
import type { FastifyInstance } from 'fastify';
import { bucketHistory } from '../../model/online/history.ts';
import type { ServerDeps } from '../server.ts';
import { iso } from '../json-values.ts';
import { livePortfolio } from '../portfolio-lookup.ts';
import { PORTFOLIO_ERRORS, amountsSchema, errorResponses, portfolioParams } from '../schemas.ts';

const DEFAULT_LIMIT = 96;

const bucketSchema = {
  type: 'object',
  properties: {
    start: { type: 'string' },
    revenue: { type: 'number' },
    spend: amountsSchema,
    predicted: {
      type: ['object', 'null'],
      properties: { mean: { type: 'number' }, low: { type: 'number' }, high: { type: 'number' } },
      required: ['mean', 'low', 'high'],
    },
  },
  required: ['start', 'revenue', 'spend', 'predicted'],
} as const;

const historyResponse = {
  type: 'object',
  properties: {
    portfolioId: { type: 'string' },
    currency: { type: 'string' },
    bucketMinutes: { type: 'number' },
    buckets: { type: 'array', items: bucketSchema },
  },
  required: ['portfolioId', 'currency', 'bucketMinutes', 'buckets'],
} as const;

export async function historyRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.get<{ Params: { id: string }; Querystring: { limit?: number } }>(
    '/v1/portfolios/:id/history',
    {
      schema: {
        summary: 'Recent closed buckets: observed spend and revenue, and the revenue the model forecast for each before seeing it (90% interval)',
        tags: ['analysis'],
        params: portfolioParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 10000, default: DEFAULT_LIMIT, description: 'How many of the latest buckets (oldest first).' } },
          additionalProperties: false,
        },
        response: { 200: historyResponse, ...errorResponses(...PORTFOLIO_ERRORS, 409) },
      },
    },
    async (req) => {
      const { view } = livePortfolio(deps, req.params.id);
      const rows = view.model === null ? [] : bucketHistory(view.model, req.query.limit ?? DEFAULT_LIMIT);
      return {
        portfolioId: view.portfolio.id,
        currency: view.portfolio.currency,
        bucketMinutes: view.model === null ? 0 : view.model.bucketMs / 60_000,
        buckets: rows.map((r) => ({ start: iso(r.start)!, revenue: r.revenue, spend: r.spend, predicted: r.predicted })),
      };
    },
  );
}
