/**
 * What MCP servers' tool definitions cost in context, and which servers a task needs (reference,
 * section 2 "MCP Server Context Optimization"). Pure functions: the service supplies the project's
 * own costs, which override the reference ones.
 */
import { tokenBudget } from '../../domain/budget.js';

/** This service's own MCP server (/mcp), by the name `claude mcp add` gives it in the README. */
export const SESSION_STATE_MCP_SERVER = 'session-state';
/**
 * What its whole tools/list costs by definitionTokens (below); test/api/mcp.test.ts measures the
 * live list and holds this figure (and the README's) to it, and it must stay under 2,000.
 */
export const SESSION_STATE_MCP_TOKENS = 1999;

/** The reference's typical tool-definition costs, in tokens. A Map, so a name like "constructor" is just a name. */
export const REFERENCE_MCP_COSTS: ReadonlyMap<string, number> = new Map([
  ['context7', 2_000],
  ['playwright', 3_000],
]);

/** The costs the analysis knows without the project's own: the reference's, and this service's server's. */
export const DEFAULT_MCP_COSTS: ReadonlyMap<string, number> = new Map([...REFERENCE_MCP_COSTS, [SESSION_STATE_MCP_SERVER, SESSION_STATE_MCP_TOKENS]]);

/** The reference warns when the active servers' definitions take more than this many tokens. */
export const MCP_WARNING_ABOVE_TOKENS = 5_000;
export const MCP_WARNING = 'MCP servers consuming >5K tokens: consider disabling unused servers before critical tasks';

export const TASK_TYPES = ['code_analysis', 'web_interaction', 'general'] as const;
export type TaskType = (typeof TASK_TYPES)[number];

/** The servers each task type needs, as in the reference. */
export const RECOMMENDED_SERVERS: Readonly<Record<TaskType, readonly string[]>> = Object.freeze({
  code_analysis: Object.freeze(['context7']),
  web_interaction: Object.freeze(['playwright']),
  general: Object.freeze([]),
});

/** Where a server's cost comes from: the project's own figure, the reference default, or nowhere (0). */
export type CostSource = 'project' | 'reference' | 'unknown';

export interface ServerCost {
  name: string;
  toolDefinitionTokens: number;
  source: CostSource;
}

/** The project's figure wins over the reference; a server neither knows costs 0, as in the reference. */
export function costOf(name: string, projectCosts: ReadonlyMap<string, number>): ServerCost {
  const own = projectCosts.get(name);
  if (own !== undefined) return { name, toolDefinitionTokens: own, source: 'project' };
  const reference = DEFAULT_MCP_COSTS.get(name);
  if (reference !== undefined) return { name, toolDefinitionTokens: reference, source: 'reference' };
  return { name, toolDefinitionTokens: 0, source: 'unknown' };
}

export interface McpAnalysisInput {
  /** The active servers, each once. */
  servers: readonly string[];
  taskType?: TaskType;
  projectCosts: ReadonlyMap<string, number>;
}

export interface McpAnalysis {
  servers: ServerCost[];
  totalTokens: number;
  /** The reference's warning when the total passes 5,000 tokens; null otherwise. */
  warning: string | null;
  taskType: TaskType | null;
  /** The servers the task type needs; null when no task type was given (then nothing to change). */
  recommended: string[] | null;
  /** Active servers the task does not need, in the order given. */
  toDisable: string[];
  /** Servers the task needs that are not active. */
  toEnable: string[];
}

export function analyzeMcpServers({ servers, taskType, projectCosts }: McpAnalysisInput): McpAnalysis {
  const costs = servers.map((name) => costOf(name, projectCosts));
  const totalTokens = costs.reduce((sum, cost) => sum + cost.toolDefinitionTokens, 0);
  const recommended = taskType === undefined ? null : [...RECOMMENDED_SERVERS[taskType]];
  const active = new Set(servers);
  return {
    servers: costs,
    totalTokens,
    warning: totalTokens > MCP_WARNING_ABOVE_TOKENS ? MCP_WARNING : null,
    taskType: taskType ?? null,
    recommended,
    toDisable: recommended === null ? [] : servers.filter((name) => !recommended.includes(name)),
    toEnable: recommended === null ? [] : recommended.filter((name) => !active.has(name)),
  };
}

export interface BudgetShare {
  availableTokens: number;
  /** totalTokens / availableTokens * 100, 2 decimals (half up); null when nothing is available. */
  sharePercent: number | null;
  /** What would remain once the definitions are loaded; negative when they do not fit. */
  availableAfter: number;
}

/** The share of a session's available tokens that `definitionTokens` of tool definitions would take. */
export function shareOfAvailable(definitionTokens: number, availableTokens: number): BudgetShare {
  return {
    availableTokens,
    // The same exact arithmetic as a budget position: `definitionTokens` used of `availableTokens`.
    sharePercent: availableTokens > 0 ? tokenBudget(availableTokens, definitionTokens).positionPercent : null,
    availableAfter: availableTokens - definitionTokens,
  };
}

/**
 * The measure of tool definitions: one token per CHARACTERS_PER_TOKEN characters of their JSON (the
 * usual rule of thumb for English and JSON), rounded up. An estimate, not a model's tokenizer.
 */
export const CHARACTERS_PER_TOKEN = 4;
export function definitionTokens(definitions: unknown): number {
  return Math.ceil(JSON.stringify(definitions).length / CHARACTERS_PER_TOKEN);
}
