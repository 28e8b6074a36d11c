/**
 * Bearer-token access to the API. Routes under /v1 that change something (PUT, POST) always need
 * `Authorization: Bearer <token>`; reads under /v1 need it too with `api.protectReads`; /health,
 * /ready, /metrics and /docs/openapi.json are always open.
 *
 * - no Authorization header, or one that is not a bearer token: 401 UNAUTHORIZED with
 *   `WWW-Authenticate: Bearer`;
 * - a wrong token: 403 FORBIDDEN;
 * - no token configured (`api.token` / SPENDFLOW_API_TOKEN unset): every protected route 403
 *   FORBIDDEN saying so: mutations are disabled rather than open, and with `protectReads` the
 *   reads are too (fail closed).
 *
 * Tokens are compared in constant time over SHA-256 digests (equal lengths, so neither content nor
 * length leaks) and never echoed: messages only say what is wrong.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SpendflowError } from '../errors.ts';

export interface AuthOptions {
  /** The token protected routes require; null refuses them all (403). */
  readonly token: string | null;
  /** Require the token on read routes under /v1 too. */
  readonly protectReads: boolean;
}

export type Access = 'open' | 'token';

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export const isReadMethod = (method: string) => READ_METHODS.has(method.toUpperCase());

/** Whether a route (its method and URL pattern) needs the token. */
export function routeAccess(method: string, url: string, protectReads: boolean): Access {
  if (url !== '/v1' && !url.startsWith('/v1/')) return 'open';
  if (isReadMethod(method)) return protectReads ? 'token' : 'open';
  return 'token';
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/** `Bearer <token>` (scheme case-insensitive, RFC 6750 token68 characters), else null. */
export function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(header);
  return match ? match[1]! : null;
}

/** Constant-time equality of two secrets (of any lengths). */
export function sameToken(presented: string, expected: string): boolean {
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Checks a request's bearer token; throws UNAUTHORIZED (with the challenge header set) or FORBIDDEN. */
export function checkToken(auth: AuthOptions, request: FastifyRequest, reply: FastifyReply): void {
  if (auth.token === null) {
    throw new SpendflowError('FORBIDDEN', isReadMethod(request.method)
      ? 'reads are protected (api.protectReads) but no API token is configured: set api.token or SPENDFLOW_API_TOKEN'
      : 'mutations are disabled until an API token is configured: set api.token or SPENDFLOW_API_TOKEN');
  }
  const header = request.headers.authorization;
  const presented = bearerToken(typeof header === 'string' ? header : undefined);
  if (presented === null) {
    void reply.header('WWW-Authenticate', 'Bearer realm="spendflow"');
    throw new SpendflowError('UNAUTHORIZED', header === undefined
      ? 'this route needs an Authorization header: Bearer <token>'
      : 'the Authorization header is not a bearer token: expected "Bearer <token>"');
  }
  if (!sameToken(presented, auth.token)) {
    throw new SpendflowError('FORBIDDEN', 'the bearer token is not valid for this API');
  }
}

/** An onRequest hook enforcing the token (it runs before the body is read or validated). */
export function tokenHook(auth: AuthOptions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    checkToken(auth, request, reply);
  };
}
