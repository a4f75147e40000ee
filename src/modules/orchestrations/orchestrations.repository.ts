import type {
  Orchestration as OrchestrationRow,
  OrchestrationExploration as ExplorationRow,
  OrchestrationNode as NodeRow,
} from '../../generated/prisma/client.js';
import type { Prisma, PrismaClient, Tx } from '../../lib/prisma.js';
import type { NodeStatus, OrchestrationStatus } from './graph.js';

export interface OrchestrationNode {
  specId: string;
  dependsOn: string[];
  status: NodeStatus;
  sessionId: string | null;
  /** Where the spec stood in the request: nodes read back in the order they were given. */
  position: number;
  startedAt: Date | null;
  /** When it completed, failed or was blocked. */
  finishedAt: Date | null;
}

/** A fork of a spec's session, for an alternative implementation. */
export interface Exploration {
  specId: string;
  sessionId: string;
  createdAt: Date;
}

export interface Orchestration {
  id: string;
  projectId: string;
  status: OrchestrationStatus;
  maxParallelSessions: number;
  nodes: OrchestrationNode[];
  explorations: Exploration[];
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
}

/** A new orchestration: running, every spec pending (the service then starts what it may). */
export interface NewOrchestration {
  id: string;
  projectId: string;
  maxParallelSessions: number;
  specs: { specId: string; dependsOn: string[] }[];
  createdAt: Date;
}

export type NodeChanges = Partial<Pick<OrchestrationNode, 'sessionId' | 'startedAt' | 'finishedAt'>> & { status: NodeStatus };

export interface OrchestrationChanges {
  status: OrchestrationStatus;
  completedAt: Date | null;
  updatedAt: Date;
}

export interface OrchestrationFilters {
  status?: OrchestrationStatus;
}

type Loaded = OrchestrationRow & { nodes: NodeRow[]; explorations: ExplorationRow[] };

const withGraph = {
  nodes: { orderBy: { position: 'asc' } },
  explorations: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] },
} satisfies Prisma.OrchestrationInclude;

function toOrchestration(row: Loaded): Orchestration {
  return {
    id: row.id,
    projectId: row.projectId,
    status: row.status as OrchestrationStatus,
    maxParallelSessions: row.maxParallelSessions,
    nodes: row.nodes.map((node) => ({
      specId: node.specId,
      dependsOn: node.dependsOn,
      status: node.status as NodeStatus,
      sessionId: node.sessionId,
      position: node.position,
      startedAt: node.startedAt,
      finishedAt: node.finishedAt,
    })),
    explorations: row.explorations.map((exploration) => ({
      specId: exploration.specId,
      sessionId: exploration.sessionId,
      createdAt: exploration.createdAt,
    })),
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    completedAt: row.completedAt,
  };
}

export function createOrchestrationsRepository(prisma: PrismaClient) {
  async function find(projectId: string, id: string, db: Tx | PrismaClient = prisma): Promise<Orchestration | null> {
    const row = await db.orchestration.findFirst({ where: { id, projectId }, include: withGraph });
    return row ? toOrchestration(row) : null;
  }

  return {
    find,

    async insert(tx: Tx, orchestration: NewOrchestration): Promise<void> {
      await tx.orchestration.create({
        data: {
          id: orchestration.id,
          projectId: orchestration.projectId,
          status: 'running',
          maxParallelSessions: orchestration.maxParallelSessions,
          createdAt: orchestration.createdAt,
          updatedAt: orchestration.createdAt,
          nodes: {
            createMany: {
              data: orchestration.specs.map((spec, position) => ({ specId: spec.specId, dependsOn: spec.dependsOn, status: 'pending', position })),
            },
          },
        },
      });
    },

    /**
     * Reads the orchestration with its graph and locks its row until the transaction ends: every
     * change to an orchestration (its nodes, its explorations) takes this lock first, so changes
     * to one graph happen one at a time and each sees the one before.
     */
    async findForUpdate(tx: Tx, projectId: string, id: string): Promise<Orchestration | null> {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM orchestrations WHERE id = ${id} AND project_id = ${projectId} FOR UPDATE`;
      if (locked.length === 0) return null;
      return find(projectId, id, tx);
    },

    /** Newest first; `beforeId` is the last id of the previous page. */
    async list(projectId: string, filters: OrchestrationFilters, limit: number, beforeId?: string): Promise<Orchestration[]> {
      const rows = await prisma.orchestration.findMany({
        where: { projectId, status: filters.status, ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}) },
        orderBy: { id: 'desc' },
        take: limit,
        include: withGraph,
      });
      return rows.map(toOrchestration);
    },

    async updateNodes(tx: Tx, orchestrationId: string, specIds: string[], changes: NodeChanges): Promise<void> {
      if (specIds.length === 0) return;
      await tx.orchestrationNode.updateMany({ where: { orchestrationId, specId: { in: specIds } }, data: changes });
    },

    async update(tx: Tx, id: string, changes: OrchestrationChanges): Promise<void> {
      await tx.orchestration.update({ where: { id }, data: changes });
    },

    async touch(tx: Tx, id: string, updatedAt: Date): Promise<void> {
      await tx.orchestration.update({ where: { id }, data: { updatedAt } });
    },

    /** The exploration is identified by its fork: one session is one exploration. */
    async insertExploration(tx: Tx, orchestrationId: string, exploration: Exploration): Promise<void> {
      await tx.orchestrationExploration.create({
        data: { id: exploration.sessionId, orchestrationId, ...exploration },
      });
    },

    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return prisma.$transaction(fn);
    },
  };
}

export type OrchestrationsRepository = ReturnType<typeof createOrchestrationsRepository>;
