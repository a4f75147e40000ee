import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EmptyBodySchema, problems } from '../../lib/wire.js';
import type { LifecycleService } from './lifecycle.service.js';
import { EmergencyRecoverySchema, ForkBodySchema, LineageSchema, MergeBodySchema, emergencyRecoveryWire, lineageWire } from './lifecycle.schemas.js';
import type { LineageService } from './lineage.service.js';
import { SessionParamsSchema, SessionSchema, etagOf, sessionWire } from '../sessions/sessions.schemas.js';

export const lifecycleRoutes: FastifyPluginAsyncZod<{ lifecycle: LifecycleService; lineage: LineageService }> = async (
  app,
  { lifecycle, lineage },
) => {
  app.post(
    '/sessions/:id/resume',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'resumeSession',
        tags: ['lifecycle'],
        summary: 'Resume a session',
        description:
          'Status `resumed`, `last_resumed_at` set. With fewer than 30,000 tokens available the non-critical context is deferred first. ' +
          'A session in `emergency_recovery` must be recovered or restored to a checkpoint instead (409 `INVALID_TRANSITION`).',
        params: SessionParamsSchema,
        body: EmptyBodySchema,
        response: { 200: SessionSchema, ...problems(400, 401, 404, 409) },
        responseDescriptions: { 200: 'The resumed session; `ETag` is its new version' },
      },
    },
    async (request, reply) => {
      const session = await lifecycle.resume(request.auth.projectId, request.params.id);
      void reply.header('etag', etagOf(session));
      return sessionWire(session);
    },
  );

  app.post(
    '/sessions/:id/archive',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'archiveSession',
        tags: ['lifecycle'],
        summary: 'Archive a session',
        description: 'An archived session keeps its data but takes no more usage, checkpoints or changes. Emits `session.archived`.',
        params: SessionParamsSchema,
        body: EmptyBodySchema,
        response: { 200: SessionSchema, ...problems(400, 401, 404, 409) },
        responseDescriptions: { 200: 'The archived session' },
      },
    },
    async (request, reply) => {
      const session = await lifecycle.archive(request.auth.projectId, request.params.id);
      void reply.header('etag', etagOf(session));
      return sessionWire(session);
    },
  );

  app.post(
    '/sessions/:id/fork',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'forkSession',
        tags: ['lifecycle'],
        summary: 'Fork a session from a checkpoint',
        description:
          "The child starts from the named checkpoint (default the latest; without one, the parent's current context) with a fresh budget. Emits `session.created`.",
        params: SessionParamsSchema,
        body: ForkBodySchema,
        response: { 201: SessionSchema, ...problems(400, 401, 404, 409, 422) },
        responseDescriptions: { 201: 'The fork; `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const session = await lifecycle.fork(request.auth.projectId, request.params.id, {
        checkpointId: body.checkpoint_id,
        taskId: body.task_id,
        total: body.token_budget?.total,
      });
      void reply.code(201).header('location', `/v1/sessions/${session.id}`).header('etag', etagOf(session));
      return sessionWire(session);
    },
  );

  app.post(
    '/sessions/:id/merge',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'mergeFork',
        tags: ['lifecycle'],
        summary: "Merge a fork's context back into this session",
        description:
          'Only a fork of this session merges into it (else 422 `NOT_A_FORK`). The fork is archived; merging it again is 409 `FORK_ALREADY_MERGED`. ' +
          'A merged context larger than CHECKPOINT_MAX_BYTES is 413 `CONTEXT_TOO_LARGE`, and nothing is merged.',
        params: SessionParamsSchema,
        body: MergeBodySchema,
        response: { 200: SessionSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 200: "This session with the fork's context merged in; `ETag` is its new version" },
      },
    },
    async (request, reply) => {
      const { fork_session_id, strategy } = request.body;
      const session = await lifecycle.merge(request.auth.projectId, request.params.id, fork_session_id, strategy);
      void reply.header('etag', etagOf(session));
      return sessionWire(session);
    },
  );

  app.post(
    '/sessions/:id/emergency-recovery',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'recoverSession',
        tags: ['lifecycle'],
        summary: 'Recover a session into a fresh one',
        description:
          'In one transaction: a final checkpoint (phase `emergency_recovery`), the original archived, and a new session with a fresh budget, ' +
          "the same task and the checkpoint's context. A session is recovered once: later attempts get 409 `SESSION_ALREADY_RECOVERED`.",
        params: SessionParamsSchema,
        body: EmptyBodySchema,
        response: { 201: EmergencyRecoverySchema, ...problems(400, 401, 404, 409) },
        responseDescriptions: { 201: 'The final checkpoint and the new session; `Location` is the new session' },
      },
    },
    async (request, reply) => {
      const recovery = await lifecycle.emergencyRecover(request.auth.projectId, request.params.id);
      void reply.code(201).header('location', `/v1/sessions/${recovery.newSession.id}`);
      return emergencyRecoveryWire(recovery);
    },
  );

  app.get(
    '/sessions/:id/lineage',
    {
      schema: {
        operationId: 'getLineage',
        tags: ['lifecycle'],
        summary: 'Ancestors and descendants through forks and recoveries',
        description: 'The sessions this one was forked or recovered from, nearest first, and those forked or recovered from it, by generation.',
        params: SessionParamsSchema,
        response: { 200: LineageSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The lineage' },
      },
    },
    async (request) => lineageWire(await lineage.of(request.auth.projectId, request.params.id)),
  );
};
