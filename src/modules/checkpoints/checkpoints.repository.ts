import type { Checkpoint as CheckpointRow } from '../../generated/prisma/client.js';
import type { PrismaClient, Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';

export interface Checkpoint {
  id: string;
  projectId: string;
  sessionId: string;
  phase: string;
  /** The session's budget when the checkpoint was taken. */
  total: number;
  used: number;
  contextSnapshot: JsonObject;
  sha256: string;
  sizeBytes: number;
  createdAt: Date;
}

function toCheckpoint(row: CheckpointRow): Checkpoint {
  return {
    id: row.id,
    projectId: row.projectId,
    sessionId: row.sessionId,
    phase: row.phase,
    total: Number(row.total),
    used: Number(row.used),
    contextSnapshot: row.contextSnapshot as JsonObject,
    sha256: row.sha256,
    sizeBytes: row.sizeBytes,
    createdAt: row.createdAt,
  };
}

export interface CheckpointFilter {
  /** The last id of the previous page. */
  beforeId?: string;
  /** Only checkpoints of exactly this phase. */
  phase?: string;
}

/** Phases the LangGraph checkpointer writes; retention keeps them. */
export const LANGGRAPH_PHASE_PREFIX = 'langgraph:';

export function createCheckpointsRepository(prisma: PrismaClient) {
  return {
    async insert(tx: Tx, checkpoint: Checkpoint): Promise<Checkpoint> {
      const row = await tx.checkpoint.create({
        data: {
          ...checkpoint,
          total: BigInt(checkpoint.total),
          used: BigInt(checkpoint.used),
          contextSnapshot: checkpoint.contextSnapshot as object,
        },
      });
      return toCheckpoint(row);
    },

    async find(projectId: string, id: string, tx: Tx | PrismaClient = prisma): Promise<Checkpoint | null> {
      const row = await tx.checkpoint.findFirst({ where: { id, projectId } });
      return row ? toCheckpoint(row) : null;
    },

    async latestOf(tx: Tx, sessionId: string): Promise<Checkpoint | null> {
      const row = await tx.checkpoint.findFirst({ where: { sessionId }, orderBy: { id: 'desc' } });
      return row ? toCheckpoint(row) : null;
    },

    /** Newest first, of one `phase` when given; `beforeId` is the last id of the previous page. */
    async list(projectId: string, sessionId: string, limit: number, { beforeId, phase }: CheckpointFilter = {}): Promise<Checkpoint[]> {
      const rows = await prisma.checkpoint.findMany({
        where: {
          projectId,
          sessionId,
          ...(phase !== undefined ? { phase } : {}),
          ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}),
        },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map(toCheckpoint);
    },

    /** Every checkpoint of a session, oldest first (for export). */
    async listAll(projectId: string, sessionId: string): Promise<Checkpoint[]> {
      const rows = await prisma.checkpoint.findMany({ where: { projectId, sessionId }, orderBy: { id: 'asc' } });
      return rows.map(toCheckpoint);
    },

    /**
     * Deletes up to `batchSize` checkpoints created before `before`, oldest first, except those
     * something still points at: a fork's `fork_checkpoint_id`, a recovered session's
     * `recovery_checkpoint_id`, a handoff's `last_checkpoint_id`, and each session's latest
     * checkpoint (its restore point).
     * Sessions' `checkpoints_count` follows in the same statement.
     */
    async deleteOlderThan(before: Date, batchSize: number): Promise<number> {
      const rows = await prisma.$queryRaw<{ deleted: bigint }[]>`
        WITH doomed AS (
          DELETE FROM checkpoints WHERE id IN (
            SELECT c.id FROM checkpoints c
            WHERE c.created_at < ${before}::timestamptz
              AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.fork_checkpoint_id = c.id)
              AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.recovery_checkpoint_id = c.id)
              AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.last_checkpoint_id = c.id)
              -- A LangGraph thread's checkpoints refer to earlier ones (src/langgraph): keep them all.
              AND c.phase NOT LIKE ${LANGGRAPH_PHASE_PREFIX + '%'}
              AND c.id <> (SELECT max(l.id) FROM checkpoints l WHERE l.session_id = c.session_id)
            ORDER BY c.created_at LIMIT ${batchSize}::int)
          RETURNING session_id
        ),
        counted AS (
          UPDATE sessions s SET checkpoints_count = s.checkpoints_count - d.n, version = s.version + 1
          FROM (SELECT session_id, count(*)::int AS n FROM doomed GROUP BY session_id) d
          WHERE s.id = d.session_id
        )
        SELECT count(*) AS deleted FROM doomed`;
      return Number(rows[0]?.deleted ?? 0);
    },
  };
}

export type CheckpointsRepository = ReturnType<typeof createCheckpointsRepository>;
