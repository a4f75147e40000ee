import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EmptyBodySchema, decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import {
  CreateHandoffBodySchema,
  HandoffParamsSchema,
  HandoffSchema,
  ListHandoffsQuerySchema,
  RejectHandoffBodySchema,
  handoffWire,
} from './handoffs.schemas.js';
import type { HandoffsService } from './handoffs.service.js';

export const handoffsRoutes: FastifyPluginAsyncZod<{ handoffs: HandoffsService }> = async (app, { handoffs }) => {
  app.post(
    '/handoffs',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createHandoff',
        tags: ['handoffs'],
        summary: 'Hand a session over from one agent to another',
        description:
          'Builds the handoff package: the session context, the task context, a snapshot of the context and recovery info. ' +
          'With fewer than 30,000 available tokens the non-critical context is deferred first. ' +
          'A handoff needs more than 30,000 available tokens, a live session and a receiver that accepts the sender, and, ' +
          'once the project has registered agents, both agents registered (`known_agents` then lists them); ' +
          'otherwise 422 `HANDOFF_INVALID` lists every failed check in `errors` and nothing is stored. Emits `handoff.created`.',
        body: CreateHandoffBodySchema,
        response: { 201: HandoffSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The handoff package; `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const handoff = await handoffs.create(request.auth.projectId, {
        fromAgent: body.from_agent,
        toAgent: body.to_agent,
        sessionId: body.session_id,
        taskContext: body.task_context,
      });
      void reply.code(201).header('location', `/v1/handoffs/${handoff.id}`);
      return handoffWire(handoff);
    },
  );

  app.get(
    '/handoffs',
    {
      schema: {
        operationId: 'listHandoffs',
        tags: ['handoffs'],
        summary: 'List handoffs, newest first',
        description: 'Filter by session, status or agents, e.g. `?to_agent=tdd-implementer&status=pending` for what awaits an agent.',
        querystring: ListHandoffsQuerySchema,
        response: { 200: pageOf(HandoffSchema), ...problems(400, 401) },
        responseDescriptions: { 200: 'A page of handoffs' },
      },
    },
    async (request) => {
      const { limit, cursor, session_id, status, from_agent, to_agent } = request.query;
      const page = await handoffs.list(
        request.auth.projectId,
        { sessionId: session_id, status, fromAgent: from_agent, toAgent: to_agent },
        limit,
        decodeCursor(cursor, 'hoff'),
      );
      return pageWire(page, handoffWire);
    },
  );

  app.get(
    '/handoffs/:id',
    {
      schema: {
        operationId: 'getHandoff',
        tags: ['handoffs'],
        summary: 'Get a handoff package',
        description: 'The package as it was built, and whether it was accepted or rejected.',
        params: HandoffParamsSchema,
        response: { 200: HandoffSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The handoff package' },
      },
    },
    async (request) => handoffWire(await handoffs.get(request.auth.projectId, request.params.id)),
  );

  app.post(
    '/handoffs/:id/accept',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'acceptHandoff',
        tags: ['handoffs'],
        summary: 'Accept a pending handoff',
        description: 'Only a pending handoff can be decided, once: otherwise 409 `HANDOFF_ALREADY_DECIDED`. Emits `handoff.accepted`.',
        params: HandoffParamsSchema,
        body: EmptyBodySchema,
        response: { 200: HandoffSchema, ...problems(400, 401, 404, 409, 415, 422) },
        responseDescriptions: { 200: 'The accepted handoff' },
      },
    },
    async (request) => handoffWire(await handoffs.accept(request.auth.projectId, request.params.id)),
  );

  app.post(
    '/handoffs/:id/reject',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'rejectHandoff',
        tags: ['handoffs'],
        summary: 'Reject a pending handoff, with a reason',
        description: 'Only a pending handoff can be decided, once: otherwise 409 `HANDOFF_ALREADY_DECIDED`. Emits `handoff.rejected`.',
        params: HandoffParamsSchema,
        body: RejectHandoffBodySchema,
        response: { 200: HandoffSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 200: 'The rejected handoff, with its reason' },
      },
    },
    async (request) => handoffWire(await handoffs.reject(request.auth.projectId, request.params.id, request.body.reason)),
  );
};
