// POST /v1/sessions/{id}/usage is the service's hot path (agents call it after every model call).
// Its validation and serialization skip zod's generic machinery for the well-formed requests that
// make up nearly all of that traffic, and hand everything else to zod: what a request is accepted
// with, and every error, stay exactly those of the schemas (test/unit/usage-fast-path.test.ts
// checks the two agree). The schemas remain the contract and feed openapi.yaml as before.
import type { FastifySchemaCompiler } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { MAX_TOKENS_PER_UPDATE, type RecordUsageBodySchema } from './usage.schemas.js';

/** NameSchema's bounds (lib/wire.ts): model and source are 1–256 characters. */
const NAME_MAX_LENGTH = 256;
/** SessionParamsSchema's bound on the session id. */
const ID_MAX_LENGTH = 256;
/** IdempotencyHeadersSchema's bound on the key. */
const KEY_MAX_LENGTH = 255;

type Body = z.infer<typeof RecordUsageBodySchema>;

const BODY_KEYS = new Set(['tokens', 'input_tokens', 'output_tokens', 'model', 'source']);

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TOKENS_PER_UPDATE;
const isName = (value: unknown): value is string => typeof value === 'string' && value.length >= 1 && value.length <= NAME_MAX_LENGTH;

/**
 * The body when it is certainly valid, built as zod builds it (the schema's keys, in its order);
 * undefined when zod must decide (and then say what is wrong).
 */
export function fastUsageBody(data: unknown): Body | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const body = data as Record<string, unknown>;
  for (const key of Object.keys(body)) if (!BODY_KEYS.has(key)) return undefined;
  const { tokens, input_tokens: inputTokens, output_tokens: outputTokens, model, source } = body;
  if ((model !== undefined && !isName(model)) || (source !== undefined && !isName(source))) return undefined;
  let total: number;
  if (tokens !== undefined) {
    if (inputTokens !== undefined || outputTokens !== undefined || !isCount(tokens)) return undefined;
    total = tokens;
  } else {
    if (!isCount(inputTokens) || !isCount(outputTokens)) return undefined;
    total = inputTokens + outputTokens;
  }
  if (total < 1 || total > MAX_TOKENS_PER_UPDATE) return undefined;
  const value: Body = {};
  if (tokens !== undefined) value.tokens = tokens;
  if (inputTokens !== undefined) value.input_tokens = inputTokens;
  if (outputTokens !== undefined) value.output_tokens = outputTokens;
  if (model !== undefined) value.model = model;
  if (source !== undefined) value.source = source;
  return value;
}

export function fastUsageParams(data: unknown): { id: string } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const params = data as Record<string, unknown>;
  const id = params.id;
  if (typeof id !== 'string' || id.length < 1 || id.length > ID_MAX_LENGTH || Object.keys(params).length !== 1) return undefined;
  return { id };
}

/** zod's z.object keeps only the declared header, so this does too. */
export function fastUsageHeaders(data: unknown): { 'idempotency-key'?: string } | undefined {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return undefined;
  const key = (data as Record<string, unknown>)['idempotency-key'];
  if (key === undefined) return {};
  if (typeof key !== 'string' || key.length < 1 || key.length > KEY_MAX_LENGTH) return undefined;
  return { 'idempotency-key': key };
}

const FAST_CHECKS: Partial<Record<string, (data: unknown) => unknown>> = {
  body: fastUsageBody,
  params: fastUsageParams,
  headers: fastUsageHeaders,
};

// Generic in the route's schema type, as Fastify's route options type them; the schemas are zod's.
type RouteSchemaDef<S> = Parameters<FastifySchemaCompiler<S>>[0];
type ZodRoute = Parameters<typeof validatorCompiler>[0];

/** The route's validatorCompiler: the fast check of its part, else zod. */
export function usageValidatorCompiler<S>(route: RouteSchemaDef<S>): ReturnType<FastifySchemaCompiler<S>> {
  const viaZod = validatorCompiler(route as unknown as ZodRoute);
  const fast = route.httpPart === undefined ? undefined : FAST_CHECKS[route.httpPart];
  if (!fast) return viaZod;
  return (data: unknown) => {
    const value = fast(data);
    return value === undefined ? viaZod(data) : { value };
  };
}

/**
 * The route's serializerCompiler: the 200 body is built by usageResultWire from typed values, so
 * it is written with JSON.stringify without being parsed again; problem documents go through zod.
 */
export function usageSerializerCompiler<S>(route: RouteSchemaDef<S>): (data: unknown) => string {
  return route.httpStatus === '200'
    ? (data) => JSON.stringify(data)
    : serializerCompiler(route as unknown as ZodRoute);
}
