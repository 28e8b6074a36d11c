import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { isSpendflowError, type ErrorCode } from '../errors.ts';

/** The one place that maps error codes to HTTP statuses. */
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

export function errorHandler(err: FastifyError | Error, request: FastifyRequest, reply: FastifyReply): void {
  if (isSpendflowError(err)) {
    const status = STATUS[err.code] ?? 500;
    void reply.status(status).send({ error: { code: err.code, message: err.message, retriable: err.retriable, fields: err.problems } });
    return;
  }
  const fe = err as FastifyError;
  if (fe.validation) {
    const fields = fe.validation.map((v) => ({ field: (v.instancePath || '/').replace(/^\//, '').replace(/\//g, '.') || '(root)', message: v.message ?? 'is invalid' }));
    void reply.status(400).send({ error: { code: 'INPUT_INVALID', message: fe.message, retriable: false, fields } });
    return;
  }
  if (fe.statusCode && fe.statusCode < 500) {
    void reply.status(fe.statusCode).send({ error: { code: 'INPUT_INVALID', message: fe.message, retriable: false, fields: [] } });
    return;
  }
  request.log.error({ err }, 'unhandled error');
  void reply.status(500).send({ error: { code: 'INTERNAL', message: 'internal error', retriable: false, fields: [] } });
}
