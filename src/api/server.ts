/**
 * The HTTP API as a factory: `buildServer(deps)` returns a fastify app that is not listening, so
 * tests use `app.inject()` and `main` decides where to listen.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { errorHandler } from './error-handler.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import { modelRoutes } from './routes/model.ts';
import { portfolioRoutes } from './routes/portfolios.ts';

export interface ServerDeps {
  readonly registry: Registry;
  readonly pipeline: Pick<Pipeline, 'portfolio' | 'portfolioIds'>;
  readonly readiness: () => readonly ReadinessCheck[];
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: false });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, retriable: false, fields: [] },
    });
  });
  app.register(healthRoutes, deps);
  app.register(portfolioRoutes, deps);
  app.register(modelRoutes, deps);
  return app;
}
