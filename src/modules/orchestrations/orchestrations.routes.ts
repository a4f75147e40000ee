import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EmptyBodySchema, decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import { ForkBodySchema } from '../lifecycle/lifecycle.schemas.js';
import { SessionSchema, etagOf, sessionWire } from '../sessions/sessions.schemas.js';
import {
  CreateOrchestrationBodySchema,
  ListOrchestrationsQuerySchema,
  OrchestrationParamsSchema,
  OrchestrationSchema,
  SpecParamsSchema,
  orchestrationWire,
} from './orchestrations.schemas.js';
import type { OrchestrationsService } from './orchestrations.service.js';

const FINISH_RULES =
  'Only a running spec can be completed or failed, once (else 409 `SPEC_NOT_RUNNING`). In the same transaction the specs that became ready ' +
  'start, up to max_parallel_sessions, each with a new session (`session.created`). When no spec is left pending or running the orchestration ' +
  'ends, `completed` if every spec completed, else `failed`, and emits `orchestration.completed`.';

export const orchestrationsRoutes: FastifyPluginAsyncZod<{ orchestrations: OrchestrationsService }> = async (app, { orchestrations }) => {
  app.post(
    '/orchestrations',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createOrchestration',
        tags: ['orchestrations'],
        summary: 'Run a dependency graph of specs as parallel sessions',
        description:
          'Stores the graph and creates a session for every spec whose dependencies are complete (at first, those without any), ' +
          'up to max_parallel_sessions, in request order: task_id = spec_id, context `{"spec_id": …}`, the default model and budget, ' +
          'metadata `{"orchestration_id": …}`. An unknown dependency, a duplicate spec id, a self-dependency or a cycle is 422 ' +
          '`ORCHESTRATION_INVALID` naming every problem in `errors` (a cycle spelled out, `a → b → a`, each spec depending on the next); ' +
          'then nothing is stored. `ready` lists the specs whose dependencies are complete and that have not finished: ' +
          'those running and those waiting for a free slot.',
        body: CreateOrchestrationBodySchema,
        response: { 201: OrchestrationSchema, ...problems(400, 401, 413, 415, 422) },
        responseDescriptions: { 201: 'The orchestration, its first specs running; `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const orchestration = await orchestrations.create(request.auth.projectId, {
        specs: body.specs.map((spec) => ({ specId: spec.spec_id, dependsOn: spec.depends_on })),
        maxParallelSessions: body.max_parallel_sessions,
      });
      void reply.code(201).header('location', `/v1/orchestrations/${orchestration.id}`);
      return orchestrationWire(orchestration);
    },
  );

  app.get(
    '/orchestrations',
    {
      schema: {
        operationId: 'listOrchestrations',
        tags: ['orchestrations'],
        summary: 'List orchestrations, newest first',
        description: 'The orchestrations of the project, filtered by status; `next_cursor` pages on.',
        querystring: ListOrchestrationsQuerySchema,
        response: { 200: pageOf(OrchestrationSchema), ...problems(400, 401) },
        responseDescriptions: { 200: 'A page of orchestrations' },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      const page = await orchestrations.list(request.auth.projectId, { status }, limit, decodeCursor(cursor, 'orch'));
      return pageWire(page, orchestrationWire);
    },
  );

  app.get(
    '/orchestrations/:id',
    {
      schema: {
        operationId: 'getOrchestration',
        tags: ['orchestrations'],
        summary: 'Get an orchestration: its specs, their sessions and explorations',
        description: 'Where each spec stands, the session it runs in, which specs are ready, and the forks made to explore.',
        params: OrchestrationParamsSchema,
        response: { 200: OrchestrationSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The orchestration' },
      },
    },
    async (request) => orchestrationWire(await orchestrations.get(request.auth.projectId, request.params.id)),
  );

  app.post(
    '/orchestrations/:id/specs/:spec_id/complete',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'completeSpec',
        tags: ['orchestrations'],
        summary: 'Report a running spec complete and start what became ready',
        description: FINISH_RULES,
        params: SpecParamsSchema,
        body: EmptyBodySchema,
        response: { 200: OrchestrationSchema, ...problems(400, 401, 404, 409, 415, 422) },
        responseDescriptions: { 200: 'The orchestration after the spec completed' },
      },
    },
    async (request) => {
      const { id, spec_id } = request.params;
      return orchestrationWire(await orchestrations.complete(request.auth.projectId, id, spec_id));
    },
  );

  app.post(
    '/orchestrations/:id/specs/:spec_id/fail',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'failSpec',
        tags: ['orchestrations'],
        summary: 'Report a running spec failed',
        description:
          'The specs that depend on it, directly or through others, become `blocked`: they can never start. Independent specs go on ' +
          'running and starting; the orchestration ends `failed` once none is left pending or running. ' +
          FINISH_RULES,
        params: SpecParamsSchema,
        body: EmptyBodySchema,
        response: { 200: OrchestrationSchema, ...problems(400, 401, 404, 409, 415, 422) },
        responseDescriptions: { 200: 'The orchestration after the spec failed' },
      },
    },
    async (request) => {
      const { id, spec_id } = request.params;
      return orchestrationWire(await orchestrations.fail(request.auth.projectId, id, spec_id));
    },
  );

  app.post(
    '/orchestrations/:id/specs/:spec_id/explore',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'exploreSpec',
        tags: ['orchestrations'],
        summary: "Fork a spec's session to explore an alternative",
        description:
          "Forks the spec's session as `POST /v1/sessions/{id}/fork` does (same body and defaults) and records the fork in the " +
          "orchestration's `explorations`. The spec must have a session (running, completed or failed; else 409 `SPEC_NOT_RUNNING`). " +
          'Explorations do not count against max_parallel_sessions. Emits `session.created`.',
        params: SpecParamsSchema,
        body: ForkBodySchema,
        response: { 201: SessionSchema, ...problems(400, 401, 404, 409, 413, 415, 422) },
        responseDescriptions: { 201: 'The fork; `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const { id, spec_id } = request.params;
      const body = request.body;
      const session = await orchestrations.explore(request.auth.projectId, id, spec_id, {
        checkpointId: body.checkpoint_id,
        taskId: body.task_id,
        total: body.token_budget?.total,
      });
      void reply.code(201).header('location', `/v1/sessions/${session.id}`).header('etag', etagOf(session));
      return sessionWire(session);
    },
  );
};
