/**
 * The HTTP API as a factory: `buildServer(deps)` returns a fastify app that is not listening, so
 * tests use `app.inject()` and `main` decides where to listen.
 *
 * Every route is seen by one `onRoute` hook before it exists: it puts the bearer-token check in
 * front of the routes that need it (./auth.ts) and records the route for the OpenAPI document
 * (./openapi.ts), so neither can be forgotten for a new route.
 */
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import type { Registry } from 'prom-client';
import type { ControlPlane } from '../control/types.ts';
import type { Logger } from '../log.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import { routeAccess, tokenHook, type AuthOptions } from './auth.ts';
import { errorHandlerFor, formatValidationErrors } from './error-handler.ts';
import { OpenApiCollector } from './openapi.ts';
import { allocationRoutes } from './routes/allocation.ts';
import { analysisRoutes } from './routes/analysis.ts';
import { controlRoutes } from './routes/control.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health.ts';
import { historyRoutes } from './routes/history.ts';
import { modelRoutes } from './routes/model.ts';
import { openApiRoutes } from './routes/openapi-doc.ts';
import { portfolioRoutes } from './routes/portfolios.ts';
import { statusPageRoutes } from './routes/status-page.ts';

export interface ServerDeps {
  readonly registry: Registry;
  readonly pipeline: Pick<Pipeline, 'portfolio' | 'portfolioIds'>;
  readonly readiness: () => readonly ReadinessCheck[];
  readonly control: ControlPlane;
  readonly auth: AuthOptions;
  /**
   * Request log (one line per response: method, route, status, duration; never headers, so never
   * a token) and unhandled errors. Optional: nothing is logged without it.
   */
  readonly log?: Logger;
}

function prependHook(existing: RouteOptions['onRequest'], hook: NonNullable<RouteOptions['onRequest']>) {
  if (existing === undefined) return hook;
  return [hook, ...(Array.isArray(existing) ? existing : [existing])].flat();
}

export function buildServer(deps: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, schemaErrorFormatter: formatValidationErrors });
  const collector = new OpenApiCollector();
  const checkToken = tokenHook(deps.auth);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const access = methods.some((m) => routeAccess(m, route.url, deps.auth.protectReads) === 'token') ? 'token' : 'open';
    if (access === 'token') route.onRequest = prependHook(route.onRequest, checkToken);
    collector.record(route, access);
  });
  if (deps.log) {
    const log = deps.log.child({ component: 'api' });
    app.addHook('onResponse', async (request, reply) => {
      // The route's pattern, not the URL: no query string (where a careless client might put a secret).
      log.debug('request', { method: request.method, route: request.routeOptions.url ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime) });
    });
  }
  app.setErrorHandler(errorHandlerFor(deps.log));
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({
      error: { code: 'ROUTE_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}`, retriable: false, fields: [] },
    });
  });
  app.register(healthRoutes, deps);
  app.register(openApiRoutes, collector);
  app.register(portfolioRoutes, deps);
  app.register(allocationRoutes, deps);
  app.register(modelRoutes, deps);
  app.register(historyRoutes, deps);
  app.register(analysisRoutes, deps);
  app.register(controlRoutes, deps);
  app.register(statusPageRoutes);
  return app;
}
