import type { McpServer as McpServerRow } from '../../generated/prisma/client.js';
import type { PrismaClient } from '../../lib/prisma.js';

/** A project's own cost for an MCP server's tool definitions (overrides the reference default). */
export interface McpServerCost {
  projectId: string;
  name: string;
  toolDefinitionTokens: number;
  createdAt: Date;
  updatedAt: Date;
}

const toCost = (row: McpServerRow): McpServerCost => ({
  projectId: row.projectId,
  name: row.name,
  toolDefinitionTokens: row.toolDefinitionTokens,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

/** A server of the merged list: the project's figure (with its times) and/or the reference default. */
export interface MergedMcpServerCost {
  name: string;
  projectTokens: number | null;
  referenceTokens: number | null;
  createdAt: Date | null;
  updatedAt: Date | null;
}

export function createContextRepository(prisma: PrismaClient) {
  return {
    /**
     * Sets the project's cost for `name`, creating or replacing it (created_at stays). As for agents,
     * the insert skips an existing row, so racing PUTs of a new name create it once, never a unique violation.
     */
    async put(projectId: string, name: string, toolDefinitionTokens: number, now: Date): Promise<{ cost: McpServerCost; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.mcpServer.createMany({
          data: [{ projectId, name, toolDefinitionTokens, createdAt: now, updatedAt: now }],
          skipDuplicates: true,
        });
        const key = { projectId_name: { projectId, name } };
        if (count === 1) return { cost: toCost(await tx.mcpServer.findUniqueOrThrow({ where: key })), created: true };
        return { cost: toCost(await tx.mcpServer.update({ where: key, data: { toolDefinitionTokens, updatedAt: now } })), created: false };
      });
    },

    /** The project's costs for these names (those it has set). */
    async costsOf(projectId: string, names: readonly string[]): Promise<Map<string, number>> {
      if (names.length === 0) return new Map();
      const rows = await prisma.mcpServer.findMany({
        where: { projectId, name: { in: [...names] } },
        select: { name: true, toolDefinitionTokens: true },
      });
      return new Map(rows.map((row) => [row.name, row.toolDefinitionTokens]));
    },

    /**
     * The reference defaults merged with the project's costs, by name (bytewise, `COLLATE "C"`, so
     * the order and the cursor do not depend on the database's locale); `afterName` is the last name
     * of the previous page. Both sides are cut at the cursor before the join on the name.
     */
    async listMerged(projectId: string, defaults: ReadonlyMap<string, number>, limit: number, afterName?: string): Promise<MergedMcpServerCost[]> {
      const after = afterName ?? null;
      const rows = await prisma.$queryRaw<
        { name: string; tool_definition_tokens: number | null; reference_tokens: number | null; created_at: Date | null; updated_at: Date | null }[]
      >`
        SELECT * FROM (
          SELECT coalesce(m.name, d.name) AS name, m.tool_definition_tokens, d.tokens AS reference_tokens, m.created_at, m.updated_at
          FROM (
            SELECT name, tool_definition_tokens, created_at, updated_at FROM mcp_servers
            WHERE project_id = ${projectId} AND (${after}::text IS NULL OR name COLLATE "C" > ${after}::text)
          ) m
          FULL JOIN (
            SELECT name, tokens FROM unnest(${[...defaults.keys()]}::text[], ${[...defaults.values()]}::int[]) AS r(name, tokens)
            WHERE ${after}::text IS NULL OR name COLLATE "C" > ${after}::text
          ) d ON d.name = m.name
        ) merged
        ORDER BY merged.name COLLATE "C"
        LIMIT ${limit}::int`;
      return rows.map((row) => ({
        name: row.name,
        projectTokens: row.tool_definition_tokens,
        referenceTokens: row.reference_tokens,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }));
    },

    /** True when the project's cost was removed. */
    async delete(projectId: string, name: string): Promise<boolean> {
      const { count } = await prisma.mcpServer.deleteMany({ where: { projectId, name } });
      return count === 1;
    },
  };
}

export type ContextRepository = ReturnType<typeof createContextRepository>;
