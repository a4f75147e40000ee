import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { ProblemSchema } from '../lib/wire.js';
import { IdempotencyHeadersSchema } from '../modules/idempotency/idempotency-key.js';
import { withDocumentedResponses, withRequestBodyExamples, withoutSafeIntegerBounds } from './openapi-responses.js';

export const API_VERSION = '0.1.0';

/** The OpenAPI document is generated from the routes' zod schemas; Swagger UI serves it at /docs. */
export const swaggerPlugin = fp(async (app: FastifyInstance) => {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Session State Service',
        version: API_VERSION,
        description:
          'Token budgets, usage updates, checkpoints, forks, handoffs, orchestrations and signed webhooks for AI-agent services. ' +
          'Authenticate with `Authorization: Bearer <api key>`; errors are RFC 9457 problem documents.',
        license: { name: 'UNLICENSED', identifier: 'UNLICENSED' },
      },
      servers: [{ url: '/', description: 'This server' }],
      tags: [
        { name: 'sessions', description: 'Sessions and their token budgets' },
        { name: 'usage', description: 'Usage updates, history and forecasts' },
        { name: 'reservations', description: 'Holds on a budget before a model call: granted only when they fit, committed with the usage' },
        { name: 'checkpoints', description: 'Snapshots of the context, verified by SHA-256, and restore' },
        { name: 'lifecycle', description: 'Resume, fork, merge, emergency recovery, archive, lineage and export' },
        { name: 'handoffs', description: 'Handoff packages between agents, validated, accepted or rejected' },
        { name: 'agents', description: 'Which agents accept handoffs from whom' },
        { name: 'webhooks', description: 'Signed event deliveries (Standard Webhooks) and their attempt log' },
        { name: 'events', description: 'The live event stream (Server-Sent Events), for clients that cannot receive webhooks' },
        { name: 'orchestrations', description: 'Dependency graphs of specs, each run in its own session' },
        { name: 'context', description: 'What MCP tool definitions cost, and which servers a task needs' },
        { name: 'metrics', description: 'The health of a project against the reference targets' },
        { name: 'models', description: 'Known models and context windows' },
        { name: 'admin', description: 'Projects and API keys (ADMIN_TOKEN)' },
        { name: 'operations', description: 'Health and readiness' },
      ],
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'A project API key' },
          adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for /v1/admin' },
        },
      },
      security: [{ apiKey: [] }],
    },
    transform: (input) =>
      jsonSchemaTransform({
        ...input,
        schema: withDocumentedResponses(withIdempotencyKey(withImpliedProblems(input.schema, input.route), input.route)),
      }),
    transformObject: (input) => polished(withoutUnusedSchemas(jsonSchemaTransformObject(input))),
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
});

/** Methods whose requests Fastify parses a body of (when a content-type says there is one). */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

type RouteSchema = Parameters<typeof jsonSchemaTransform>[0]['schema'];

/**
 * Problems an operation can answer whatever its route lists: any path parameter, query or body can
 * be malformed (400), any body too large (413) or not JSON (415), and an Idempotency-Key still in
 * use (409) or reused with another request (422). Documented for every route, so that the contract
 * lists every status a client can get.
 */
function withImpliedProblems(schema: RouteSchema, route: { method: string | string[]; config?: unknown }): RouteSchema {
  if (!schema?.response || schema.hide) return schema;
  const takesBody = [route.method].flat().some((m) => BODY_METHODS.has(m));
  const takesInput = takesBody || Boolean(schema.params ?? schema.querystring ?? schema.headers);
  const idempotent = (route.config as { idempotent?: boolean } | undefined)?.idempotent === true;
  const implied = [...(takesInput ? [400] : []), ...(takesBody ? [413, 415] : []), ...(idempotent ? [409, 422] : [])];
  // Integer keys enumerate in ascending order, so the document lists the statuses sorted.
  const response = { ...(schema.response as Record<string, unknown>) };
  for (const status of implied) response[status] ??= ProblemSchema;
  return { ...schema, response };
}

/** Documents the Idempotency-Key header on every route that honours it, unless the route declares its headers itself. */
function withIdempotencyKey(schema: RouteSchema, route: { config?: unknown }): RouteSchema {
  const idempotent = (route.config as { idempotent?: boolean } | undefined)?.idempotent === true;
  if (!schema || schema.hide || !idempotent || schema.headers) return schema;
  return { ...schema, headers: IdempotencyHeadersSchema };
}

type TransformedDocument = ReturnType<typeof jsonSchemaTransformObject>;

/** The document as clients read it: body examples where Swagger UI prefills from, no placeholder bounds. */
function polished(document: TransformedDocument): TransformedDocument {
  const json = document as unknown as Parameters<typeof withRequestBodyExamples>[0];
  withRequestBodyExamples(json);
  withoutSafeIntegerBounds(json as Parameters<typeof withoutSafeIntegerBounds>[0]);
  return document;
}

const SCHEMA_REF_PREFIX = '#/components/schemas/';

/**
 * The zod type provider adds an input and an output variant of every schema with an id
 * (`Session`, `SessionInput`), though most are only used one way. Keep the schemas that the
 * operations reach, directly or through other schemas, so the document has no dead models.
 */
function withoutUnusedSchemas(document: TransformedDocument): TransformedDocument {
  const components = 'components' in document ? document.components : undefined;
  const schemas = components?.schemas as Record<string, unknown> | undefined;
  if (!components || !schemas) return document;
  const used = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string' && child.startsWith(SCHEMA_REF_PREFIX)) {
        const name = child.slice(SCHEMA_REF_PREFIX.length);
        if (!used.has(name)) {
          used.add(name);
          visit(schemas[name]);
        }
      } else {
        visit(child);
      }
    }
  };
  visit({ ...document, components: { ...components, schemas: {} } });
  const kept = Object.fromEntries(Object.entries(schemas).filter(([name]) => used.has(name)));
  return { ...document, components: { ...components, schemas: kept } } as TransformedDocument;
}
