import type { FastifyInstance, FastifyReply } from 'fastify';
import { parseIdempotencyKey, requestHash } from '../modules/idempotency/idempotency-key.js';
import type { IdempotencyService, KeyedRequest } from '../modules/idempotency/idempotency.service.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route takes an Idempotency-Key, and this plugin runs it at most once per key. Its handler
     * returns its payload (it must not call reply.send): the answer is stored before it is sent.
     */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    /** Set while a request with an Idempotency-Key runs through its handler. */
    idempotency?: KeyedRequest;
  }
}

/** Headers of an answer that its replay repeats. */
const REPEATED_HEADERS = ['location', 'etag', 'preference-applied'] as const;

/** Refusals a retry must not get again: they say nothing about the request itself. */
const NOT_REMEMBERED = new Set(['IDEMPOTENCY_REQUEST_IN_PROGRESS', 'IDEMPOTENCY_KEY_REUSED', 'RATE_LIMITED']);

function repeatedHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPEATED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

/**
 * Idempotency-Key on the routes marked `config.idempotent` (the usage route does the same inside
 * its own statement): their handler runs through IdempotencyService.once, which commits the change
 * with its answer; a replay is sent with `idempotent-replayed: true`.
 */
export function idempotencyHooks(scope: FastifyInstance, { idempotency }: { idempotency: IdempotencyService }): void {
  scope.addHook('onRoute', (route) => {
    if (!route.config?.idempotent) return;
    const handler = route.handler;
    route.handler = async function (request, reply) {
      const key = parseIdempotencyKey(request.headers['idempotency-key']);
      if (key === undefined) return handler.call(this, request, reply);
      const keyed: KeyedRequest = { projectId: request.auth.projectId, key, requestHash: requestHash(request) };
      request.idempotency = keyed;
      const { answer, replayed } = await idempotency.once(keyed, async () => {
        const body: unknown = await handler.call(this, request, reply);
        if (reply.sent) throw new Error(`${route.method} ${route.url}: an idempotent route's handler returns its payload, it does not send it`);
        return { statusCode: reply.statusCode, body, headers: repeatedHeaders(reply) };
      });
      if (replayed) {
        reply.code(answer.statusCode).headers(answer.headers).header('idempotent-replayed', 'true');
        if (answer.statusCode >= 400) reply.type('application/problem+json');
      }
      return answer.body;
    };
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    const keyed = request.idempotency;
    const refused = reply.statusCode >= 400 && reply.statusCode < 500 && reply.getHeader('idempotent-replayed') === undefined;
    if (!keyed || !refused || typeof payload !== 'string') return payload;
    const problem = JSON.parse(payload) as { code?: string };
    if (!NOT_REMEMBERED.has(problem.code ?? '')) {
      await idempotency.rememberRefusal(keyed, { statusCode: reply.statusCode, body: problem, headers: {} });
    }
    return payload;
  });
}
