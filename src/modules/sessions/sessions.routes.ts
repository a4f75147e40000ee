import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import {
  CreateSessionBodySchema,
  IfMatchHeadersSchema,
  ListSessionsQuerySchema,
  PatchSessionBodySchema,
  SessionParamsSchema,
  SessionSchema,
  etagOf,
  sessionWire,
} from './sessions.schemas.js';
import type { SessionsService } from './sessions.service.js';
import { canonicalPrice } from '../../domain/prices.js';

/** If-Match: `*` matches any version; a tag this service never issued matches none (-1). */
function expectedVersion(ifMatch: string | undefined): number | undefined {
  if (ifMatch === undefined || ifMatch.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d{1,9})"\s*$/.exec(ifMatch);
  return match ? Number(match[1]) : -1;
}

export const sessionsRoutes: FastifyPluginAsyncZod<{ sessions: SessionsService }> = async (app, { sessions }) => {
  app.post(
    '/sessions',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createSession',
        tags: ['sessions'],
        summary: 'Create a session with a token budget',
        description:
          'The budget defaults to the context window of the model. `external_id` gives the session your own name for it ' +
          '(unique in the project; OTLP telemetry that names it counts on this session). Emits `session.created`.',
        body: CreateSessionBodySchema,
        response: { 201: SessionSchema, ...problems(400, 401, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The new session; `Location` is its URL and `ETag` its version' },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const session = await sessions.create(request.auth.projectId, {
        taskId: body.task_id,
        externalId: body.external_id,
        model: body.model,
        total: body.token_budget?.total,
        context: body.context,
        thresholds: body.thresholds,
        nonCriticalKeys: body.non_critical_keys,
        metadata: body.metadata,
        countMode: body.count,
        costLimitUsd: body.cost_limit_usd === undefined ? undefined : canonicalPrice(body.cost_limit_usd)!,
        costThresholds: body.cost_thresholds,
      });
      void reply.code(201).header('location', `/v1/sessions/${session.id}`).header('etag', etagOf(session));
      return sessionWire(session);
    },
  );

  app.get(
    '/sessions',
    {
      schema: {
        operationId: 'listSessions',
        tags: ['sessions'],
        summary: 'List sessions, newest first',
        description: 'The sessions of the project, filtered by status, task, parent or external id; `next_cursor` pages on.',
        querystring: ListSessionsQuerySchema,
        response: { 200: pageOf(SessionSchema), ...problems(400, 401) },
        responseDescriptions: { 200: 'A page of sessions' },
      },
    },
    async (request) => {
      const { limit, cursor, status, task_id, parent_session_id, external_id } = request.query;
      const page = await sessions.list(
        request.auth.projectId,
        { status, taskId: task_id, parentSessionId: parent_session_id, externalId: external_id },
        limit,
        decodeCursor(cursor, 'sess'),
      );
      return pageWire(page, sessionWire);
    },
  );

  app.get(
    '/sessions/:id',
    {
      schema: {
        operationId: 'getSession',
        tags: ['sessions'],
        summary: 'Get a session (with its ETag)',
        description: 'The session with its budget, level, context and lineage ids. `ETag` is its version, for a conditional PATCH.',
        params: SessionParamsSchema,
        response: { 200: SessionSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The session; `ETag` is its version' },
      },
    },
    async (request, reply) => {
      const session = await sessions.get(request.auth.projectId, request.params.id);
      void reply.header('etag', etagOf(session));
      return sessionWire(session);
    },
  );

  app.patch(
    '/sessions/:id',
    {
      schema: {
        operationId: 'updateSession',
        tags: ['sessions'],
        summary: 'Change a session: context and metadata as JSON merge patch, budget, thresholds',
        description: 'Send `If-Match` with the ETag from GET to make the change conditional (412 when it moved on).',
        params: SessionParamsSchema,
        headers: IfMatchHeadersSchema,
        body: PatchSessionBodySchema,
        response: { 200: SessionSchema, ...problems(400, 401, 404, 409, 412, 413, 415) },
        responseDescriptions: { 200: 'The changed session; `ETag` is its new version' },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const session = await sessions.patch(
        request.auth.projectId,
        request.params.id,
        {
          context: body.context,
          metadata: body.metadata,
          total: body.token_budget?.total,
          thresholds: body.thresholds,
          nonCriticalKeys: body.non_critical_keys,
          countMode: body.count,
          costLimitUsd:
            body.cost_limit_usd === undefined || body.cost_limit_usd === null ? body.cost_limit_usd : canonicalPrice(body.cost_limit_usd)!,
          costThresholds: body.cost_thresholds,
        },
        expectedVersion(request.headers['if-match']),
      );
      void reply.header('etag', etagOf(session));
      return sessionWire(session);
    },
  );
};
