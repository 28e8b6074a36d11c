/**
 * JSON schemas the routes share: the error body, estimates, the portfolio id parameter, a
 * portfolio configuration and a control-plane entry. Route-specific schemas live with their route.
 */
export const errorBody = {
  type: 'object',
  description: 'Every error: a stable code, whether retrying can help, and the offending fields.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        retriable: { type: 'boolean' },
        fields: {
          type: 'array',
          items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } }, required: ['field', 'message'] },
        },
      },
      required: ['code', 'message', 'retriable', 'fields'],
    },
  },
  required: ['error'],
} as const;

const ERROR_STATUS_TEXT: Record<number, string> = {
  400: 'invalid input (INPUT_INVALID, CONFIG_INVALID): the fields say what',
  401: 'no or malformed bearer token (UNAUTHORIZED)',
  403: 'wrong token, or no token configured (FORBIDDEN)',
  404: 'unknown portfolio (PORTFOLIO_NOT_FOUND)',
  409: 'conflict (VERSION_CONFLICT, NOT_OWNER, MODEL_NOT_READY)',
  422: 'no feasible allocation (PROBLEM_INFEASIBLE)',
  503: 'a write failed; retry (PUBLISH_FAILED, TRANSACTION_FAILED)',
};

/** An error response schema: the error body with a description listing the codes. */
export type ErrorResponseSchema = Omit<typeof errorBody, 'description'> & { readonly description: string };

/** Error response schemas for the given statuses (each the same body; the description lists the codes). */
export function errorResponses(...statuses: readonly number[]): Record<string, ErrorResponseSchema> {
  const out: Record<string, ErrorResponseSchema> = {};
  for (const s of statuses) out[String(s)] = { ...errorBody, description: ERROR_STATUS_TEXT[s] ?? 'error' };
  return out;
}

/** The statuses every route that takes a portfolio id may answer besides its own. */
export const PORTFOLIO_ERRORS = [400, 401, 403, 404] as const;

const nullableNumber = { type: ['number', 'null'] } as const;

/** An estimate with its 90% interval; null where the figure is not finite. */
export const estimateSchema = {
  type: 'object',
  properties: { mean: nullableNumber, sd: nullableNumber, low: nullableNumber, high: nullableNumber },
  required: ['mean', 'low', 'high'],
} as const;

export const portfolioParams = {
  type: 'object',
  // fastify refuses path parameters over 100 characters with 414 before any schema sees them.
  properties: { id: { type: 'string', minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9._:-]+$', description: 'portfolio id (letters, digits, . _ : -)' } },
  required: ['id'],
} as const;

/** Channel id → amount (money per period). */
export const amountsSchema = { type: 'object', additionalProperties: { type: 'number' } } as const;

const channelConfigSchema = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'channel id (letters, digits, - and _); "baseline" is reserved' },
    platform: { type: 'string', description: 'ad platform: reallocations go to spendflow.reallocations.<platform>' },
    min: { type: 'number', minimum: 0, description: 'lowest budget per period' },
    max: { type: ['number', 'null'], minimum: 0, description: 'highest budget per period; null for no cap' },
    initialShare: { type: ['number', 'null'], minimum: 0, maximum: 1, description: 'share of the budget before anything is learned' },
    attributed: { type: 'boolean', description: 'sales events name this channel when it drove them' },
    locked: { type: 'boolean' },
    group: { type: 'string' },
  },
  required: ['id', 'platform', 'min'],
} as const;

const portfolioProperties = {
  id: { type: 'string', description: 'portfolio id; on PUT it may be left out, and must equal the path\'s id when given' },
  currency: { type: 'string', description: 'ISO 4217 code, e.g. EUR' },
  budget: { type: 'number', exclusiveMinimum: 0, description: 'budget per allocation period (one bucket)' },
  maxChange: { type: 'number', exclusiveMinimum: 0, maximum: 1, description: 'largest change per reallocation, as a fraction of a channel\'s budget' },
  channels: { type: 'array', items: channelConfigSchema, minItems: 1 },
  objective: {
    type: 'object',
    description: 'revenue (default): spend the whole budget for the most revenue; profit: margin·revenue − spend, up to the budget',
    properties: { type: { type: 'string', enum: ['revenue', 'profit'] }, margin: { type: 'number', exclusiveMinimum: 0 } },
    required: ['type'],
  },
  minRoas: { type: ['number', 'null'], minimum: 0, description: 'expected revenue / spend must stay at least this' },
  groups: {
    type: 'array',
    description: 'bounds on the total budget of the channels naming the group',
    items: {
      type: 'object',
      properties: { id: { type: 'string' }, min: { type: ['number', 'null'] }, max: { type: ['number', 'null'] } },
      required: ['id'],
    },
  },
} as const;

/**
 * A portfolio configuration as JSON, the same shape as one item under `portfolios:` in the
 * configuration files. The control plane validates it (one validator for files, API and control
 * topic, naming every bad field), so on PUT this schema documents the body (OpenAPI) and the route
 * validates only that the body is an object: fastify's validation coerces types (null → 0,
 * true → 1), which a budget must never be.
 */
export const portfolioConfigBodySchema = {
  type: 'object',
  description: 'A portfolio configuration, as in the configuration files.',
  properties: portfolioProperties,
  required: ['currency', 'budget', 'maxChange', 'channels'],
  additionalProperties: false,
  examples: [{
    currency: 'EUR',
    budget: 1500,
    maxChange: 0.2,
    channels: [
      { id: 'search', platform: 'google-ads', min: 100, max: null },
      { id: 'social', platform: 'meta', min: 50, max: 800 },
    ],
  }],
} as const;

/** A portfolio configuration as the control plane holds it (responses). */
export const portfolioConfigSchema = {
  type: 'object',
  properties: portfolioProperties,
  required: ['id', 'currency', 'budget', 'maxChange', 'channels'],
} as const;

/** A portfolio as the control plane knows it. */
export const entrySchema = {
  type: 'object',
  properties: {
    config: portfolioConfigSchema,
    version: { type: 'integer', description: '0 for the configuration files; +1 per accepted change' },
    source: { type: 'string', enum: ['file', 'api', 'control-topic'] },
    updatedAt: { type: ['string', 'null'], description: 'when this version was accepted; null for the configuration files' },
    paused: { type: 'boolean' },
    pausedReason: { type: ['string', 'null'] },
    owned: { type: 'boolean', description: 'whether this instance holds the portfolio\'s live state (model, allocation)' },
  },
  required: ['config', 'version', 'source', 'updatedAt', 'paused', 'pausedReason', 'owned'],
} as const;
