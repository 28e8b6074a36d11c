/**
 * The OpenAPI 3.0.3 document of the API, built from the routes' own JSON schemas: an `onRoute`
 * hook records every route (method, url, schema, whether it needs the token), and the document
 * turns them into paths (`:id` → `{id}`), parameters (params, querystring, headers), request
 * bodies, responses and the bearer security scheme. Served at GET /docs/openapi.json.
 *
 * JSON Schema (draft 7, what fastify validates with) and OpenAPI 3.0's schema dialect differ in a
 * few places; `toOpenApiSchema` rewrites them: `type: [t, 'null']` → `nullable`, numeric
 * `exclusiveMinimum`/`exclusiveMaximum` → the boolean form, `const` → `enum`.
 */
import type { RouteOptions } from 'fastify';
import type { Access } from './auth.ts';

declare module 'fastify' {
  interface FastifySchema {
    /** OpenAPI: one line on what the operation does. */
    summary?: string;
    description?: string;
    tags?: readonly string[];
    operationId?: string;
  }
  interface FastifyContextConfig {
    /** What the OpenAPI document shows instead of the validation schema (e.g. a body the control plane validates). */
    openapi?: {
      readonly body?: unknown;
      readonly responses?: Readonly<Record<string, unknown>>;
    };
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export interface RecordedRoute {
  readonly method: string;
  readonly url: string;
  readonly access: Access;
  readonly schema: RouteOptions['schema'];
  readonly docs: NonNullable<RouteOptions['config']>['openapi'];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const SUBSCHEMA_MAPS = ['properties', 'patternProperties', 'definitions', '$defs'];
const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf'];
const SUBSCHEMAS = ['items', 'additionalProperties', 'not'];
const DROPPED = new Set(['$id', '$schema', '$comment']);

/** A fastify (JSON Schema draft 7) schema in OpenAPI 3.0's dialect. */
export function toOpenApiSchema(schema: unknown): Json {
  if (Array.isArray(schema)) return schema.map(toOpenApiSchema);
  if (!isObject(schema)) return schema as Json;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key)) continue;
    if (SUBSCHEMA_MAPS.includes(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toOpenApiSchema(v)]));
    } else if (SUBSCHEMA_LISTS.includes(key) && Array.isArray(value)) {
      out[key] = value.map(toOpenApiSchema);
    } else if (SUBSCHEMAS.includes(key) && isObject(value)) {
      out[key] = toOpenApiSchema(value);
    } else if (key === 'const') {
      out['enum'] = [value as Json];
    } else if (key === 'examples' && Array.isArray(value)) {
      if (value.length > 0) out['example'] = value[0] as Json;
    } else if ((key === 'exclusiveMinimum' || key === 'exclusiveMaximum') && typeof value === 'number') {
      out[key === 'exclusiveMinimum' ? 'minimum' : 'maximum'] = value;
      out[key] = true;
    } else {
      out[key] = value as Json;
    }
  }
  const type = schema['type'];
  if (Array.isArray(type)) {
    const types = type.filter((t): t is string => typeof t === 'string' && t !== 'null');
    delete out['type'];
    if (types.length < type.length) out['nullable'] = true;
    if (types.length === 1) out['type'] = types[0]!;
    else if (types.length > 1) out['anyOf'] = types.map((t) => ({ type: t }));
  }
  return out;
}

const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

function allowsNull(schema: unknown): boolean {
  if (!isObject(schema)) return true;
  const type = schema['type'];
  return type === 'null' || (Array.isArray(type) && type.includes('null'));
}

function parameters(schema: unknown, where: 'path' | 'query' | 'header'): JsonObject[] {
  if (!isObject(schema) || !isObject(schema['properties'])) return [];
  const required = new Set(Array.isArray(schema['required']) ? schema['required'] : []);
  return Object.entries(schema['properties']).map(([name, sub]) => {
    const converted = toOpenApiSchema(sub) as JsonObject;
    const description = converted['description'];
    return {
      name,
      in: where,
      required: where === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: converted,
    };
  });
}

const DEFAULT_DESCRIPTION: Record<string, string> = { 200: 'OK', 201: 'Created', 204: 'No content', 503: 'Not ready' };

function responses(route: RecordedRoute, errorSchema: unknown): JsonObject {
  const out: JsonObject = {};
  const declared = isObject(route.schema?.response) ? route.schema.response : {};
  for (const [status, schema] of Object.entries(declared)) {
    const converted = toOpenApiSchema(schema) as JsonObject;
    const description = typeof converted['description'] === 'string' ? converted['description'] : (DEFAULT_DESCRIPTION[status] ?? 'response');
    out[status] = { description, content: { 'application/json': { schema: converted } } };
  }
  for (const [status, doc] of Object.entries(route.docs?.responses ?? {})) out[status] = doc as Json;
  if (route.access === 'token') {
    const error = toOpenApiSchema(errorSchema);
    out['401'] ??= { description: 'no or malformed bearer token (UNAUTHORIZED)', content: { 'application/json': { schema: error } } };
    out['403'] ??= { description: 'wrong token, or no token configured (FORBIDDEN)', content: { 'application/json': { schema: error } } };
  }
  if (Object.keys(out).length === 0) out['default'] = { description: 'response' };
  return out;
}

function operationId(method: string, url: string): string {
  const words = url.split('/').filter(Boolean).map((w) => w.replace(/^:/, 'by-'));
  return [method.toLowerCase(), ...words].join('-').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ?? '').toUpperCase());
}

export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
}

/** Collects routes (call `record` from an onRoute hook) and renders the document. */
export class OpenApiCollector {
  readonly routes: RecordedRoute[] = [];

  record(route: RouteOptions, access: Access): void {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      // HEAD routes fastify adds for every GET are not operations of their own.
      if (method === 'HEAD') continue;
      this.routes.push({ method, url: route.url, access, schema: route.schema, docs: route.config?.openapi });
    }
  }

  document(info: OpenApiInfo, errorSchema: unknown): JsonObject {
    const paths: JsonObject = {};
    for (const route of this.routes) {
      const schema = route.schema ?? {};
      const path = openApiPath(route.url);
      const item = (paths[path] ??= {}) as JsonObject;
      const params = [...parameters(schema.params, 'path'), ...parameters(schema.querystring, 'query'), ...parameters(schema.headers, 'header')];
      const body = route.docs?.body ?? schema.body;
      const operation: JsonObject = {
        operationId: schema.operationId ?? operationId(route.method, route.url),
        ...(schema.summary !== undefined ? { summary: schema.summary } : {}),
        ...(schema.description !== undefined ? { description: schema.description } : {}),
        ...(schema.tags !== undefined ? { tags: [...schema.tags] } : {}),
        ...(params.length > 0 ? { parameters: params } : {}),
        ...(body !== undefined
          ? { requestBody: { required: !allowsNull(schema.body), content: { 'application/json': { schema: toOpenApiSchema(body) } } } }
          : {}),
        responses: responses(route, errorSchema),
        ...(route.access === 'token' ? { security: [{ bearerAuth: [] }] } : {}),
      };
      item[route.method.toLowerCase()] = operation;
    }
    return {
      openapi: '3.0.3',
      info: { title: info.title, version: info.version, ...(info.description !== undefined ? { description: info.description } : {}) },
      paths,
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'api.token (SPENDFLOW_API_TOKEN)' } },
        schemas: { Error: toOpenApiSchema(errorSchema) },
      },
    };
  }
}
