import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { AppError } from '../lib/errors.js';
import { problems } from '../lib/wire.js';

export interface ReadinessCheck {
  /** Resolves with the names of migrations not yet applied; rejects when the database is unreachable. */
  pendingMigrations(): Promise<string[]>;
}

const StatusSchema = z.object({ status: z.literal('ok') });

export const healthRoutes: FastifyPluginAsyncZod<{ readiness: ReadinessCheck }> = async (app, { readiness }) => {
  const common = { tags: ['operations'], security: [] };

  app.get(
    '/healthz',
    { schema: { ...common, operationId: 'getHealth', summary: 'The process is up', response: { 200: StatusSchema } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        ...common,
        operationId: 'getReadiness',
        summary: 'The database is reachable and every migration is applied',
        response: { 200: StatusSchema, ...problems(503) },
      },
    },
    async () => {
      let pending: string[];
      try {
        pending = await readiness.pendingMigrations();
      } catch (cause) {
        throw new AppError('NOT_READY', { detail: 'the database is unreachable', headers: { 'retry-after': '1' }, cause });
      }
      if (pending.length > 0) {
        throw new AppError('NOT_READY', { detail: `migrations not applied: ${pending.join(', ')}`, headers: { 'retry-after': '5' } });
      }
      return { status: 'ok' as const };
    },
  );
};
