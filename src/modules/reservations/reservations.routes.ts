import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import { EmptyBodySchema } from '../../lib/wire.js';
import { IdempotencyHeadersSchema, requestHash } from '../idempotency/idempotency-key.js';
import { SessionParamsSchema, tokenBudgetWire } from '../sessions/sessions.schemas.js';
import { RecordUsageBodySchema, usageInputOf, usageResultWire } from '../usage/usage.schemas.js';
import {
  CommitResultSchema,
  CreateReservationBodySchema,
  ListReservationsQuerySchema,
  ReservationGrantSchema,
  ReservationParamsSchema,
  ReservationSchema,
  reservationWire,
} from './reservations.schemas.js';
import type { ReservationsService } from './reservations.service.js';

export const reservationsRoutes: FastifyPluginAsyncZod<{ reservations: ReservationsService }> = async (app, { reservations }) => {
  app.post(
    '/sessions/:id/reservations',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createReservation',
        tags: ['reservations'],
        summary: 'Hold tokens of the budget before a model call',
        description:
          'Granted only when used + reserved + tokens ≤ total, atomically under any concurrency; otherwise 409 BUDGET_EXHAUSTED ' +
          '(with `available` and `reserved`) and nothing is held. The hold counts in token_budget.reserved until it is committed, ' +
          'released or past expires_at.',
        params: SessionParamsSchema,
        headers: IdempotencyHeadersSchema,
        body: CreateReservationBodySchema,
        response: { 201: ReservationGrantSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The hold, and the budget with it counted in reserved' },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const grant = await reservations.reserve(request.auth.projectId, request.params.id, {
        tokens: body.tokens,
        ttlSeconds: body.ttl_seconds,
        source: body.source,
        metadata: body.metadata,
      });
      void reply.code(201).header('location', `/v1/reservations/${grant.reservation.id}`);
      return { ...reservationWire(grant.reservation), token_budget: tokenBudgetWire(grant.total, grant.used, grant.reserved) };
    },
  );

  app.get(
    '/sessions/:id/reservations',
    {
      schema: {
        operationId: 'listReservations',
        tags: ['reservations'],
        summary: "A session's reservations, newest first",
        description: 'Every reservation of the session, `status=` filtering them; `next_cursor` pages on.',
        params: SessionParamsSchema,
        querystring: ListReservationsQuerySchema,
        response: { 200: pageOf(ReservationSchema), ...problems(400, 401, 404) },
        responseDescriptions: { 200: 'A page of reservations' },
      },
    },
    async (request) => {
      const { status, limit, cursor } = request.query;
      const page = await reservations.list(request.auth.projectId, request.params.id, { status, limit, beforeId: decodeCursor(cursor, 'rsv') });
      return pageWire(page, reservationWire);
    },
  );

  app.get(
    '/reservations/:id',
    {
      schema: {
        operationId: 'getReservation',
        tags: ['reservations'],
        summary: 'Get a reservation',
        description: 'Its status is computed: a hold past expires_at reads as expired before housekeeping marks it.',
        params: ReservationParamsSchema,
        response: { 200: ReservationSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The reservation' },
      },
    },
    async (request) => reservationWire(await reservations.get(request.auth.projectId, request.params.id)),
  );

  app.post(
    '/reservations/:id/commit',
    {
      schema: {
        operationId: 'commitReservation',
        tags: ['reservations'],
        summary: 'Record the usage of the model call and end the hold, in one atomic step',
        description:
          'Takes the body of POST /v1/sessions/{id}/usage and records it exactly as that route does (policies, crossings, events); ' +
          'the tokens may exceed the estimate. A commit after expiry is still recorded. A second commit with the same body returns ' +
          'the first answer with `idempotent-replayed: true`; with another body, or of a released hold, 409 RESERVATION_NOT_HELD.',
        params: ReservationParamsSchema,
        body: RecordUsageBodySchema,
        response: { 200: CommitResultSchema, ...problems(400, 401, 404, 409, 413, 415) },
        responseDescriptions: { 200: 'The usage result, as POST …/usage answers it, and the committed reservation' },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const { result, reservation, replayed } = await reservations.commit(
        request.auth.projectId,
        request.params.id,
        usageInputOf(body),
        requestHash(request),
      );
      if (replayed) void reply.header('idempotent-replayed', 'true');
      return { ...usageResultWire(result), reservation: reservationWire(reservation) };
    },
  );

  app.post(
    '/reservations/:id/release',
    {
      schema: {
        operationId: 'releaseReservation',
        tags: ['reservations'],
        summary: 'End a hold without usage (the model call was not made)',
        description: 'Releasing a released or expired reservation changes nothing; a committed one is 409 RESERVATION_NOT_HELD.',
        params: ReservationParamsSchema,
        body: EmptyBodySchema,
        response: { 200: ReservationSchema, ...problems(400, 401, 404, 409, 415) },
        responseDescriptions: { 200: 'The reservation, released' },
      },
    },
    async (request) => reservationWire(await reservations.release(request.auth.projectId, request.params.id)),
  );
};
