/**
 * GET /v1/portfolios/:id/model — what the online model believes, for analysts: per channel its
 * contribution at the current allocation (its exact Shapley value vs. zero spend), ROI, marginal
 * ROI and response curve with 90% intervals, the baseline and the changes it detected.
 */
import type { FastifyInstance } from 'fastify';
import { forecastStart } from '../../analysis/steady-state.ts';
import { explainModel } from '../../model/online/explain.ts';
import { isFitted } from '../../model/online/response.ts';
import type { Estimate } from '../../model/online/response.ts';
import type { ServerDeps } from '../server.ts';
import { finite, iso } from '../json-values.ts';
import { livePortfolio } from '../portfolio-lookup.ts';
import { PORTFOLIO_ERRORS, errorResponses, portfolioParams } from '../schemas.ts';

const estimate = {
  type: 'object',
  properties: { mean: { type: ['number', 'null'] }, low: { type: ['number', 'null'] }, high: { type: ['number', 'null'] } },
  required: ['mean', 'low', 'high'],
} as const;

const channelSchema = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    spend: { type: 'number' },
    contribution: estimate,
    roi: estimate,
    marginalRoi: estimate,
    spendShare: { type: 'number' },
    effectShare: { type: 'number' },
    curve: { type: 'object', properties: { type: { type: 'string' }, beta: { type: 'number' }, k: { type: 'number' }, s: { type: 'number' } }, required: ['type', 'beta', 'k', 's'] },
    adstock: { type: 'object', properties: { type: { type: 'string' }, theta: { type: 'number' }, normalize: { type: 'boolean' } }, required: ['type', 'theta'] },
    points: {
      type: 'array',
      items: { type: 'object', properties: { spend: { type: 'number' }, response: { type: 'number' }, low: { type: 'number' }, high: { type: 'number' } }, required: ['spend', 'response', 'low', 'high'] },
    },
    adapting: { type: 'boolean' },
  },
  required: ['channelId', 'spend', 'contribution', 'roi', 'marginalRoi', 'curve', 'points', 'adapting'],
} as const;

const changeSchema = {
  type: 'object',
  properties: {
    target: { type: 'string' },
    onset: { type: 'string' },
    detectedAt: { type: 'string' },
    components: { type: 'array', items: { type: 'string' } },
    direction: { type: 'string', enum: ['up', 'down'] },
    shift: { type: 'number' },
    settledAt: { type: ['string', 'null'] },
  },
  required: ['target', 'onset', 'detectedAt', 'components', 'direction', 'shift', 'settledAt'],
} as const;

const modelResponse = {
  type: 'object',
  properties: {
    portfolioId: { type: 'string' },
    currency: { type: 'string' },
    status: { type: 'string', enum: ['none', 'fitted', 'failing'] },
    problem: { type: ['string', 'null'] },
    bucketsSeen: { type: 'integer' },
    windowBuckets: { type: 'integer' },
    lastBucket: { type: ['string', 'null'] },
    forecastFor: { type: ['string', 'null'] },
    expectedRevenue: estimate,
    baseline: estimate,
    noiseSd: { type: ['number', 'null'] },
    detections: { type: 'integer' },
    channels: { type: 'array', items: channelSchema },
    changes: { type: 'array', items: changeSchema },
  },
  required: ['portfolioId', 'currency', 'status', 'bucketsSeen', 'channels', 'changes'],
} as const;

const shown = (e: Estimate) => ({ mean: finite(e.mean), low: finite(e.low), high: finite(e.high) });
const none = { mean: null, low: null, high: null };

export async function modelRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.get<{ Params: { id: string } }>(
    '/v1/portfolios/:id/model',
    {
      schema: {
        summary: 'What the model believes: per channel its contribution, ROI, marginal ROI and response curve with 90% intervals, the baseline and detected changes',
        tags: ['analysis'],
        params: portfolioParams,
        response: { 200: modelResponse, ...errorResponses(...PORTFOLIO_ERRORS, 409) },
      },
    },
    async (req) => {
      const { view } = livePortfolio(deps, req.params.id);
      const base = { portfolioId: view.portfolio.id, currency: view.portfolio.currency, bucketsSeen: view.bucketsSeen, problem: view.modelProblem };
      const model = view.model;
      if (model === null || !isFitted(model)) {
        return { ...base, status: 'none', windowBuckets: 0, lastBucket: null, forecastFor: null, expectedRevenue: none, baseline: none, noiseSd: null, detections: 0, channels: [], changes: [] };
      }
      // The figures are for the next period: the one the current allocation applies to next.
      const start = forecastStart(model, view.allocation.effectiveFrom);
      const explained = explainModel(model, view.allocation.budgets, start);
      return {
        ...base,
        status: view.modelProblem === null ? 'fitted' : 'failing',
        windowBuckets: model.window.length,
        lastBucket: iso(model.lastBucket),
        forecastFor: iso(start),
        expectedRevenue: shown(explained.total),
        baseline: shown(explained.baseline),
        noiseSd: finite(explained.noiseSd),
        detections: explained.detections,
        channels: explained.channels.map((c) => ({
          channelId: c.channel,
          spend: c.spend,
          contribution: shown(c.contribution),
          roi: shown(c.roi),
          marginalRoi: shown(c.marginalRoi),
          spendShare: c.spendShare,
          effectShare: c.effectShare,
          curve: c.curve,
          adstock: c.adstock,
          points: c.points,
          adapting: c.adapting,
        })),
        changes: explained.changes.map((e) => ({
          target: e.target,
          onset: iso(e.onset),
          detectedAt: iso(e.detectedAt),
          components: [...e.components],
          direction: e.direction,
          shift: e.shift,
          settledAt: iso(e.settledAt),
        })),
      };
    },
  );
}
