import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, encodeNameCursor, pageOf, toOptionalTimestamp, type Page } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import type { McpAnalysisResult, McpServerView } from './context.service.js';
import { MCP_WARNING_ABOVE_TOKENS, RECOMMENDED_SERVERS, DEFAULT_MCP_COSTS, TASK_TYPES } from './mcp-analysis.js';

export const MAX_ANALYZED_SERVERS = 1000;
export const MAX_TOOL_DEFINITION_TOKENS = 1_000_000;

const referenceCosts = [...DEFAULT_MCP_COSTS].map(([name, tokens]) => `${name} ${tokens}`).join(', ');
const recommendations = TASK_TYPES.map((type) => `${type}: [${RECOMMENDED_SERVERS[type].join(', ')}]`).join('; ');

export const TaskTypeSchema = z
  .enum(TASK_TYPES)
  .meta({ id: 'McpTaskType', description: `The servers each task type needs, as in the reference: ${recommendations}` });

/** Every name once: a server listed twice would be counted twice. */
const ServerNamesSchema = z
  .array(NameSchema)
  .max(MAX_ANALYZED_SERVERS)
  .superRefine((names, ctx) => {
    const firstIndex = new Map<string, number>();
    names.forEach((name, index) => {
      const first = firstIndex.get(name);
      if (first === undefined) firstIndex.set(name, index);
      else
        ctx.addIssue({ code: 'custom', path: [index], message: `"${name}" is listed twice (also at index ${first}): list each active server once` });
    });
  });

export const McpAnalysisBodySchema = z
  .strictObject({
    servers: ServerNamesSchema.meta({ description: 'The active MCP servers, each once (`[]`: none)', examples: [['context7', 'playwright']] }),
    task_type: TaskTypeSchema.optional().describe('Omitted: no recommendation (`recommended` is null, nothing to enable or disable)'),
    session_id: NameSchema.optional().meta({
      description: 'A session of this project: the result then says what share of its available tokens the definitions take',
      examples: [EXAMPLE.sessionId],
    }),
  })
  .meta({
    id: 'McpAnalysisRequest',
    examples: [{ servers: ['context7', 'playwright'], task_type: 'code_analysis', session_id: EXAMPLE.sessionId }],
  });

export const McpServerCostSchema = z
  .object({
    name: z.string().meta({ description: 'The server', examples: ['context7'] }),
    tool_definition_tokens: z.int().meta({ description: 'What its tool definitions take in context', examples: [2000] }),
    known: z.boolean().describe('false when neither the project nor the reference gives a cost: then it counts as 0'),
    source: z
      .enum(['project', 'reference', 'unknown'])
      .describe("Where the cost comes from: the project's own figure, the reference default, or nowhere"),
  })
  .meta({ id: 'McpServerCost', description: "One active server's cost" });

export const McpAnalysisSchema = z
  .object({
    servers: z.array(McpServerCostSchema).describe('The active servers, in the order given'),
    total_tokens: z.int().meta({ description: 'What their tool definitions take in context', examples: [5000] }),
    warning: z.string().nullable().describe(`Set when total_tokens is above ${MCP_WARNING_ABOVE_TOKENS}`),
    task_type: TaskTypeSchema.nullable().describe('The task type of the request; null without one'),
    recommended: z.array(z.string()).nullable().describe('The servers the task type needs; null without a task type'),
    to_disable: z.array(z.string()).describe('Active servers the task type does not need'),
    to_enable: z.array(z.string()).describe('Servers the task type needs that are not active'),
    session: z
      .object({
        session_id: z.string().meta({ description: 'The session', examples: [EXAMPLE.sessionId] }),
        available_tokens: z.int().describe("The session's available tokens now (negative when over budget)"),
        share_of_available_percent: z
          .number()
          .nullable()
          .describe('total_tokens / available_tokens * 100, 2 decimals; null when nothing is available'),
        available_after_tokens: z.int().describe('available_tokens - total_tokens: negative when the definitions do not fit'),
      })
      .nullable()
      .describe('Only with session_id; null otherwise'),
  })
  .meta({ id: 'McpAnalysis', description: 'What the tool definitions of the active servers cost, and which servers the task needs' });

export const PutMcpServerBodySchema = z
  .strictObject({
    tool_definition_tokens: z
      .int()
      .min(0)
      .max(MAX_TOOL_DEFINITION_TOKENS)
      .meta({ description: "What the server's tool definitions take in context, in tokens", examples: [2400] }),
  })
  .meta({ id: 'PutMcpServerRequest', examples: [{ tool_definition_tokens: 2400 }] });

export const McpServerParamsSchema = z.strictObject({
  name: NameSchema.meta({ description: 'The MCP server (1–256 characters)', examples: [EXAMPLE.mcpServerName] }),
});

export const McpServerSchema = z
  .object({
    name: z.string().meta({ description: 'The server', examples: [EXAMPLE.mcpServerName] }),
    tool_definition_tokens: z
      .int()
      .meta({ description: "The cost analyses use: the project's figure, else the reference default", examples: [2400] }),
    source: z.enum(['project', 'reference']).describe("Where the cost comes from: the project's own figure or the reference default"),
    reference_tokens: z.int().nullable().describe(`The reference default (${referenceCosts}), or null`),
    created_at: TimestampSchema.nullable().describe('When the project set its own figure; null for a reference default'),
    updated_at: TimestampSchema.nullable().describe('When the project last changed its figure; null for a reference default'),
  })
  .meta({ id: 'McpServer', description: "An MCP server's cost of tool definitions" });

export const ListMcpServersQuerySchema = ListQuerySchema;
export const McpServerPageSchema = pageOf(McpServerSchema);

export function mcpAnalysisWire(result: McpAnalysisResult): z.infer<typeof McpAnalysisSchema> {
  return {
    servers: result.servers.map((server) => ({
      name: server.name,
      tool_definition_tokens: server.toolDefinitionTokens,
      known: server.source !== 'unknown',
      source: server.source,
    })),
    total_tokens: result.totalTokens,
    warning: result.warning,
    task_type: result.taskType,
    recommended: result.recommended,
    to_disable: result.toDisable,
    to_enable: result.toEnable,
    session: result.session
      ? {
          session_id: result.session.sessionId,
          available_tokens: result.session.availableTokens,
          share_of_available_percent: result.session.sharePercent,
          available_after_tokens: result.session.availableAfter,
        }
      : null,
  };
}

export function mcpServerWire(server: McpServerView): z.infer<typeof McpServerSchema> {
  return {
    name: server.name,
    tool_definition_tokens: server.toolDefinitionTokens,
    source: server.source,
    reference_tokens: server.referenceTokens,
    created_at: toOptionalTimestamp(server.createdAt),
    updated_at: toOptionalTimestamp(server.updatedAt),
  };
}

export function mcpServerPageWire(page: Page<McpServerView>): z.infer<typeof McpServerPageSchema> {
  const last = page.items.at(-1);
  return { data: page.items.map(mcpServerWire), next_cursor: page.hasMore && last ? encodeNameCursor(last.name) : null };
}
