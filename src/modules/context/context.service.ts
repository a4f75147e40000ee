// Context analysis: what the active MCP servers' tool definitions cost, which ones a task needs,
// and what share of a session's remaining budget they would take; and the project's own costs.
import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import { takePage, type Page } from '../../lib/wire.js';
import { tokenBudget } from '../../domain/budget.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { ContextRepository } from './context.repository.js';
import { DEFAULT_MCP_COSTS, analyzeMcpServers, shareOfAvailable, type BudgetShare, type McpAnalysis, type TaskType } from './mcp-analysis.js';

export interface McpAnalysisRequest {
  /** The active servers, each once (the schema refuses duplicates). */
  servers: string[];
  taskType?: TaskType;
  /** When given, the analysis also says what share of this session's available tokens the definitions take. */
  sessionId?: string;
}

export interface McpAnalysisResult extends McpAnalysis {
  session: (BudgetShare & { sessionId: string }) | null;
}

/** An MCP server's cost for a project: its own figure when set, else the reference default. */
export interface McpServerView {
  name: string;
  toolDefinitionTokens: number;
  source: 'project' | 'reference';
  /** The reference default for this server, or null when the reference does not know it. */
  referenceTokens: number | null;
  /** When the project set its own figure; null for a reference default it never overrode. */
  createdAt: Date | null;
  updatedAt: Date | null;
}

export interface ContextServiceDeps {
  context: ContextRepository;
  sessions: Pick<SessionsRepository, 'find'>;
  clock: Clock;
}

const referenceTokensOf = (name: string): number | null => DEFAULT_MCP_COSTS.get(name) ?? null;

export function createContextService({ context, sessions, clock }: ContextServiceDeps) {
  return {
    async analyze(projectId: string, request: McpAnalysisRequest): Promise<McpAnalysisResult> {
      const [projectCosts, session] = await Promise.all([
        context.costsOf(projectId, request.servers),
        request.sessionId === undefined ? null : sessions.find(projectId, request.sessionId),
      ]);
      if (request.sessionId !== undefined && !session) throw notFound('session', request.sessionId);
      const analysis = analyzeMcpServers({ servers: request.servers, taskType: request.taskType, projectCosts });
      return {
        ...analysis,
        session: session
          ? { sessionId: session.id, ...shareOfAvailable(analysis.totalTokens, tokenBudget(session.total, session.used, session.reserved).available) }
          : null,
      };
    },

    /** Sets the project's cost for `name` (a reference server too: the project's figure wins). */
    async putServer(projectId: string, name: string, toolDefinitionTokens: number): Promise<{ server: McpServerView; created: boolean }> {
      const { cost, created } = await context.put(projectId, name, toolDefinitionTokens, clock.now());
      return {
        server: {
          name: cost.name,
          toolDefinitionTokens: cost.toolDefinitionTokens,
          source: 'project',
          referenceTokens: referenceTokensOf(cost.name),
          createdAt: cost.createdAt,
          updatedAt: cost.updatedAt,
        },
        created,
      };
    },

    /** The reference defaults merged with the project's own costs, by name. */
    async listServers(projectId: string, limit: number, afterName?: string): Promise<Page<McpServerView>> {
      const rows = await context.listMerged(projectId, DEFAULT_MCP_COSTS, limit + 1, afterName);
      const servers = rows.map((row): McpServerView => ({
        name: row.name,
        toolDefinitionTokens: row.projectTokens ?? row.referenceTokens ?? 0,
        source: row.projectTokens !== null ? 'project' : 'reference',
        referenceTokens: row.referenceTokens,
        createdAt: row.createdAt,
        updatedAt: row.updatedAt,
      }));
      return takePage(servers, limit);
    },

    /** Removes the project's figure: a reference server costs its default again, any other 0. */
    async removeServer(projectId: string, name: string): Promise<void> {
      if (!(await context.delete(projectId, name))) throw notFound('MCP server cost', name);
    },
  };
}

export type ContextService = ReturnType<typeof createContextService>;
