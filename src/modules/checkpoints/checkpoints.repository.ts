import type { Checkpoint as CheckpointRow } from '../../generated/prisma/client.js';
import { allowedFrom } from '../../domain/transitions.js';
import type { Database } from '../../lib/db.js';
import { Prisma, type PrismaClient, type Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';
import { sessionStatusInSql } from '../sessions/sessions.repository.js';
import { fanOutSql } from '../webhooks/outbox.repository.js';

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

/** A checkpoint of a given snapshot, as checkpointSql writes it. */
export interface CheckpointWrite {
  id: string;
  projectId: string;
  sessionId: string;
  phase: string;
  /** The snapshot's canonical JSON (RFC 8785): what was hashed is what is stored. */
  canonicalSnapshot: string;
  sha256: string;
  sizeBytes: number;
  now: Date;
}

/** The name the checkpoint statement carries in its leading comment, and is prepared under. */
export const CREATE_CHECKPOINT_STATEMENT = 'sss_create_checkpoint';
const CHECKPOINT_ALLOWED_IN = sessionStatusInSql(allowedFrom('checkpoint'));

/**
 * A checkpoint of a given snapshot in one statement: count it on the session (under the row lock
 * of that one UPDATE), insert it with the budget of that moment, and write its `checkpoint.created`
 * event (the same data as checkpointCreatedEvent() in checkpoints.service.ts) with the deliveries it
 * owes. Returns the budget (total, used) when the session allows checkpoints; no row otherwise.
 */
export function checkpointSql(write: CheckpointWrite): Prisma.Sql {
  const now = Prisma.sql`${write.now}::timestamptz`;
  return Prisma.sql`/* ${Prisma.raw(CREATE_CHECKPOINT_STATEMENT)} */
    WITH counted AS (
      UPDATE sessions s SET checkpoints_count = s.checkpoints_count + 1, version = s.version + 1, updated_at = ${now}
      WHERE s.id = ${write.sessionId} AND s.project_id = ${write.projectId} AND ${CHECKPOINT_ALLOWED_IN}
      RETURNING s.id, s.project_id, s.total, s.used
    ),
    checkpoint AS (
      INSERT INTO checkpoints (id, project_id, session_id, phase, total, used, context_snapshot, sha256, size_bytes, created_at)
      SELECT ${write.id}, c.project_id, c.id, ${write.phase}, c.total, c.used, ${write.canonicalSnapshot}::json,
        ${write.sha256}, ${write.sizeBytes}::int, ${now}
      FROM counted c
      RETURNING id, project_id, session_id, phase, total, used, sha256
    ),
    new_events AS (
      INSERT INTO events (id, project_id, type, session_id, data, created_at)
      SELECT new_id('evt_'), c.project_id, 'checkpoint.created', c.session_id,
        jsonb_build_object(
          'checkpoint_id', c.id, 'session_id', c.session_id, 'phase', c.phase, 'sha256', c.sha256,
          'token_usage', jsonb_build_object('total', c.total, 'used', c.used, 'available', c.total - c.used,
            'position_percent', round(c.used * 100.0 / c.total, 2))),
        ${now}
      FROM checkpoint c
      RETURNING id, project_id, type, created_at
    ),
    deliveries AS (${fanOutSql('new_events')})
    SELECT c.total, c.used FROM checkpoint c`;
}

/** Checkpoints of one session written in one statement, in this order (see checkpointsBatchSql). */
export interface CheckpointBatchWrite {
  projectId: string;
  sessionId: string;
  now: Date;
  checkpoints: Omit<CheckpointWrite, 'projectId' | 'sessionId' | 'now'>[];
}

export const CREATE_CHECKPOINT_BATCH_STATEMENT = 'sss_create_checkpoint_batch';

/**
 * checkpointSql for several checkpoints of one session at once: counted on the session under one
 * row lock, inserted in the order given (ids ascending), each with its `checkpoint.created` event,
 * in that order, and the deliveries they owe. Returns the budget, or no row when the session does
 * not allow checkpoints. A statement of its own, so that the single checkpoint's plan stays as it is.
 */
export function checkpointsBatchSql(write: CheckpointBatchWrite): Prisma.Sql {
  const now = Prisma.sql`${write.now}::timestamptz`;
  const column = <K extends keyof CheckpointBatchWrite['checkpoints'][number]>(key: K) => write.checkpoints.map((checkpoint) => checkpoint[key]);
  return Prisma.sql`/* ${Prisma.raw(CREATE_CHECKPOINT_BATCH_STATEMENT)} */
    WITH input AS (
      SELECT * FROM unnest(${column('id')}::text[], ${column('phase')}::text[], ${column('canonicalSnapshot')}::text[],
        ${column('sha256')}::text[], ${column('sizeBytes')}::int[]) WITH ORDINALITY AS i(id, phase, snapshot, sha256, size_bytes, n)
    ),
    counted AS (
      UPDATE sessions s SET checkpoints_count = s.checkpoints_count + (SELECT count(*) FROM input)::int, version = s.version + 1,
        updated_at = ${now}
      WHERE s.id = ${write.sessionId} AND s.project_id = ${write.projectId} AND ${CHECKPOINT_ALLOWED_IN}
      RETURNING s.id, s.project_id, s.total, s.used
    ),
    checkpoint AS (
      INSERT INTO checkpoints (id, project_id, session_id, phase, total, used, context_snapshot, sha256, size_bytes, created_at)
      SELECT i.id, c.project_id, c.id, i.phase, c.total, c.used, i.snapshot::json, i.sha256, i.size_bytes, ${now}
      FROM counted c CROSS JOIN input i ORDER BY i.n
      RETURNING id, project_id, session_id, phase, total, used, sha256
    ),
    new_events AS (
      INSERT INTO events (id, project_id, type, session_id, data, created_at)
      SELECT new_id('evt_'), c.project_id, 'checkpoint.created', c.session_id, ${checkpointCreatedDataSql('c')}, ${now}
      FROM checkpoint c ORDER BY c.id
      RETURNING id, project_id, type, created_at
    ),
    deliveries AS (${fanOutSql('new_events')})
    SELECT c.total, c.used FROM counted c`;
}

/** The data of a `checkpoint.created` event, from a row of `alias` (id, session_id, phase, sha256, total, used). */
function checkpointCreatedDataSql(alias: string): Prisma.Sql {
  const c = Prisma.raw(alias);
  return Prisma.sql`jsonb_build_object(
          'checkpoint_id', ${c}.id, 'session_id', ${c}.session_id, 'phase', ${c}.phase, 'sha256', ${c}.sha256,
          'token_usage', jsonb_build_object('total', ${c}.total, 'used', ${c}.used, 'available', ${c}.total - ${c}.used,
            'position_percent', round(${c}.used * 100.0 / ${c}.total, 2)))`;
}

export function createCheckpointsRepository(prisma: PrismaClient, hotQuery: Database['hotQuery']) {
  return {
    /** Runs checkpointSql, prepared once per connection; null when the session does not allow checkpoints (or is not there). */
    async create(write: CheckpointWrite): Promise<{ total: number; used: number } | null> {
      const statement = checkpointSql(write);
      const rows = await hotQuery<{ total: bigint; used: bigint }>({
        name: CREATE_CHECKPOINT_STATEMENT,
        text: statement.text,
        values: statement.values,
      });
      const row = rows[0];
      return row ? { total: Number(row.total), used: Number(row.used) } : null;
    },

    /** Runs checkpointsBatchSql, prepared once per connection; null when the session does not allow checkpoints (or is not there). */
    async createBatch(write: CheckpointBatchWrite): Promise<{ total: number; used: number } | null> {
      const statement = checkpointsBatchSql(write);
      const rows = await hotQuery<{ total: bigint; used: bigint }>({
        name: CREATE_CHECKPOINT_BATCH_STATEMENT,
        text: statement.text,
        values: statement.values,
      });
      const row = rows[0];
      return row ? { total: Number(row.total), used: Number(row.used) } : null;
    },

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

    /** A session's checkpoints, oldest first, `limit` at a time after `afterId` (for export). */
    async listAfter(projectId: string, sessionId: string, afterId: string | undefined, limit: number): Promise<Checkpoint[]> {
      const rows = await prisma.checkpoint.findMany({
        where: { projectId, sessionId, ...(afterId !== undefined ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: limit,
      });
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
