import { describe, expect, it } from 'vitest';
import { toOpenApiSchema } from '../../../src/api/openapi.ts';
import { harness } from './api-harness.ts';

type Json = Record<string, unknown>;
interface Operation { operationId: string; summary?: string; parameters?: { name: string; in: string; required: boolean; schema: Json }[]; requestBody?: { content: Record<string, { schema: Json }> }; responses: Record<string, { content?: Record<string, { schema: Json }> }>; security?: unknown[] }

const V1 = [
  ['get', '/v1/portfolios'],
  ['get', '/v1/portfolios/{id}'],
  ['put', '/v1/portfolios/{id}'],
  ['get', '/v1/portfolios/{id}/allocation'],
  ['get', '/v1/portfolios/{id}/explain'],
  ['get', '/v1/portfolios/{id}/model'],
  ['get', '/v1/portfolios/{id}/history'],
  ['post', '/v1/portfolios/{id}/what-if'],
  ['get', '/v1/portfolios/{id}/frontier'],
  ['post', '/v1/portfolios/{id}/pause'],
  ['post', '/v1/portfolios/{id}/resume'],
  ['post', '/v1/portfolios/{id}/reoptimize'],
] as const;

async function document(options: Parameters<typeof harness>[0] = {}) {
  const res = await harness(options).app.inject({ url: '/docs/openapi.json' });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toContain('application/json');
  return res.json() as { openapi: string; paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Json; schemas: Json } };
}

/** Every place in the document where JSON Schema's dialect leaked in (OpenAPI 3.0 has no type lists, no const, no $id). */
function dialectLeaks(node: unknown, path = '$'): string[] {
  if (Array.isArray(node)) return node.flatMap((v, i) => dialectLeaks(v, `${path}[${i}]`));
  if (typeof node !== 'object' || node === null) return [];
  const out: string[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'type' && Array.isArray(v)) out.push(`${path}.type`);
    if (k === 'const' || k === '$id' || k === '$schema') out.push(`${path}.${k}`);
    if ((k === 'exclusiveMinimum' || k === 'exclusiveMaximum') && typeof v !== 'boolean') out.push(`${path}.${k}`);
    // `examples` is an OpenAPI keyword only on media types, not in a 3.0 schema.
    if (k === 'examples' && path.includes('schema')) out.push(`${path}.examples`);
    out.push(...dialectLeaks(v, `${path}.${k}`));
  }
  return out;
}

describe('GET /docs/openapi.json', () => {
  it('lists every /v1 route with its parameters, bodies, responses and security', async () => {
    const doc = await document();
    expect(doc.openapi).toBe('3.0.3');
    const listed = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((m) => `${m} ${path}`)).filter((r) => r.includes(' /v1'));
    expect(listed.sort()).toEqual(V1.map(([m, p]) => `${m} ${p}`).sort());
    for (const [method, path] of V1) {
      const op = doc.paths[path]![method]!;
      expect(op.summary, `${method} ${path}`).toBeTruthy();
      expect(op.responses['200']?.content?.['application/json']?.schema, `${method} ${path} 200`).toBeDefined();
      if (path.includes('{id}')) {
        expect(op.parameters?.find((p) => p.in === 'path' && p.name === 'id')).toMatchObject({ required: true, schema: { type: 'string' } });
        if (method !== 'put') expect(op.responses['404'], `${method} ${path} 404`).toBeDefined();
      }
      const mutating = method !== 'get';
      expect(op.security !== undefined, `${method} ${path} security`).toBe(mutating);
      if (mutating) {
        expect(op.responses['401']).toBeDefined();
        expect(op.responses['403']).toBeDefined();
      }
    }
  });

  it('documents the bodies the control plane and what-if check, not just their shape', async () => {
    const doc = await document();
    const put = doc.paths['/v1/portfolios/{id}']!['put']!.requestBody!.content['application/json']!.schema as { properties: Json; required: string[] };
    expect(Object.keys(put.properties)).toEqual(expect.arrayContaining(['currency', 'budget', 'maxChange', 'channels']));
    expect(put.required).toEqual(expect.arrayContaining(['budget', 'channels']));
    expect(put.properties['budget']).toMatchObject({ type: 'number', minimum: 0, exclusiveMinimum: true });
    const whatIf = doc.paths['/v1/portfolios/{id}/what-if']!['post']!.requestBody!.content['application/json']!.schema as { properties: Json };
    expect(Object.keys(whatIf.properties).sort()).toEqual(['budget', 'budgets']);
    const frontier = doc.paths['/v1/portfolios/{id}/frontier']!['get']!;
    expect(frontier.parameters!.filter((p) => p.in === 'query').map((p) => p.name).sort()).toEqual(['from', 'points', 'to']);
    const putHeaders = doc.paths['/v1/portfolios/{id}']!['put']!.parameters!.filter((p) => p.in === 'header');
    expect(putHeaders.map((p) => p.name)).toEqual(['if-match']);
    expect(doc.paths['/v1/portfolios/{id}']!['put']!.responses['409']).toBeDefined();
  });

  it('speaks OpenAPI 3.0\'s schema dialect throughout, and names the bearer scheme', async () => {
    const doc = await document();
    expect(dialectLeaks(doc.paths)).toEqual([]);
    expect(doc.components.securitySchemes['bearerAuth']).toMatchObject({ type: 'http', scheme: 'bearer' });
    const allocation = doc.paths['/v1/portfolios/{id}/allocation']!['get']!.responses['200']!.content!['application/json']!.schema as { properties: Record<string, Json> };
    expect(allocation.properties['gap']).toMatchObject({ type: 'number', nullable: true });
    expect(new Set(Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId))).size)
      .toBe(Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0));
  });

  it('open routes carry no security; with protectReads the /v1 reads do', async () => {
    const open = await document();
    for (const path of ['/health', '/ready', '/metrics', '/docs/openapi.json']) expect(open.paths[path]!['get']!.security, path).toBeUndefined();
    const guarded = await document({ protectReads: true });
    expect(guarded.paths['/v1/portfolios']!['get']!.security).toEqual([{ bearerAuth: [] }]);
    expect(guarded.paths['/health']!['get']!.security).toBeUndefined();
  });
});

describe('toOpenApiSchema', () => {
  it('rewrites JSON Schema draft 7 into OpenAPI 3.0', () => {
    expect(toOpenApiSchema({ type: ['number', 'null'], exclusiveMinimum: 0 })).toEqual({ type: 'number', nullable: true, minimum: 0, exclusiveMinimum: true });
    expect(toOpenApiSchema({ type: ['string', 'number'] })).toEqual({ anyOf: [{ type: 'string' }, { type: 'number' }] });
    expect(toOpenApiSchema({ const: 'x', $id: 'a', examples: [1, 2] })).toEqual({ enum: ['x'], example: 1 });
    expect(toOpenApiSchema({ type: 'object', properties: { a: { type: ['object', 'null'], properties: { b: { const: 1 } } } }, additionalProperties: { type: ['integer', 'null'] } }))
      .toEqual({ type: 'object', properties: { a: { type: 'object', nullable: true, properties: { b: { enum: [1] } } } }, additionalProperties: { type: 'integer', nullable: true } });
  });
});
