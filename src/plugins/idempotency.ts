import type { FastifyInstance } from 'fastify';
import type { Clock } from '../lib/clock.js';
import { AppError } from '../lib/errors.js';
import type { IdempotencyRepository } from '../modules/idempotency/idempotency.repository.js';
import { requestHash } from '../modules/idempotency/request-hash.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route takes an Idempotency-Key and this plugin replays its first response. */
    idempotent?: boolean;
  }
  interface FastifyRequest {
    idempotencyKey?: string;
  }
}

/** How long an unfinished claim blocks retries before it is taken to belong to a crashed request. */
export const STALE_CLAIM_MS = 60_000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyOptions {
  idempotency: IdempotencyRepository;
  clock: Clock;
  ttlHours: number;
}

/**
 * Idempotency-Key for routes marked `config.idempotent` (the usage hot path does the same inside
 * its own statement instead). A retry with the same key and body gets the stored response; the
 * same key with another body is 422; a retry racing the first request is 409.
 */
export function idempotencyHooks(scope: FastifyInstance, { idempotency, clock, ttlHours }: IdempotencyOptions): void {
  scope.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (!request.routeOptions.config.idempotent || key === undefined) return;
    if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
      throw new AppError('VALIDATION_FAILED', {
        detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters',
        errors: [{ path: 'headers.idempotency-key', message: 'must be 1 to 255 visible ASCII characters' }],
      });
    }
    const { projectId } = request.auth;
    const hash = requestHash(request.method, request.url.split('?')[0]!, request.body);
    const now = clock.now();
    const claimed = await idempotency.claim(
      projectId,
      key,
      hash,
      now,
      new Date(now.getTime() - STALE_CLAIM_MS),
      new Date(now.getTime() - ttlHours * 3_600_000),
    );
    if (claimed) {
      request.idempotencyKey = key;
      return;
    }
    const record = await idempotency.find(projectId, key);
    if (!record || record.requestHash !== hash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', { detail: `Idempotency-Key ${JSON.stringify(key)} was already used for a different request` });
    }
    if (record.statusCode === null) {
      throw new AppError('IDEMPOTENCY_REQUEST_IN_PROGRESS', {
        detail: 'the first request with this Idempotency-Key has not finished; retry shortly',
        headers: { 'retry-after': '1' },
      });
    }
    if (record.statusCode >= 400) reply.type('application/problem+json');
    return reply.code(record.statusCode).header('idempotent-replayed', 'true').send(record.responseBody);
  });

  scope.addHook('onSend', async (request, reply, payload) => {
    const key = request.idempotencyKey;
    if (key === undefined) return payload;
    request.idempotencyKey = undefined;
    if (reply.statusCode >= 500) {
      await idempotency.release(request.auth.projectId, key);
    } else {
      const body = typeof payload === 'string' && payload.length > 0 ? JSON.parse(payload) : null;
      await idempotency.complete(request.auth.projectId, key, reply.statusCode, body, clock.now());
    }
    return payload;
  });
}
