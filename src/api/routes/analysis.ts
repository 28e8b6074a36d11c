/**
 * Questions for the portfolio's fitted model, from the instance that owns it:
 * POST …/what-if (an allocation or a budget → the next bucket's expected revenue with a 90%
 * interval) and GET …/frontier (the best allocation and its revenue over a range of budgets).
 * Both read the model only, so they answer on a paused portfolio too.
 */
import type { FastifyInstance } from 'fastify';
import { frontierRange, modelFrontier, DEFAULT_FRONTIER_FROM, DEFAULT_FRONTIER_POINTS, DEFAULT_FRONTIER_TO, MAX_FRONTIER_POINTS } from '../../analysis/frontier.ts';
import { forecastStart, requireFittedModel, type AnalysisInput } from '../../analysis/steady-state.ts';
import { answerWhatIf, parseWhatIf } from '../../analysis/what-if.ts';
import { finite, iso, shownEstimate } from '../json-values.ts';
import { livePortfolio, type LivePortfolio } from '../portfolio-lookup.ts';
import { PORTFOLIO_ERRORS, amountsSchema, errorResponses, estimateSchema, portfolioParams } from '../schemas.ts';
import type { ServerDeps } from '../server.ts';

const nonNegativeAmount = { type: 'number', minimum: 0 } as const;

/** The what-if body as documented (parseWhatIf checks it strictly: no type coercion). */
const whatIfBody = {
  type: 'object',
  description: 'Exactly one of budgets (an allocation; channels left out keep their current budget) or budget (a total to allocate at its best).',
  properties: {
    budgets: { type: 'object', additionalProperties: nonNegativeAmount, description: 'channel id → amount per period' },
    budget: { ...nonNegativeAmount, description: 'a total budget per period, allocated on the model\'s mean curves under the portfolio\'s bounds' },
  },
  additionalProperties: false,
  examples: [{ budgets: { search: 700, social: 300 } }, { budget: 2000 }],
} as const;

const whatIfChannel = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    budget: { type: 'number' },
    currentBudget: { type: 'number' },
    expectedRevenue: estimateSchema,
    currentExpectedRevenue: { type: ['number', 'null'] },
    revenueChange: { type: ['number', 'null'] },
  },
  required: ['channelId', 'budget', 'currentBudget', 'expectedRevenue'],
} as const;

const whatIfResponse = {
  type: 'object',
  properties: {
    portfolioId: { type: 'string' },
    currency: { type: 'string' },
    paused: { type: 'boolean' },
    kind: { type: 'string', enum: ['budgets', 'budget'] },
    forecastFor: { type: 'string', description: 'start of the bucket the forecast is for' },
    spend: { type: 'number' },
    budgets: amountsSchema,
    expectedRevenue: { ...estimateSchema, description: 'revenue of the bucket, baseline included, with a 90% interval' },
    baseline: estimateSchema,
    channels: { type: 'array', items: whatIfChannel },
    current: {
      type: 'object',
      properties: { spend: { type: 'number' }, expectedRevenue: estimateSchema },
      required: ['spend', 'expectedRevenue'],
    },
    difference: {
      type: 'object',
      properties: { spend: { type: 'number' }, expectedRevenue: { type: ['number', 'null'] } },
      required: ['spend', 'expectedRevenue'],
    },
    outsideBounds: { type: 'array', items: { type: 'string' }, description: 'channel bounds the allocation breaks: min:<id>, max:<id>' },
    optimization: {
      type: ['object', 'null'],
      description: 'for a budget: how it was allocated',
      properties: {
        solver: { type: 'string' },
        gap: { type: 'number' },
        marginalRoi: { type: ['number', 'null'] },
        binding: { type: 'array', items: { type: 'string' } },
      },
      required: ['solver', 'gap', 'marginalRoi', 'binding'],
    },
  },
  required: ['portfolioId', 'currency', 'paused', 'kind', 'forecastFor', 'spend', 'budgets', 'expectedRevenue', 'channels', 'current', 'difference', 'outsideBounds', 'optimization'],
} as const;

const frontierQuery = {
  type: 'object',
  properties: {
    from: { ...nonNegativeAmount, description: `lowest budget (default ${DEFAULT_FRONTIER_FROM}× the portfolio's budget)` },
    to: { type: 'number', exclusiveMinimum: 0, description: `highest budget (default ${DEFAULT_FRONTIER_TO}× the portfolio's budget); more than from` },
    points: { type: 'integer', minimum: 2, maximum: MAX_FRONTIER_POINTS, description: `budgets evaluated, evenly spaced (default ${DEFAULT_FRONTIER_POINTS})` },
  },
  additionalProperties: false,
} as const;

const frontierPoint = {
  type: 'object',
  properties: {
    budget: { type: 'number' },
    feasible: { type: 'boolean' },
    spend: { type: 'number' },
    expectedRevenue: estimateSchema,
    mediaRevenue: { type: 'number' },
    marginalRoi: { type: ['number', 'null'], description: 'revenue per extra unit of budget there: the frontier\'s slope' },
    gap: { type: 'number' },
    solver: { type: 'string' },
    binding: { type: 'array', items: { type: 'string' } },
    budgets: amountsSchema,
    infeasible: { type: 'string', description: 'why no allocation fits this budget' },
  },
  required: ['budget', 'feasible'],
} as const;

const frontierResponse = {
  type: 'object',
  properties: {
    portfolioId: { type: 'string' },
    currency: { type: 'string' },
    budget: { type: 'number', description: 'the portfolio\'s budget' },
    forecastFor: { type: 'string' },
    from: { type: 'number' },
    to: { type: 'number' },
    points: { type: 'array', items: frontierPoint },
  },
  required: ['portfolioId', 'currency', 'budget', 'forecastFor', 'from', 'to', 'points'],
} as const;

const LIVE_ERRORS = [...PORTFOLIO_ERRORS, 409, 422] as const;

function analysisInput({ view, entry }: LivePortfolio, id: string): { input: AnalysisInput; paused: boolean } {
  const model = requireFittedModel(view.model, id, view.bucketsSeen);
  return {
    input: { portfolio: view.portfolio, model, current: view.allocation.budgets, start: forecastStart(model, view.allocation.effectiveFrom) },
    paused: entry?.paused ?? false,
  };
}

export async function analysisRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.post<{ Params: { id: string }; Body: unknown }>(
    '/v1/portfolios/:id/what-if',
    {
      schema: {
        summary: 'Expected revenue of an allocation, or of a budget allocated at its best, with a 90% interval',
        description: 'Reads the model only: it answers on a paused portfolio too. 409 MODEL_NOT_READY before the first bucket has closed.',
        tags: ['analysis'],
        params: portfolioParams,
        body: { type: 'object' },
        response: { 200: whatIfResponse, ...errorResponses(...LIVE_ERRORS) },
      },
      config: { openapi: { body: whatIfBody } },
    },
    async (req) => {
      const live = livePortfolio(deps, req.params.id);
      // The question is checked before the model, so a bad body is a 400 whatever the model's state.
      const question = parseWhatIf(req.body, live.view.portfolio.channels.map((c) => c.id));
      const { input, paused } = analysisInput(live, req.params.id);
      const a = answerWhatIf(input, question);
      return {
        portfolioId: input.portfolio.id,
        currency: input.portfolio.currency,
        paused,
        kind: a.kind,
        forecastFor: iso(a.start),
        spend: a.spend,
        budgets: a.allocation,
        expectedRevenue: shownEstimate(a.expectedRevenue),
        baseline: shownEstimate(a.baseline),
        channels: a.channels.map((c) => ({
          channelId: c.channelId,
          budget: c.budget,
          currentBudget: c.currentBudget,
          expectedRevenue: shownEstimate(c.expectedRevenue),
          currentExpectedRevenue: finite(c.currentExpectedRevenue),
          revenueChange: finite(c.revenueChange),
        })),
        current: { spend: a.current.spend, expectedRevenue: shownEstimate(a.current.expectedRevenue) },
        difference: { spend: a.difference.spend, expectedRevenue: finite(a.difference.expectedRevenue) },
        outsideBounds: a.outsideBounds,
        optimization: a.optimization === null ? null : { ...a.optimization, marginalRoi: finite(a.optimization.marginalRoi ?? undefined) },
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { from?: number; to?: number; points?: number } }>(
    '/v1/portfolios/:id/frontier',
    {
      schema: {
        summary: 'The efficient frontier: the best allocation and its expected revenue at each budget of a range',
        tags: ['analysis'],
        params: portfolioParams,
        querystring: frontierQuery,
        response: { 200: frontierResponse, ...errorResponses(...LIVE_ERRORS) },
      },
    },
    async (req) => {
      const { input } = analysisInput(livePortfolio(deps, req.params.id), req.params.id);
      const range = frontierRange(req.query, input.portfolio.budget);
      const points = modelFrontier(input, range);
      return {
        portfolioId: input.portfolio.id,
        currency: input.portfolio.currency,
        budget: input.portfolio.budget,
        forecastFor: iso(input.start),
        from: range.from,
        to: range.to,
        points: points.map((p) => (p.feasible
          ? {
            budget: p.budget,
            feasible: true,
            spend: p.spend,
            expectedRevenue: shownEstimate(p.expectedRevenue),
            mediaRevenue: p.mediaRevenue,
            marginalRoi: finite(p.marginalRoi ?? undefined),
            gap: p.gap,
            solver: p.solver,
            binding: [...p.binding],
            budgets: p.allocation,
          }
          : { budget: p.budget, feasible: false, infeasible: p.infeasible })),
      };
    },
  );
}
