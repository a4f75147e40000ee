import type { Agent as AgentRow } from '../../generated/prisma/client.js';
import type { PrismaClient, Tx } from '../../lib/prisma.js';

/** `*` in `acceptsHandoffsFrom` accepts a handoff from any agent. */
export const ANY_AGENT = '*';

/**
 * An agent that receives handoffs, and from whom. In a project without registrations any name may
 * hand off to any other; once one agent is registered, a handoff's agents must both be registered.
 */
export interface Agent {
  projectId: string;
  name: string;
  acceptsHandoffsFrom: string[];
  description: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export type AgentRegistration = Pick<Agent, 'projectId' | 'name' | 'acceptsHandoffsFrom' | 'description'>;

function toAgent(row: AgentRow): Agent {
  return {
    projectId: row.projectId,
    name: row.name,
    acceptsHandoffsFrom: row.acceptsHandoffsFrom,
    description: row.description,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export function createAgentsRepository(prisma: PrismaClient) {
  return {
    /**
     * Registers the agent or replaces its registration (created_at stays). `created` tells the two
     * apart: the insert skips an existing row (ON CONFLICT DO NOTHING), so racing PUTs of a new
     * name create it once and the others replace it, never a unique violation.
     */
    async put(registration: AgentRegistration, now: Date): Promise<{ agent: Agent; created: boolean }> {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.agent.createMany({
          data: [{ ...registration, createdAt: now, updatedAt: now }],
          skipDuplicates: true,
        });
        if (count === 1) {
          const row = await tx.agent.findUniqueOrThrow({ where: { projectId_name: { projectId: registration.projectId, name: registration.name } } });
          return { agent: toAgent(row), created: true };
        }
        const row = await tx.agent.update({
          where: { projectId_name: { projectId: registration.projectId, name: registration.name } },
          data: { acceptsHandoffsFrom: registration.acceptsHandoffsFrom, description: registration.description, updatedAt: now },
        });
        return { agent: toAgent(row), created: false };
      });
    },

    async find(projectId: string, name: string, db: Tx | PrismaClient = prisma): Promise<Agent | null> {
      const row = await db.agent.findUnique({ where: { projectId_name: { projectId, name } } });
      return row ? toAgent(row) : null;
    },

    /** The registrations among `names` (those that exist). */
    async findMany(projectId: string, names: string[], db: Tx | PrismaClient = prisma): Promise<Agent[]> {
      const rows = await db.agent.findMany({ where: { projectId, name: { in: names } } });
      return rows.map(toAgent);
    },

    /** The first `limit` registered names of the project, by name (none: the project registered no agent). */
    async names(projectId: string, limit: number, db: Tx | PrismaClient = prisma): Promise<string[]> {
      const rows = await db.agent.findMany({ where: { projectId }, select: { name: true }, orderBy: { name: 'asc' }, take: limit });
      return rows.map((row) => row.name);
    },

    /** By name; `afterName` is the last name of the previous page. */
    async list(projectId: string, limit: number, afterName?: string): Promise<Agent[]> {
      const rows = await prisma.agent.findMany({
        where: { projectId, ...(afterName !== undefined ? { name: { gt: afterName } } : {}) },
        orderBy: { name: 'asc' },
        take: limit,
      });
      return rows.map(toAgent);
    },

    /** True when a registration was removed. */
    async delete(projectId: string, name: string): Promise<boolean> {
      const { count } = await prisma.agent.deleteMany({ where: { projectId, name } });
      return count === 1;
    },
  };
}

export type AgentsRepository = ReturnType<typeof createAgentsRepository>;
