import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeNameCursor, problems } from '../../lib/wire.js';
import {
  AgentPageSchema,
  AgentParamsSchema,
  AgentSchema,
  ListAgentsQuerySchema,
  PutAgentBodySchema,
  agentPageWire,
  agentWire,
} from './agents.schemas.js';
import type { AgentsService } from './agents.service.js';

export const agentsRoutes: FastifyPluginAsyncZod<{ agents: AgentsService }> = async (app, { agents }) => {
  app.put(
    '/agents/:name',
    {
      schema: {
        operationId: 'putAgent',
        tags: ['agents'],
        summary: 'Register an agent, or replace its registration',
        description:
          'Says from whom the agent accepts handoffs: only from the agents it lists (`["*"]`: anyone). Once a project has ' +
          'registered an agent, both agents of a handoff must be registered (422 `HANDOFF_INVALID` naming the registered ones); ' +
          'a project that registered none hands off between any names. 201 when the agent was new, 200 when replaced.',
        params: AgentParamsSchema,
        body: PutAgentBodySchema,
        response: { 200: AgentSchema, 201: AgentSchema, ...problems(400, 401, 413, 415) },
        responseDescriptions: { 200: 'Replaced: the registration', 201: 'Registered: the new registration; `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const { agent, created } = await agents.put(request.auth.projectId, request.params.name, {
        acceptsHandoffsFrom: request.body.accepts_handoffs_from,
        description: request.body.description,
      });
      if (created) void reply.code(201).header('location', `/v1/agents/${encodeURIComponent(agent.name)}`);
      return reply.send(agentWire(agent));
    },
  );

  app.get(
    '/agents',
    {
      schema: {
        operationId: 'listAgents',
        tags: ['agents'],
        summary: 'List registered agents, by name',
        description: 'The agents of the project and from whom each accepts handoffs; `next_cursor` pages on.',
        querystring: ListAgentsQuerySchema,
        response: { 200: AgentPageSchema, ...problems(400, 401) },
        responseDescriptions: { 200: 'A page of agents, by name' },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return agentPageWire(await agents.list(request.auth.projectId, limit, decodeNameCursor(cursor)));
    },
  );

  app.get(
    '/agents/:name',
    {
      schema: {
        operationId: 'getAgent',
        tags: ['agents'],
        summary: "Get an agent's registration",
        description: 'From whom the agent accepts handoffs. 404 for an agent never registered (it accepts handoffs from anyone).',
        params: AgentParamsSchema,
        response: { 200: AgentSchema, ...problems(400, 401, 404) },
        responseDescriptions: { 200: 'The registration' },
      },
    },
    async (request) => agentWire(await agents.get(request.auth.projectId, request.params.name)),
  );

  app.delete(
    '/agents/:name',
    {
      schema: {
        operationId: 'deleteAgent',
        tags: ['agents'],
        summary: "Remove an agent's registration",
        description:
          'Handoffs to or from the agent are then refused while the project has other registrations; with none left, any names may hand off again.',
        params: AgentParamsSchema,
        response: { 204: z.null().describe('Removed'), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await agents.remove(request.auth.projectId, request.params.name);
      return reply.code(204).send(null);
    },
  );
};
