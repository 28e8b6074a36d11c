/** GET /docs/openapi.json: the OpenAPI 3 document, built once from the registered routes' schemas. */
import type { FastifyInstance } from 'fastify';
import type { OpenApiCollector } from '../openapi.ts';
import { errorBody } from '../schemas.ts';

export const API_INFO = {
  title: 'spendflow',
  version: '1',
  description: 'Real-time marketing budget optimizer: portfolio configuration, live allocations and their explanations, what-if questions, the efficient frontier, and the kill switch. Routes under /v1 that change something need Authorization: Bearer <api.token>; reads need it too with api.protectReads.',
} as const;

export async function openApiRoutes(app: FastifyInstance, collector: OpenApiCollector): Promise<void> {
  let document: unknown = null;
  app.get(
    '/docs/openapi.json',
    { schema: { summary: 'This document (OpenAPI 3.0)', tags: ['meta'] } },
    async (_req, reply) => {
      // Every route is registered before the server answers, so the document is complete by now.
      document ??= collector.document(API_INFO, errorBody);
      return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(document));
    },
  );
}
