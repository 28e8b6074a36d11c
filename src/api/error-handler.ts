/**
 * The one place that maps error codes to HTTP statuses, and turns fastify's schema validation
 * errors (ajv's) into the same error body with the offending field named the way the config
 * validator names fields: `budget`, `channels[1].max`, `points`.
 */
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { SpendflowError, isSpendflowError, type ErrorCode, type FieldProblem } from '../errors.ts';
import type { Logger } from '../log.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  PORTFOLIO_NOT_FOUND: 404,
  INPUT_INVALID: 400,
  CURVE_INVALID: 400,
  ROUTE_NOT_FOUND: 404,
  PROBLEM_INFEASIBLE: 422,
  PUBLISH_FAILED: 503,
  CONFIG_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  VERSION_CONFLICT: 409,
  NOT_OWNER: 409,
  MODEL_NOT_READY: 409,
  TRANSACTION_FAILED: 503,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** `/channels/1/max` → `channels[1].max`; '' → '' (the root). */
export function fieldPath(instancePath: string): string {
  let out = '';
  for (const raw of instancePath.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(part) ? `[${part}]` : out === '' ? part : `.${part}`;
  }
  return out;
}

const join = (path: string, name: string) => (path === '' ? name : `${path}.${name}`);

/** One ajv error as a field problem: the property a `required` or `additionalProperties` error is about is named too. */
export function validationProblem(error: FastifySchemaValidationError): FieldProblem {
  const path = fieldPath(error.instancePath);
  const missing = error.params['missingProperty'];
  if (error.keyword === 'required' && typeof missing === 'string') return { field: join(path, missing), message: 'is required' };
  const extra = error.params['additionalProperty'];
  if (error.keyword === 'additionalProperties' && typeof extra === 'string') return { field: join(path, extra), message: 'is not a known field' };
  const allowed = error.params['allowedValues'];
  const message = error.keyword === 'enum' && Array.isArray(allowed) ? `must be one of ${allowed.join(', ')}` : (error.message ?? 'is invalid');
  return { field: path === '' ? '(root)' : path, message };
}

const PART: Record<string, string> = { body: 'body', querystring: 'query parameter', params: 'path parameter', headers: 'header' };

/** fastify's schemaErrorFormatter: an INPUT_INVALID SpendflowError naming the fields. */
export function formatValidationErrors(errors: readonly FastifySchemaValidationError[], dataVar: string): Error {
  const problems = errors.map(validationProblem);
  const part = PART[dataVar] ?? dataVar;
  const what = problems.map((p) => (p.field === '(root)' ? `${part} ${p.message}` : `${part} ${p.field} ${p.message}`)).join('; ');
  return new SpendflowError('INPUT_INVALID', `invalid request: ${what}`, { problems });
}

const body = (code: ErrorCode | 'INTERNAL', message: string, retriable: boolean, fields: readonly FieldProblem[]) => ({ error: { code, message, retriable, fields } });

export function errorHandlerFor(log?: Logger) {
  return function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
    if (isSpendflowError(err)) {
      void reply.status(statusOf(err.code)).send(body(err.code, err.message, err.retriable, err.problems));
      return;
    }
    const fe = err as FastifyError;
    if (fe.validation) {
      const fields = fe.validation.map(validationProblem);
      void reply.status(400).send(body('INPUT_INVALID', fe.message, false, fields));
      return;
    }
    if (fe.statusCode && fe.statusCode < 500) {
      // fastify's own refusals: unparsable JSON, unsupported media type, body too large.
      void reply.status(fe.statusCode).send(body('INPUT_INVALID', fe.message, false, []));
      return;
    }
    log?.error('unhandled API error', { method: request.method, route: request.routeOptions.url ?? null, error: err.message });
    void reply.status(500).send(body('INTERNAL', 'internal error', false, []));
  };
}
