// The transactional outbox: events are written by the transaction of the change that caused them,
// so an event exists exactly when its change committed. Delivery reads them from here.
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import { Prisma, type PrismaClient, type Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';

export const EVENT_TYPES = [
  'session.threshold_crossed',
  'session.cost_threshold_crossed',
  'session.created',
  'session.archived',
  'session.emergency_recovered',
  'checkpoint.created',
  'handoff.created',
  'handoff.accepted',
  'handoff.rejected',
  'orchestration.completed',
  'webhook.test',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export interface NewEvent {
  projectId: string;
  type: EventType;
  sessionId?: string;
  data: JsonObject;
}

/**
 * Inserts the events and, in the same statement, one pending delivery per event and enabled
 * endpoint of its project that subscribes to its type: an event and what it owes subscribers
 * commit together or not at all. `seq` follows the order of `events`.
 */
export async function appendEvents(tx: Tx, clock: Clock, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const createdAt = clock.now();
  await tx.$executeRaw`
    WITH inserted AS (
      INSERT INTO events (id, project_id, type, session_id, data, created_at)
      SELECT e.id, e.project_id, e.type, e.session_id, e.data::jsonb, ${createdAt}::timestamptz
      FROM unnest(${events.map(() => newId('evt'))}::text[], ${events.map((event) => event.projectId)}::text[],
        ${events.map((event) => event.type)}::text[], ${events.map((event) => event.sessionId ?? null)}::text[],
        ${events.map((event) => JSON.stringify(event.data))}::text[]) WITH ORDINALITY AS e(id, project_id, type, session_id, data, n)
      ORDER BY e.n
      RETURNING id, project_id, type, created_at
    )
    ${fanOutSql('inserted')}`;
}

/**
 * `INSERT` of the deliveries owed for the events in the CTE `source` (columns id, project_id,
 * type, created_at); shared by appendEvents and the usage statement.
 */
export function fanOutSql(source: string): Prisma.Sql {
  return Prisma.sql`
    INSERT INTO webhook_deliveries (id, project_id, endpoint_id, event_id, status, next_attempt_at, created_at, updated_at)
    SELECT new_id('dlv_'), e.project_id, w.id, e.id, 'pending', e.created_at, e.created_at, e.created_at
    FROM ${Prisma.raw(source)} e
    JOIN webhook_endpoints w ON w.project_id = e.project_id AND w.enabled
      AND (e.type = ANY (w.event_types) OR '*' = ANY (w.event_types))`;
}

export interface StoredEvent {
  id: string;
  type: EventType;
  sessionId: string | null;
  data: JsonObject;
  createdAt: Date;
}

export function createOutboxRepository(prisma: PrismaClient) {
  return {
    /**
     * Deletes up to `batchSize` events created before `before`, oldest first, with their deliveries
     * and attempt logs, except events still owed to a subscriber (a pending delivery).
     */
    async deleteOlderThan(before: Date, batchSize: number): Promise<number> {
      const rows = await prisma.$queryRaw<{ deleted: bigint }[]>`
        WITH doomed AS (
          SELECT e.seq, e.id FROM events e
          WHERE e.created_at < ${before}::timestamptz
            AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = e.id AND d.status = 'pending')
          ORDER BY e.seq LIMIT ${batchSize}::int
        ),
        finished_deliveries AS (DELETE FROM webhook_deliveries d USING doomed WHERE d.event_id = doomed.id),
        deleted AS (DELETE FROM events e USING doomed WHERE e.seq = doomed.seq RETURNING 1)
        SELECT count(*) AS deleted FROM deleted`;
      return Number(rows[0]?.deleted ?? 0);
    },

    /** The events about a session in the order they were written, `limit` at a time after `afterSeq` (for export). */
    async listForSessionAfter(
      projectId: string,
      sessionId: string,
      afterSeq: bigint | undefined,
      limit: number,
    ): Promise<(StoredEvent & { seq: bigint })[]> {
      const rows = await prisma.event.findMany({
        where: { projectId, sessionId, ...(afterSeq !== undefined ? { seq: { gt: afterSeq } } : {}) },
        orderBy: { seq: 'asc' },
        take: limit,
      });
      return rows.map((row) => ({
        seq: row.seq,
        id: row.id,
        type: row.type as EventType,
        sessionId: row.sessionId,
        data: row.data as JsonObject,
        createdAt: row.createdAt,
      }));
    },
  };
}

export type OutboxRepository = ReturnType<typeof createOutboxRepository>;
