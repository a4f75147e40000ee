import type { PrismaClient } from '../../lib/prisma.js';
import type { SessionStatus } from '../../domain/session.js';

export type LineageRelation = 'fork' | 'recovery';

export interface LineageNode {
  direction: 'ancestor' | 'descendant';
  /** 1 for the session's parent or its children, 2 for the next generation, … */
  depth: number;
  sessionId: string;
  taskId: string;
  status: SessionStatus;
  /** How this node came from `fromSessionId`, for ancestors the link one step further up. */
  relation: LineageRelation | null;
  fromSessionId: string | null;
  forkCheckpointId: string | null;
  mergedIntoSessionId: string | null;
  createdAt: Date;
}

/** Deeper than any real lineage; only a corrupted graph would reach it, and then the walk stops. */
export const MAX_LINEAGE_DEPTH = 1000;

interface LineageRow {
  direction: 'ancestor' | 'descendant';
  depth: number;
  id: string;
  task_id: string;
  status: SessionStatus;
  parent_session_id: string | null;
  recovered_from_session_id: string | null;
  fork_checkpoint_id: string | null;
  merged_into_session_id: string | null;
  created_at: Date;
}

export function createLineageRepository(prisma: PrismaClient) {
  return {
    /**
     * Ancestors (up the parent/recovered-from links) and descendants (down them) of a session in one
     * recursive query. A session has at most one of the two links, so the walk up is a path.
     */
    async lineage(projectId: string, sessionId: string): Promise<LineageNode[]> {
      const rows = await prisma.$queryRaw<LineageRow[]>`
        WITH RECURSIVE
        up AS (
          SELECT s.*, 1 AS depth FROM sessions s
          JOIN sessions start ON s.id = coalesce(start.parent_session_id, start.recovered_from_session_id)
          WHERE start.id = ${sessionId} AND start.project_id = ${projectId} AND s.project_id = ${projectId}
          UNION ALL
          SELECT s.*, up.depth + 1 FROM sessions s
          JOIN up ON s.id = coalesce(up.parent_session_id, up.recovered_from_session_id)
          WHERE s.project_id = ${projectId} AND up.depth < ${MAX_LINEAGE_DEPTH}
        ),
        down AS (
          SELECT s.*, 1 AS depth FROM sessions s
          WHERE s.project_id = ${projectId} AND (s.parent_session_id = ${sessionId} OR s.recovered_from_session_id = ${sessionId})
          UNION ALL
          SELECT s.*, down.depth + 1 FROM sessions s
          JOIN down ON s.parent_session_id = down.id OR s.recovered_from_session_id = down.id
          WHERE s.project_id = ${projectId} AND down.depth < ${MAX_LINEAGE_DEPTH}
        )
        SELECT direction, depth::int AS depth, id, task_id, status, parent_session_id, recovered_from_session_id,
          fork_checkpoint_id, merged_into_session_id, created_at
        FROM (
          SELECT 'ancestor' AS direction, up.* FROM up
          UNION ALL
          SELECT 'descendant' AS direction, down.* FROM down
        ) lineage
        ORDER BY direction, depth, id`;
      return rows.map((row) => ({
        direction: row.direction,
        depth: row.depth,
        sessionId: row.id,
        taskId: row.task_id,
        status: row.status,
        relation: row.parent_session_id ? 'fork' : row.recovered_from_session_id ? 'recovery' : null,
        fromSessionId: row.parent_session_id ?? row.recovered_from_session_id,
        forkCheckpointId: row.fork_checkpoint_id,
        mergedIntoSessionId: row.merged_into_session_id,
        createdAt: row.created_at,
      }));
    },
  };
}

export type LineageRepository = ReturnType<typeof createLineageRepository>;
