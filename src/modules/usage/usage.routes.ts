import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { SessionParamsSchema } from '../sessions/sessions.schemas.js';
import { decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import { IdempotencyHeadersSchema, requestHash } from '../idempotency/idempotency-key.js';
import {
  BudgetSchema,
  RecordUsageBodySchema,
  UsageEntrySchema,
  UsageListQuerySchema,
  UsageResultSchema,
  usageInputOf,
  budgetWire,
  usageEntryWire,
  usageResultWire,
} from './usage.schemas.js';
import type { UsageService } from './usage.service.js';

export const usageRoutes: FastifyPluginAsyncZod<{ usage: UsageService }> = async (app, { usage }) => {
  app.post(
    '/sessions/:id/usage',
    {
      schema: {
        operationId: 'recordUsage',
        tags: ['usage'],
        summary: 'Count the tokens of a model call against the session budget',
        description:
          'Atomic under any concurrency. Emits one session.threshold_crossed event per threshold crossed. ' +
          'A retry with the same Idempotency-Key and body returns the first response and counts nothing.',
        params: SessionParamsSchema,
        headers: IdempotencyHeadersSchema,
        body: RecordUsageBodySchema,
        response: { 200: UsageResultSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 200: 'Counted: the budget after the update, and the thresholds it crossed' },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      const body = request.body;
      const result = await usage.record(
        request.auth.projectId,
        request.params.id,
        usageInputOf(body),
        key === undefined ? undefined : { key, requestHash: requestHash(request) },
      );
      if (result.replayed) reply.header('idempotent-replayed', 'true');
      return usageResultWire(result);
    },
  );

  app.get(
    '/sessions/:id/usage',
    {
      schema: {
        operationId: 'listUsage',
        tags: ['usage'],
        summary: 'Usage history of a session, newest first',
        description: 'Every usage update counted on the session, with the budget after it; `next_cursor` pages on.',
        params: SessionParamsSchema,
        querystring: UsageListQuerySchema,
        response: { 200: pageOf(UsageEntrySchema), ...problems(400, 401, 404) },
        responseDescriptions: { 200: 'A page of usage updates' },
      },
    },
    async (request) => {
      const page = await usage.history(request.auth.projectId, request.params.id, request.query.limit, decodeCursor(request.query.cursor, 'use'));
      return pageWire(page, usageEntryWire);
    },
  );

  app.get(
    '/sessions/:id/budget',
    {
      schema: {
        operationId: 'getBudget',
        tags: ['usage'],
        summary: 'Token budget, level, recommendations and a burn-rate forecast',
        description:
          'The level of the reference table the session is at, the actions it recommends, and how many updates and seconds remain ' +
          'until each threshold at the recent rate of usage.',
        params: SessionParamsSchema,
        response: { 200: BudgetSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The budget, recommendations and forecast' },
      },
    },
    async (request) => budgetWire(await usage.budget(request.auth.projectId, request.params.id)),
  );
};
