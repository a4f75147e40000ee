import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { decodeNameCursor, problems } from '../../lib/wire.js';
import {
  ListMcpServersQuerySchema,
  McpAnalysisBodySchema,
  McpAnalysisSchema,
  McpServerPageSchema,
  McpServerParamsSchema,
  McpServerSchema,
  PutMcpServerBodySchema,
  mcpAnalysisWire,
  mcpServerPageWire,
  mcpServerWire,
} from './context.schemas.js';
import type { ContextService } from './context.service.js';
import { MCP_WARNING_ABOVE_TOKENS, SESSION_STATE_MCP_TOKENS } from './mcp-analysis.js';

export const contextRoutes: FastifyPluginAsyncZod<{ context: ContextService }> = async (app, { context }) => {
  app.post(
    '/context/mcp-analysis',
    {
      schema: {
        operationId: 'analyzeMcpServers',
        tags: ['context'],
        summary: "What the active MCP servers' tool definitions cost, and which ones a task needs",
        description:
          "Each server costs the project's figure (`PUT /v1/context/mcp-servers/{name}`), else the reference default " +
          `(context7 2,000, playwright 3,000, this service's own session-state ${SESSION_STATE_MCP_TOKENS}), else 0 with \`known: false\`. ` +
          `Above ${MCP_WARNING_ABOVE_TOKENS} tokens in all, \`warning\` says so. With a \`task_type\`, the reference's recommendation ` +
          "and what to disable and enable to follow it; with a `session_id`, the share of that session's available tokens " +
          'the definitions would take. Reads only: nothing is stored.',
        body: McpAnalysisBodySchema,
        response: { 200: McpAnalysisSchema, ...problems(400, 401, 404, 413, 415) },
        responseDescriptions: { 200: 'The analysis' },
      },
    },
    async (request) =>
      mcpAnalysisWire(
        await context.analyze(request.auth.projectId, {
          servers: request.body.servers,
          taskType: request.body.task_type,
          sessionId: request.body.session_id,
        }),
      ),
  );

  app.get(
    '/context/mcp-servers',
    {
      schema: {
        operationId: 'listMcpServers',
        tags: ['context'],
        summary: "MCP server costs: the reference defaults merged with the project's own, by name",
        description: "Every server with a cost: the reference defaults, replaced or joined by the project's own figures; `next_cursor` pages on.",
        querystring: ListMcpServersQuerySchema,
        response: { 200: McpServerPageSchema, ...problems(400, 401) },
        responseDescriptions: { 200: 'A page of MCP servers, by name' },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return mcpServerPageWire(await context.listServers(request.auth.projectId, limit, decodeNameCursor(cursor)));
    },
  );

  app.put(
    '/context/mcp-servers/:name',
    {
      schema: {
        operationId: 'putMcpServer',
        tags: ['context'],
        summary: "Set the project's cost for an MCP server's tool definitions",
        description:
          'Overrides the reference default for this project (a reference server too). 201 when the project had no figure for it, 200 when replaced.',
        params: McpServerParamsSchema,
        body: PutMcpServerBodySchema,
        response: { 200: McpServerSchema, 201: McpServerSchema, ...problems(400, 401, 413, 415) },
        responseDescriptions: { 200: 'Replaced: the server with the new figure', 201: 'Set: the server with the project figure' },
      },
    },
    async (request, reply) => {
      const { server, created } = await context.putServer(request.auth.projectId, request.params.name, request.body.tool_definition_tokens);
      return reply.code(created ? 201 : 200).send(mcpServerWire(server));
    },
  );

  app.delete(
    '/context/mcp-servers/:name',
    {
      schema: {
        operationId: 'deleteMcpServer',
        tags: ['context'],
        summary: "Remove the project's cost for an MCP server",
        description: 'A reference server then costs its default again; any other server 0. 404 when the project set no figure for it.',
        params: McpServerParamsSchema,
        response: { 204: z.null().describe('Removed'), ...problems(400, 401, 404) },
      },
    },
    async (request, reply) => {
      await context.removeServer(request.auth.projectId, request.params.name);
      return reply.code(204).send(null);
    },
  );
};
