import type { FastifyInstance } from 'fastify';
import type { ServerDeps } from '../server.ts';

export interface ReadinessCheck {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

const checkSchema = {
  type: 'object',
  properties: { name: { type: 'string' }, ok: { type: 'boolean' }, detail: { type: 'string' } },
  required: ['name', 'ok'],
} as const;

export async function healthRoutes(app: FastifyInstance, deps: ServerDeps): Promise<void> {
  app.get(
    '/health',
    { schema: { summary: 'Liveness', tags: ['meta'], response: { 200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] } } } },
    async () => ({ status: 'ok' }),
  );
  app.get(
    '/ready',
    {
      schema: {
        summary: 'Readiness: 503 with the failing checks until the event source consumes',
        tags: ['meta'],
        response: {
          200: { type: 'object', properties: { ready: { type: 'boolean' }, checks: { type: 'array', items: checkSchema } } },
          503: { type: 'object', properties: { ready: { type: 'boolean' }, checks: { type: 'array', items: checkSchema } } },
        },
      },
    },
    async (_req, reply) => {
      const checks = deps.readiness();
      const ready = checks.every((c) => c.ok);
      return reply.status(ready ? 200 : 503).send({ ready, checks });
    },
  );
  app.get('/metrics', {
    schema: { summary: 'Prometheus metrics (text exposition format)', tags: ['meta'] },
    config: { openapi: { responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } } } } },
  }, async (_req, reply) => {
    const body = await deps.registry.metrics();
    return reply.header('content-type', deps.registry.contentType).send(body);
  });
}
