// How the OpenAPI document presents responses and examples (src/plugins/swagger.ts applies these):
// every response named, problems as the application/problem+json the server sends, request-body
// examples where Swagger UI prefills "Try it out" from, and no placeholder bounds. Documentation
// only: the routes' own schemas (validation and serialization) stay as the routes declare them.
import type { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { PROBLEM_CONTENT_TYPE } from '../lib/errors.js';
import { ProblemSchema } from '../lib/wire.js';

declare module 'fastify' {
  interface FastifySchema {
    /**
     * What each success status of the route answers (`{ 201: 'The new session' }`), for the OpenAPI
     * document. Problem statuses are described from the table below; a 204's `z.null()` carries its own.
     */
    responseDescriptions?: Readonly<Partial<Record<number, string>>>;
  }
}

type RouteSchema = Parameters<typeof jsonSchemaTransform>[0]['schema'];

/** What a problem answer at each status means, whatever the route (the `code` says exactly which). */
export const problemDescriptionByStatus: Readonly<Record<number, string>> = {
  400: 'Invalid request: a path parameter, the query, a header or the body fails validation (`VALIDATION_FAILED`, each field in `errors`), or the body is not JSON (`MALFORMED_JSON`)',
  401: 'No API key, or one that is unknown or revoked (`UNAUTHORIZED`)',
  404: 'Nothing of that id in this project (`NOT_FOUND`)',
  409: "Refused in the resource's current state: `code` names why (e.g. `SESSION_ARCHIVED`, `INVALID_TRANSITION`), or a request with the same Idempotency-Key is still running (`IDEMPOTENCY_REQUEST_IN_PROGRESS`)",
  412: 'If-Match names another version than the current one (`PRECONDITION_FAILED`): GET the resource again',
  413: 'The body is larger than the service accepts (`PAYLOAD_TOO_LARGE`, `CHECKPOINT_TOO_LARGE`, `CONTEXT_TOO_LARGE`)',
  415: 'The body is not `application/json` (`UNSUPPORTED_MEDIA_TYPE`)',
  422: 'Well-formed but refused: `code` names the rule (e.g. `HANDOFF_INVALID`, `IDEMPOTENCY_KEY_REUSED`), `errors` lists what failed',
  429: 'Too many requests for this API key (`RATE_LIMITED`; wait `Retry-After` seconds) or too many open streams (`TOO_MANY_STREAMS`)',
  503: 'The database is unreachable or not migrated (`NOT_READY`); retry after `Retry-After` seconds',
};

const isContentForm = (value: unknown): value is { content: unknown } =>
  typeof value === 'object' && value !== null && 'content' in value && !('_zod' in value);

/**
 * Every response in the form `{ description, content: { <media type>: { schema } } }`: problems as
 * application/problem+json with the status's description, success bodies as application/json with
 * the route's `responseDescriptions`. A status left undescribed shows as "Default Response", which
 * test/api/openapi.test.ts refuses.
 */
export function withDocumentedResponses(schema: RouteSchema): RouteSchema {
  if (!schema || schema.hide) return schema;
  const { responseDescriptions = {}, ...rest } = schema as NonNullable<RouteSchema> & { responseDescriptions?: Record<number, string> };
  if (!rest.response) return rest;
  const response: Record<string, unknown> = {};
  for (const [status, value] of Object.entries(rest.response as Record<string, unknown>)) {
    const description = responseDescriptions[Number(status)];
    if (value === ProblemSchema) {
      response[status] = { description: problemDescriptionByStatus[Number(status)], content: { [PROBLEM_CONTENT_TYPE]: { schema: value } } };
    } else if (isContentForm(value) || Number(status) === 204) {
      response[status] = description && isContentForm(value) ? { ...value, description } : value;
    } else {
      response[status] = { ...(description ? { description } : {}), content: { 'application/json': { schema: value } } };
    }
  }
  return { ...rest, response };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * zod writes `z.int()` as minimum -(2^53 - 1) and maximum 2^53 - 1 (JavaScript's safe integers),
 * which Swagger UI then shows and fills in as examples. Bounds a route declares stay; these go.
 */
export function withoutSafeIntegerBounds(value: Json): void {
  if (Array.isArray(value)) return value.forEach(withoutSafeIntegerBounds);
  if (value === null || typeof value !== 'object') return;
  if (value.minimum === Number.MIN_SAFE_INTEGER) delete value.minimum;
  if (value.maximum === Number.MAX_SAFE_INTEGER) delete value.maximum;
  Object.values(value).forEach(withoutSafeIntegerBounds);
}

const SCHEMA_REF_PREFIX = '#/components/schemas/';
const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/**
 * A request body's example, on its media type: a body schema is a `$ref` to a component whose
 * `examples` (from `.meta({ examples })`) Swagger UI would not prefill from. The media type's
 * `example` is what "Try it out" starts from, and what test/api/openapi-examples.test.ts executes.
 */
export function withRequestBodyExamples(document: { paths?: Json; components?: Json }): void {
  const schemas = (document.components as { schemas?: Record<string, { example?: Json; examples?: Json[] }> } | undefined)?.schemas ?? {};
  for (const item of Object.values((document.paths ?? {}) as Record<string, Record<string, Json>>)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method] as { requestBody?: { content?: Record<string, { schema?: { $ref?: string }; example?: Json }> } } | undefined;
      for (const media of Object.values(operation?.requestBody?.content ?? {})) {
        const ref = media.schema?.$ref;
        const component = ref?.startsWith(SCHEMA_REF_PREFIX) ? schemas[ref.slice(SCHEMA_REF_PREFIX.length)] : undefined;
        const example = component?.examples?.[0] ?? component?.example;
        if (media.example === undefined && example !== undefined) media.example = example;
      }
    }
  }
}
