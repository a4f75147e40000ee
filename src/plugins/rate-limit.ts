import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';

export interface ApiRateLimitOptions {
  /** Requests one API key may make per window; 0 turns limiting off. */
  max: number;
  windowMs: number;
}

/**
 * Per-API-key limits for every route of `scope` (call it after requireApiKey, before the routes).
 * The counter is keyed by the authenticated key's id, never the raw key, and kept in this replica's
 * memory: behind N replicas a key gets up to N × max per window. The check runs in the routes'
 * own onRequest hooks, which Fastify runs after the scope's (authentication), so an unauthenticated
 * request is a 401 and counts against nobody. No database work.
 */
export async function limitPerApiKey(scope: FastifyInstance, { max, windowMs }: ApiRateLimitOptions): Promise<void> {
  if (max === 0) return;
  await scope.register(rateLimit, {
    global: true,
    max,
    timeWindow: windowMs,
    hook: 'onRequest',
    keyGenerator: (request) => request.auth.apiKeyId,
    errorResponseBuilder: (_request, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new AppError('RATE_LIMITED', {
        detail: `this API key made more than ${context.max} requests in ${windowMs} ms; retry in ${retryAfterSeconds} s`,
        headers: { 'retry-after': String(retryAfterSeconds) },
      });
    },
  });
}

type CheckRateLimit = ReturnType<FastifyInstance['createRateLimit']>;

/** Counts, per client address, the requests that fail authentication (see requireApiKey). */
export interface FailedAuthLimiter {
  /** Seconds until the address may try again when it has used up its failures this window; else undefined. */
  blockedFor(request: FastifyRequest): Promise<number | undefined>;
  /** Counts one failure of the address. */
  failed(request: FastifyRequest): Promise<void>;
  /** The 429 for a blocked address. */
  refusal(retryAfterSeconds: number): AppError;
}

/**
 * The limit on requests that fail authentication, per client address (request.ip: set TRUST_PROXY
 * behind a proxy, or every client shares the proxy's address): bad or missing keys cost a database
 * lookup each, so a flood of them slowed everyone's requests. Once an address has failed `max`
 * times in a window, its requests are 429 before any lookup, but for keys this replica has
 * verified recently (AUTH_CACHE_TTL_MS), which keep working. Counted in this replica's memory, by
 * @fastify/rate-limit's store; undefined when `max` is 0 (off).
 */
export async function failedAuthLimiter(app: FastifyInstance, { max, windowMs }: ApiRateLimitOptions): Promise<FailedAuthLimiter | undefined> {
  if (max === 0) return undefined;
  let check: CheckRateLimit | undefined;
  // In a scope of its own: the plugin's onRoute hook then limits no route by itself.
  await app.register(async (scope) => {
    await scope.register(rateLimit, { global: false });
    check = scope.createRateLimit({ max, timeWindow: windowMs, keyGenerator: (request) => `address:${request.ip}` });
  });
  const limit = check!;
  return {
    async blockedFor(request) {
      const state = await limit(request, { increment: false });
      if (state.isAllowed || state.remaining > 0) return undefined;
      return Math.max(1, Math.ceil(state.ttl / 1000));
    },
    async failed(request) {
      await limit(request);
    },
    refusal: (retryAfterSeconds) =>
      new AppError('RATE_LIMITED', {
        detail: `this address failed authentication more than ${max} times in ${windowMs} ms; retry in ${retryAfterSeconds} s`,
        headers: { 'retry-after': String(retryAfterSeconds) },
      }),
  };
}
