/**
 * The live decision of a portfolio, from the instance that owns it: GET …/allocation (what each
 * channel gets now, and why) and GET …/explain (why the last decision came out so: contributions
 * with intervals, marginal ROI before and after, binding constraints, guardrails, certified gap).
 */
import type { FastifyInstance } from 'fastify';
import { explainDecision } from '../../analysis/explain-decision.ts';
import { isFitted } from '../../model/online/response.ts';
import { finite, iso, shownEstimate } from '../json-values.ts';
import { livePortfolio } from '../portfolio-lookup.ts';
import { PORTFOLIO_ERRORS, errorResponses, estimateSchema, portfolioParams } from '../schemas.ts';
import type { ServerDeps } from '../server.ts';

const STATUSES = ['initial', 'learning', 'optimized', 'held', 'paused'] as const;
const GUARDRAILS = ['learning', 'unhealthy', 'hold_after_change', 'paused', 'max_change', 'budget_cap', 'bounds', 'min_roas'] as const;
const nullableNumber = { type: ['number', 'null'] } as const;

const channelAllocation = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    platform: { type: 'string' },
    budget: { type: 'number' },
    share: { type: 'number' },
    min: { type: 'number' },
    max: nullableNumber,
    expectedRevenue: nullableNumber,
    marginalRoi: nullableNumber,
    reason: { type: 'string' },
  },
  required: ['channelId', 'platform', 'budget', 'share'],
} as const;

const decisionProperties = {
  portfolioId: { type: 'string' },
  currency: { type: 'string' },
  budget: { type: 'number' },
  paused: { type: 'boolean', description: 'the kill switch: the portfolio learns but publishes nothing' },
  version: { type: 'integer', description: 'the allocation\'s version: 0 until the first reallocation is published' },
  status: { type: 'string', enum: STATUSES },
  summary: { type: 'string' },
  solver: { type: 'string' },
  gap: { ...nullableNumber, description: 'certified optimality gap (bound − objective)/bound; null while nothing was optimized' },
  binding: { type: 'array', items: { type: 'string' }, description: 'constraints that hold with equality: budget, min:<id>, max:<id>, maxChange:<id>, …' },
  guardrails: { type: 'array', items: { type: 'string', enum: GUARDRAILS }, description: 'the guardrails that intervened in this decision' },
  effectiveFrom: { type: ['string', 'null'] },
  effectiveUntil: { type: ['string', 'null'] },
  decidedAt: { type: ['string', 'null'] },
} as const;

const allocationResponse = {
  type: 'object',
  properties: {
    ...decisionProperties,
    watermark: { type: ['string', 'null'] },
    bucketsSeen: { type: 'integer' },
    expectedRevenue: nullableNumber,
    channels: { type: 'array', items: channelAllocation },
  },
  required: ['portfolioId', 'currency', 'budget', 'paused', 'version', 'status', 'guardrails', 'channels'],
} as const;

const nullableEstimate = { ...estimateSchema, type: ['object', 'null'] } as const;

const channelDecision = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    budget: { type: 'number' },
    contribution: { ...nullableEstimate, description: 'revenue from the channel at its budget (its exact Shapley value vs zero spend) with a 90% interval; null without a fitted model' },
    expectedRevenue: nullableNumber,
    marginalRoiBefore: { ...nullableNumber, description: 'marginal ROI at the previous allocation, as the decision saw it' },
    marginalRoiAfter: { ...nullableNumber, description: 'marginal ROI at this allocation' },
    reason: { type: 'string' },
  },
  required: ['channelId', 'budget', 'contribution', 'marginalRoiBefore', 'marginalRoiAfter', 'reason'],
} as const;

const explainResponse = {
  type: 'object',
  properties: {
    ...decisionProperties,
    modelStatus: { type: 'string', enum: ['none', 'fitted', 'failing'] },
    modelProblem: { type: ['string', 'null'] },
    forecastFor: { type: ['string', 'null'], description: 'start of the bucket the contributions are for' },
    expectedRevenue: { ...nullableEstimate, description: 'revenue of that bucket, baseline included, with a 90% interval' },
    channels: { type: 'array', items: channelDecision },
  },
  required: ['portfolioId', 'currency', 'budget', 'paused', 'version', 'status', 'gap', 'binding', 'guardrails', 'modelStatus', 'channels'],
} as const;

const LIVE_ERRORS = [...PORTFOLIO_ERRORS, 409] as const;

export async function allocationRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/v1/portfolios/:id/allocation',
    {
      schema: {
        summary: 'The current allocation: per channel its budget, share, expected revenue, marginal ROI and reason',
        tags: ['decisions'],
        params: portfolioParams,
        response: { 200: allocationResponse, ...errorResponses(...LIVE_ERRORS) },
      },
    },
    async (req) => {
      const { view, entry } = livePortfolio(deps, req.params.id);
      const { portfolio, allocation } = view;
      const total = Object.values(allocation.budgets).reduce((s, v) => s + v, 0);
      return {
        portfolioId: portfolio.id,
        currency: portfolio.currency,
        budget: portfolio.budget,
        paused: entry?.paused ?? false,
        version: allocation.version,
        status: allocation.status,
        summary: allocation.summary,
        solver: allocation.solver,
        gap: allocation.gap,
        binding: [...allocation.binding],
        guardrails: [...allocation.guardrails],
        effectiveFrom: iso(allocation.effectiveFrom),
        effectiveUntil: iso(allocation.effectiveUntil),
        decidedAt: iso(allocation.decidedAt),
        watermark: iso(view.watermark),
        bucketsSeen: view.bucketsSeen,
        expectedRevenue: finite(allocation.portfolioExpectedRevenue),
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

  app.get<{ Params: { id: string } }>(
    '/v1/portfolios/:id/explain',
    {
      schema: {
        summary: 'Why the last decision came out as it did: contributions with intervals, marginal ROI before/after, binding constraints, guardrails, certified gap',
        tags: ['decisions'],
        params: portfolioParams,
        response: { 200: explainResponse, ...errorResponses(...LIVE_ERRORS) },
      },
    },
    async (req) => {
      const { view, entry } = livePortfolio(deps, req.params.id);
      const { portfolio } = view;
      const d = explainDecision(portfolio, view.allocation, view.model);
      const fitted = view.model !== null && isFitted(view.model);
      return {
        portfolioId: portfolio.id,
        currency: portfolio.currency,
        budget: portfolio.budget,
        paused: entry?.paused ?? false,
        version: d.version,
        status: d.status,
        summary: d.summary,
        solver: d.solver,
        gap: d.gap,
        binding: d.binding,
        guardrails: d.guardrails,
        effectiveFrom: iso(d.effectiveFrom),
        effectiveUntil: iso(d.effectiveUntil),
        decidedAt: iso(d.decidedAt),
        modelStatus: !fitted ? 'none' : view.modelProblem === null ? 'fitted' : 'failing',
        modelProblem: view.modelProblem,
        forecastFor: iso(d.forecastFor),
        expectedRevenue: d.expectedRevenue === null ? null : shownEstimate(d.expectedRevenue),
        channels: d.channels.map((c) => ({ ...c, contribution: c.contribution === null ? null : shownEstimate(c.contribution) })),
      };
    },
  );
}
