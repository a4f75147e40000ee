import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EmptyBodySchema, decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import { SessionParamsSchema, SessionSchema, etagOf, sessionWire } from '../sessions/sessions.schemas.js';
import {
  CheckpointParamsSchema,
  CheckpointSchema,
  CreateCheckpointBatchBodySchema,
  CreateCheckpointBodySchema,
  CreatedCheckpointBatchSchema,
  CreateCheckpointHeadersSchema,
  CreatedCheckpointSchema,
  ListCheckpointsQuerySchema,
  checkpointWire,
  createdCheckpointWire,
  prefersMinimalReturn,
} from './checkpoints.schemas.js';
import type { CheckpointsService } from './checkpoints.service.js';

export const checkpointsRoutes: FastifyPluginAsyncZod<{ checkpoints: CheckpointsService }> = async (app, { checkpoints }) => {
  app.post(
    '/sessions/:id/checkpoints',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createCheckpoint',
        tags: ['checkpoints'],
        summary: "Checkpoint a session's context",
        description:
          'Stores the snapshot (or the current context), its SHA-256 and the token budget of this moment. Emits `checkpoint.created`. ' +
          'With `Prefer: return=minimal` the answer leaves out the snapshot.',
        params: SessionParamsSchema,
        headers: CreateCheckpointHeadersSchema,
        body: CreateCheckpointBodySchema,
        response: { 201: CreatedCheckpointSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The new checkpoint (without its snapshot under `Prefer: return=minimal`); `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const checkpoint = await checkpoints.create(request.auth.projectId, request.params.id, {
        phase: request.body.phase,
        contextSnapshot: request.body.context_snapshot,
      });
      const minimal = prefersMinimalReturn(request.headers.prefer);
      void reply.code(201).header('location', `/v1/checkpoints/${checkpoint.id}`);
      if (minimal) void reply.header('preference-applied', 'return=minimal');
      return createdCheckpointWire(checkpoint, minimal);
    },
  );

  app.post(
    '/sessions/:id/checkpoints/batch',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createCheckpointBatch',
        tags: ['checkpoints'],
        summary: 'Checkpoint several snapshots at once',
        description:
          'Stores the snapshots as checkpoints of the session in the order given (their ids ascend in that order), all or none, ' +
          'each with its SHA-256, the token budget of this moment and its own `checkpoint.created`: what as many creates in a row ' +
          'would store, in one request. With `Prefer: return=minimal` the answer leaves out the snapshots.',
        params: SessionParamsSchema,
        headers: CreateCheckpointHeadersSchema,
        body: CreateCheckpointBatchBodySchema,
        response: { 201: CreatedCheckpointBatchSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The new checkpoints, in the order sent' },
      },
    },
    async (request, reply) => {
      const created = await checkpoints.createBatch(
        request.auth.projectId,
        request.params.id,
        request.body.checkpoints.map(({ phase, context_snapshot }) => ({ phase, contextSnapshot: context_snapshot })),
      );
      const minimal = prefersMinimalReturn(request.headers.prefer);
      void reply.code(201);
      if (minimal) void reply.header('preference-applied', 'return=minimal');
      return { data: created.map((checkpoint) => createdCheckpointWire(checkpoint, minimal)) };
    },
  );

  app.get(
    '/sessions/:id/checkpoints',
    {
      schema: {
        operationId: 'listCheckpoints',
        tags: ['checkpoints'],
        summary: "List a session's checkpoints, newest first",
        description: 'With `phase`, only the checkpoints of exactly that phase; the cursor pages through those.',
        params: SessionParamsSchema,
        querystring: ListCheckpointsQuerySchema,
        response: { 200: pageOf(CheckpointSchema), ...problems(400, 401, 404) },
        responseDescriptions: { 200: 'A page of checkpoints, snapshots included' },
      },
    },
    async (request) => {
      const { limit, cursor, phase } = request.query;
      const page = await checkpoints.list(request.auth.projectId, request.params.id, limit, { beforeId: decodeCursor(cursor, 'ckpt'), phase });
      return pageWire(page, checkpointWire);
    },
  );

  app.get(
    '/checkpoints/:id',
    {
      schema: {
        operationId: 'getCheckpoint',
        tags: ['checkpoints'],
        summary: 'Get a checkpoint',
        description: 'The checkpoint with its snapshot, SHA-256 and the token budget of the moment it was taken.',
        params: CheckpointParamsSchema,
        response: { 200: CheckpointSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The checkpoint' },
      },
    },
    async (request) => checkpointWire(await checkpoints.get(request.auth.projectId, request.params.id)),
  );

  app.post(
    '/checkpoints/:id/restore',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'restoreCheckpoint',
        tags: ['checkpoints'],
        summary: "Restore a session's context from a checkpoint",
        description:
          'Verifies the snapshot against its SHA-256 (409 `CHECKPOINT_CORRUPTED` when it no longer matches), sets it as the context, ' +
          'the status `active` and `last_recovery_at`. With fewer than 30,000 tokens available the non-critical keys are deferred.',
        params: CheckpointParamsSchema,
        body: EmptyBodySchema,
        response: { 200: SessionSchema, ...problems(400, 401, 404, 409) },
        responseDescriptions: { 200: 'The restored session; `ETag` is its new version' },
      },
    },
    async (request, reply) => {
      const session = await checkpoints.restore(request.auth.projectId, request.params.id);
      void reply.header('etag', etagOf(session));
      return sessionWire(session);
    },
  );
};
