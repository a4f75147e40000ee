// The outbox as the live event stream reads it: in (txid, seq) order, only events that can no longer
// have an earlier one commit behind them. See the event_stream migration for why `seq` alone is not
// enough: it is taken at insert, not at commit.
import type { PrismaClient } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';
import type { EventType } from '../webhooks/outbox.repository.js';

/** Where an event stands in the stream's order: its transaction's id, then its `seq`. */
export interface StreamPosition {
  txid: bigint;
  seq: bigint;
}

/** Before every event. */
export const STREAM_START: StreamPosition = Object.freeze({ txid: 0n, seq: 0n });

export function comparePositions(a: StreamPosition, b: StreamPosition): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

export interface StreamEvent {
  id: string;
  type: EventType;
  sessionId: string | null;
  data: JsonObject;
  createdAt: Date;
  position: StreamPosition;
}

export interface StreamPage {
  /** Events after the position, in order, each written by a transaction older than any still running. */
  events: StreamEvent[];
  /** More events are committed or being written after the last one: read again (now, or soon). */
  more: 'now' | 'soon' | 'no';
}

interface EventRow {
  id: string;
  type: string;
  session_id: string | null;
  data: JsonObject;
  created_at: Date;
  txid_text: string;
  seq: bigint;
  settled: boolean;
}

// xid8 travels as text (neither driver parses it); the text gets its own name so that ORDER BY txid
// sorts by the xid8 column, not by its text.
const positionOf = (row: { txid_text: string; seq: bigint }): StreamPosition => ({ txid: BigInt(row.txid_text), seq: row.seq });

export function createEventStreamRepository(prisma: PrismaClient) {
  return {
    /**
     * Registers (or renews) `listenerId` as following these projects' events for `leaseMs` of the
     * database's time: until then the events trigger NOTIFYs their events.
     */
    async follow(projectIds: string[], listenerId: string, leaseMs: number): Promise<void> {
      if (projectIds.length === 0) return;
      await prisma.$executeRaw`
        INSERT INTO event_stream_listeners (project_id, listener_id, expires_at)
        SELECT p, ${listenerId}, now() + ${leaseMs}::int * interval '1 millisecond' FROM unnest(${projectIds}::text[]) AS p
        ON CONFLICT (project_id, listener_id) DO UPDATE SET expires_at = EXCLUDED.expires_at`;
    },

    /** Stops following projects' events (and forgets leases that expired, whoever held them). */
    async unfollow(projectIds: string[], listenerId: string): Promise<void> {
      await prisma.$executeRaw`
        DELETE FROM event_stream_listeners
        WHERE (project_id = ANY (${projectIds}::text[]) AND listener_id = ${listenerId}) OR expires_at < now()`;
    },

    /** The position of one of the project's events; null when it has no event of that id. */
    async positionOf(projectId: string, eventId: string): Promise<StreamPosition | null> {
      const rows = await prisma.$queryRaw<{ txid_text: string; seq: bigint }[]>`
        SELECT txid::text AS txid_text, seq FROM events WHERE id = ${eventId} AND project_id = ${projectId}`;
      return rows[0] ? positionOf(rows[0]) : null;
    },

    /**
     * The newest settled event of the project (none: STREAM_START and a null id): a stream that
     * starts now delivers what comes after it.
     */
    async head(projectId: string): Promise<{ position: StreamPosition; eventId: string | null }> {
      const rows = await prisma.$queryRaw<{ id: string; txid_text: string; seq: bigint }[]>`
        SELECT id, txid::text AS txid_text, seq FROM events
        WHERE project_id = ${projectId} AND txid < pg_snapshot_xmin(pg_current_snapshot())
        ORDER BY txid DESC, seq DESC LIMIT 1`;
      return rows[0] ? { position: positionOf(rows[0]), eventId: rows[0].id } : { position: STREAM_START, eventId: null };
    },

    /**
     * Up to `limit` of the project's events after `after`. An event is settled once every
     * transaction older than its own has ended (its id is below the snapshot's xmin): no event can
     * then still commit before it in (txid, seq) order. The page stops at the first unsettled one
     * and says to read again soon; the row comparison walks the (project_id, txid, seq) index.
     */
    async after(projectId: string, after: StreamPosition, limit: number): Promise<StreamPage> {
      const rows = await prisma.$queryRaw<EventRow[]>`
        SELECT id, type, session_id, data, created_at, txid::text AS txid_text, seq,
          txid < pg_snapshot_xmin(pg_current_snapshot()) AS settled
        FROM events
        WHERE project_id = ${projectId} AND (txid, seq) > (${after.txid.toString()}::xid8, ${after.seq}::bigint)
        ORDER BY txid, seq LIMIT ${limit}::int`;
      const settled = rows.findIndex((row) => !row.settled);
      const events = (settled === -1 ? rows : rows.slice(0, settled)).map((row) => ({
        id: row.id,
        type: row.type as EventType,
        sessionId: row.session_id,
        data: row.data,
        createdAt: row.created_at,
        position: positionOf(row),
      }));
      return { events, more: settled !== -1 ? 'soon' : rows.length === limit ? 'now' : 'no' };
    },
  };
}

export type EventStreamRepository = ReturnType<typeof createEventStreamRepository>;
