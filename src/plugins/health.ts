import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../lib/errors.js';
import { problems } from '../lib/wire.js';

export interface ReadinessCheck {
  /** Resolves with the names of migrations not yet applied; rejects when the database is unreachable. */
  pendingMigrations(): Promise<string[]>;
}

const StatusSchema = z.object({ status: z.literal('ok').describe('Always ok: any other state answers a problem') });

/** /readyz answers 503 when the database has not answered within this long (a probe must not hang). */
export const READINESS_TIMEOUT_MS = 2000;

class ReadinessTimeout extends Error {
  override name = 'ReadinessTimeout';
}

/** `promise`, or a rejection once `ms` have passed; the timer never holds the process open. */
function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ReadinessTimeout(`the database did not answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export const healthRoutes: FastifyPluginAsyncZod<{ readiness: ReadinessCheck }> = async (app, { readiness }) => {
  const common = { tags: ['operations'], security: [] };

  app.get(
    '/healthz',
    {
      schema: {
        ...common,
        operationId: 'getHealth',
        summary: 'The process is up',
        description: 'A liveness probe: answers as long as the process serves HTTP; it does not touch the database.',
        response: { 200: StatusSchema },
        responseDescriptions: { 200: 'The process is up' },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        ...common,
        operationId: 'getReadiness',
        summary: 'The database is reachable and every migration is applied',
        description: 'A readiness probe: 503 `NOT_READY` (with `Retry-After`) while the database is away or migrations are pending.',
        response: { 200: StatusSchema, ...problems(503) },
        responseDescriptions: { 200: 'Ready to serve' },
      },
    },
    async () => {
      let pending: string[];
      try {
        pending = await withTimeout(readiness.pendingMigrations(), READINESS_TIMEOUT_MS);
      } catch (cause) {
        const detail = cause instanceof ReadinessTimeout ? cause.message : 'the database is unreachable';
        throw new AppError('NOT_READY', { detail, headers: { 'retry-after': '1' }, cause });
      }
      if (pending.length > 0) {
        throw new AppError('NOT_READY', { detail: `migrations not applied: ${pending.join(', ')}`, headers: { 'retry-after': '5' } });
      }
      return { status: 'ok' as const };
    },
  );
};
