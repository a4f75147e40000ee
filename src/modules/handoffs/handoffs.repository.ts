import type { Handoff as HandoffRow } from '../../generated/prisma/client.js';
import type { PrismaClient, Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';
import type { SessionStatus } from '../../domain/session.js';

export const HANDOFF_STATUSES = ['pending', 'accepted', 'rejected'] as const;
export type HandoffStatus = (typeof HANDOFF_STATUSES)[number];
export type HandoffDecision = Exclude<HandoffStatus, 'pending'>;

/** The session as it stood when the handoff was created. */
export interface HandoffSessionContext {
  sessionId: string;
  model: string;
  contextPosition: number;
  availableTokens: number;
  status: SessionStatus;
}

export interface Handoff {
  id: string;
  projectId: string;
  sessionId: string;
  fromAgent: string;
  toAgent: string;
  status: HandoffStatus;
  sessionContext: HandoffSessionContext;
  taskContext: JsonObject;
  contextSnapshot: JsonObject;
  lastCheckpointId: string | null;
  rejectionReason: string | null;
  createdAt: Date;
  decidedAt: Date | null;
}

export type NewHandoff = Omit<Handoff, 'status' | 'rejectionReason' | 'decidedAt'>;

export interface HandoffFilters {
  sessionId?: string;
  status?: HandoffStatus;
  fromAgent?: string;
  toAgent?: string;
}

// session_context is stored as it goes on the wire (snake_case), so SQL can read it as clients do.
interface StoredSessionContext {
  session_id: string;
  model: string;
  context_position: number;
  available_tokens: number;
  status: SessionStatus;
}

const storedSessionContext = (context: HandoffSessionContext): StoredSessionContext => ({
  session_id: context.sessionId,
  model: context.model,
  context_position: context.contextPosition,
  available_tokens: context.availableTokens,
  status: context.status,
});

function toHandoff(row: HandoffRow): Handoff {
  const stored = row.sessionContext as unknown as StoredSessionContext;
  return {
    id: row.id,
    projectId: row.projectId,
    sessionId: row.sessionId,
    fromAgent: row.fromAgent,
    toAgent: row.toAgent,
    status: row.status as HandoffStatus,
    sessionContext: {
      sessionId: stored.session_id,
      model: stored.model,
      contextPosition: stored.context_position,
      availableTokens: stored.available_tokens,
      status: stored.status,
    },
    taskContext: row.taskContext as JsonObject,
    contextSnapshot: row.contextSnapshot as JsonObject,
    lastCheckpointId: row.lastCheckpointId,
    rejectionReason: row.rejectionReason,
    createdAt: row.createdAt,
    decidedAt: row.decidedAt,
  };
}

export function createHandoffsRepository(prisma: PrismaClient) {
  return {
    async insert(tx: Tx, handoff: NewHandoff): Promise<Handoff> {
      const row = await tx.handoff.create({
        data: {
          ...handoff,
          status: 'pending',
          sessionContext: storedSessionContext(handoff.sessionContext) as object,
          taskContext: handoff.taskContext as object,
          contextSnapshot: handoff.contextSnapshot as object,
        },
      });
      return toHandoff(row);
    },

    async find(projectId: string, id: string, db: Tx | PrismaClient = prisma): Promise<Handoff | null> {
      const row = await db.handoff.findFirst({ where: { id, projectId } });
      return row ? toHandoff(row) : null;
    },

    /** Newest first; `beforeId` is the last id of the previous page. */
    async list(projectId: string, filters: HandoffFilters, limit: number, beforeId?: string): Promise<Handoff[]> {
      const rows = await prisma.handoff.findMany({
        where: {
          projectId,
          sessionId: filters.sessionId,
          status: filters.status,
          fromAgent: filters.fromAgent,
          toAgent: filters.toAgent,
          ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}),
        },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map(toHandoff);
    },

    /** A session's handoffs, oldest first, `limit` at a time after `afterId` (for export). */
    async listForSessionAfter(projectId: string, sessionId: string, afterId: string | undefined, limit: number): Promise<Handoff[]> {
      const rows = await prisma.handoff.findMany({
        where: { projectId, sessionId, ...(afterId !== undefined ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: limit,
      });
      return rows.map(toHandoff);
    },

    /**
     * Moves a pending handoff to `decision` in one conditional UPDATE, and returns it; null when
     * no pending handoff `id` exists. Racing decisions queue on the row lock and re-check
     * `status = 'pending'` after the first commits, so exactly one of them changes the row.
     */
    async decide(
      tx: Tx,
      projectId: string,
      id: string,
      decision: HandoffDecision,
      rejectionReason: string | null,
      decidedAt: Date,
    ): Promise<Handoff | null> {
      const rows = await tx.handoff.updateManyAndReturn({
        where: { id, projectId, status: 'pending' },
        data: { status: decision, rejectionReason, decidedAt },
      });
      const row = rows[0];
      return row ? toHandoff(row) : null;
    },

    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return prisma.$transaction(fn);
    },
  };
}

export type HandoffsRepository = ReturnType<typeof createHandoffsRepository>;
