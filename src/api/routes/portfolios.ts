import type { FastifyInstance } from 'fastify';
import { SpendflowError } from '../../errors.ts';
import type { PortfolioView } from '../../pipeline/pipeline.ts';
import type { ServerDeps } from '../server.ts';

const channelAllocation = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    platform: { type: 'string' },
    budget: { type: 'number' },
    share: { type: 'number' },
    min: { type: 'number' },
    max: { type: ['number', 'null'] },
    expectedRevenue: { type: ['number', 'null'] },
    marginalRoi: { type: ['number', 'null'] },
    reason: { type: 'string' },
  },
  required: ['channelId', 'platform', 'budget', 'share'],
} as const;

const allocationResponse = {
  type: 'object',
  properties: {
    portfolioId: { type: 'string' },
    currency: { type: 'string' },
    budget: { type: 'number' },
    version: { type: 'integer' },
    status: { type: 'string', enum: ['initial', 'learning', 'optimized', 'held'] },
    summary: { type: 'string' },
    solver: { type: 'string' },
    gap: { type: ['number', 'null'] },
    effectiveFrom: { type: ['string', 'null'] },
    effectiveUntil: { type: ['string', 'null'] },
    decidedAt: { type: ['string', 'null'] },
    watermark: { type: ['string', 'null'] },
    bucketsSeen: { type: 'integer' },
    expectedRevenue: { type: ['number', 'null'] },
    binding: { type: 'array', items: { type: 'string' } },
    channels: { type: 'array', items: channelAllocation },
  },
  required: ['portfolioId', 'currency', 'budget', 'version', 'status', 'channels'],
} as const;

export const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
export const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? v : null);

export const portfolioParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['id'],
} as const;

/** The portfolio's view, or PORTFOLIO_NOT_FOUND naming the known ones. */
export function portfolioView(deps: ServerDeps, id: string): PortfolioView {
  const view = deps.pipeline.portfolio(id);
  if (!view) {
    throw new SpendflowError('PORTFOLIO_NOT_FOUND', `portfolio "${id}" is not configured`, {
      problems: [{ field: 'id', message: `known portfolios: ${deps.pipeline.portfolioIds().join(', ')}` }],
    });
  }
  return view;
}

export async function portfolioRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/v1/portfolios/:id/allocation',
    {
      schema: { params: portfolioParams, response: { 200: allocationResponse } },
    },
    async (req) => {
      const { portfolio, allocation, ...view } = portfolioView(deps, req.params.id);
      const total = Object.values(allocation.budgets).reduce((s, v) => s + v, 0);
      return {
        portfolioId: portfolio.id,
        currency: portfolio.currency,
        budget: portfolio.budget,
        version: allocation.version,
        status: allocation.status,
        summary: allocation.summary,
        solver: allocation.solver,
        gap: allocation.gap,
        effectiveFrom: iso(allocation.effectiveFrom),
        effectiveUntil: iso(allocation.effectiveUntil),
        decidedAt: iso(allocation.decidedAt),
        watermark: iso(view.watermark),
        bucketsSeen: view.bucketsSeen,
        expectedRevenue: finite(allocation.portfolioExpectedRevenue),
        binding: [...allocation.binding],
        channels: portfolio.channels.map((c) => {
          const budget = allocation.budgets[c.id] ?? 0;
          return {
            channelId: c.id,
            platform: c.platform,
            budget,
            share: total > 0 ? budget / total : 0,
            min: c.min,
            max: c.max,
            expectedRevenue: finite(allocation.expectedRevenue[c.id]),
            marginalRoi: finite(allocation.marginalRoi[c.id]),
            reason: allocation.reasons[c.id] ?? allocation.summary,
          };
        }),
      };
    },
  );
}
