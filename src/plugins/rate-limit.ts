import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
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
