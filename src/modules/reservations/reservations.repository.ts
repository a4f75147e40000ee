import { DATABASE_CONNECT_TIMEOUT_MS, DATABASE_STATEMENT_TIMEOUT_MS, type Database } from '../../lib/db.js';
import { joinAmbient } from '../../lib/ambient-transaction.js';
import { Prisma, type PrismaClient, type Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';
import type { SessionStatus } from '../../domain/session.js';
import type { ReservationStatus } from './reservations.schemas.js';

export type ReleaseReason = 'client' | 'archived' | 'emergency_recovery' | 'merged';

export interface Reservation {
  id: string;
  sessionId: string;
  tokens: number;
  /** As of the read: a hold past expires_at reads `expired`, swept or not. */
  status: ReservationStatus;
  source: string | null;
  metadata: JsonObject;
  expiresAt: Date;
  createdAt: Date;
  resolvedAt: Date | null;
  releaseReason: ReleaseReason | null;
  /** The request hash of the commit (a second commit with the same body replays it). */
  commitRequestHash: string | null;
  usageRecordId: string | null;
}

export interface NewReservation {
  id: string;
  projectId: string;
  sessionId: string;
  tokens: number;
  source: string | null;
  metadata: JsonObject;
  now: Date;
  expiresAt: Date;
  /** Statuses of the session in which a hold may be granted (those that take usage). */
  allowedIn: readonly SessionStatus[];
}

export type ReserveOutcome =
  | { outcome: 'granted'; total: number; used: number; reserved: number }
  | { outcome: 'exhausted'; total: number; used: number; reserved: number }
  | { outcome: 'status'; status: SessionStatus }
  | { outcome: 'not_found' };

export type EndedReservation = Reservation & { previousStatus: ReservationStatus };

interface ReservationRow {
  id: string;
  session_id: string;
  tokens: number;
  status: string;
  source: string | null;
  metadata: unknown;
  expires_at: Date;
  created_at: Date;
  resolved_at: Date | null;
  release_reason: string | null;
  commit_request_hash: string | null;
  usage_record_id: string | null;
}

const RESERVE_STATEMENT = 'sss_reserve';

/** The status a reader sees: a hold past its expires_at no longer counts, so it reads expired. */
const effectiveStatus = (status: string, expiresAt: Date, now: Date): ReservationStatus =>
  status === 'held' && expiresAt.getTime() <= now.getTime() ? 'expired' : (status as ReservationStatus);

function toReservation(row: ReservationRow, now: Date): Reservation {
  return {
    id: row.id,
    sessionId: row.session_id,
    tokens: row.tokens,
    status: effectiveStatus(row.status, row.expires_at, now),
    source: row.source,
    metadata: (row.metadata ?? {}) as JsonObject,
    expiresAt: row.expires_at,
    createdAt: row.created_at,
    resolvedAt: row.resolved_at,
    releaseReason: row.release_reason as ReleaseReason | null,
    commitRequestHash: row.commit_request_hash,
    usageRecordId: row.usage_record_id,
  };
}

const SELECT_COLUMNS = Prisma.sql`id, session_id, tokens, status, source, metadata, expires_at, created_at, resolved_at, release_reason,
  commit_request_hash, usage_record_id`;

/** `status` as a reader means it (see effectiveStatus), in SQL. */
function statusFilter(status: ReservationStatus | undefined, now: Date): Prisma.Sql {
  const at = Prisma.sql`${now}::timestamptz`;
  switch (status) {
    case undefined:
      return Prisma.sql`TRUE`;
    case 'held':
      return Prisma.sql`status = 'held' AND expires_at > ${at}`;
    case 'expired':
      return Prisma.sql`(status = 'expired' OR (status = 'held' AND expires_at <= ${at}))`;
    default:
      return Prisma.sql`status = ${status}`;
  }
}

export function createReservationsRepository(prisma: PrismaClient, hotQuery: Database['hotQuery']) {
  return {
    /**
     * Runs `work` in one transaction that the usage statements (hotQuery) join too. It waits for a
     * pool connection as long as a plain query does (Prisma's default gives up after 2 s: a 500 under load).
     */
    transaction: <T>(work: () => Promise<T>): Promise<T> =>
      prisma.$transaction((tx) => joinAmbient(tx, work), { maxWait: DATABASE_CONNECT_TIMEOUT_MS, timeout: DATABASE_STATEMENT_TIMEOUT_MS }),

    /** sss_reserve (the migration): the check and the insert under the session's row lock, one round trip. */
    async reserve(hold: NewReservation): Promise<ReserveOutcome> {
      const statement = Prisma.sql`/* ${Prisma.raw(RESERVE_STATEMENT)} */
        SELECT outcome, session_status, total, used, reserved FROM sss_reserve(${hold.projectId}, ${hold.sessionId}, ${hold.id},
          ${hold.tokens}::int, ${hold.now}::timestamptz, ${hold.expiresAt}::timestamptz, ${hold.source}::text,
          ${JSON.stringify(hold.metadata)}::jsonb, ${[...hold.allowedIn]}::text[])`;
      const [row] = await hotQuery<{ outcome: string; session_status: SessionStatus; total: bigint; used: bigint; reserved: bigint }>({
        name: RESERVE_STATEMENT,
        text: statement.text,
        values: statement.values,
      });
      if (!row || row.outcome === 'not_found') return { outcome: 'not_found' };
      if (row.outcome === 'status') return { outcome: 'status', status: row.session_status };
      const position = { total: Number(row.total), used: Number(row.used), reserved: Number(row.reserved) };
      return { outcome: row.outcome as 'granted' | 'exhausted', ...position };
    },

    /**
     * sss_end_reservation: to `committed` or `released` under the row locks of the sessions it
     * counts on. Null when the project has no such reservation. `previousStatus` is the stored
     * status before (held, including a hold past expiry; expired once swept; committed; released).
     */
    async end(
      projectId: string,
      id: string,
      change: { to: 'committed' | 'released'; now: Date; reason?: ReleaseReason; requestHash?: string; usageRecordId?: string },
    ): Promise<EndedReservation | null> {
      const rows = await prisma.$queryRaw<(ReservationRow & { previous_status: string })[]>`
        SELECT * FROM sss_end_reservation(${projectId}, ${id}, ${change.to}, ${change.now}::timestamptz, ${change.reason ?? null}::text,
          ${change.requestHash ?? null}::text, ${change.usageRecordId ?? null}::text)`;
      const row = rows[0];
      return row ? { ...toReservation(row, change.now), previousStatus: row.previous_status as ReservationStatus } : null;
    },

    async find(projectId: string, id: string, now: Date): Promise<Reservation | null> {
      const rows = await prisma.$queryRaw<ReservationRow[]>`
        SELECT ${SELECT_COLUMNS} FROM reservations WHERE id = ${id} AND project_id = ${projectId}`;
      return rows[0] ? toReservation(rows[0], now) : null;
    },

    /** Newest first; `beforeId` is the last id of the previous page. */
    async list(projectId: string, sessionId: string, filter: { status?: ReservationStatus; limit: number; beforeId?: string; now: Date }) {
      const rows = await prisma.$queryRaw<ReservationRow[]>`
        SELECT ${SELECT_COLUMNS} FROM reservations
        WHERE session_id = ${sessionId} AND project_id = ${projectId} AND ${statusFilter(filter.status, filter.now)}
          ${filter.beforeId !== undefined ? Prisma.sql`AND id < ${filter.beforeId}` : Prisma.empty}
        ORDER BY id DESC LIMIT ${filter.limit}::int`;
      return rows.map((row) => toReservation(row, filter.now));
    },

    /**
     * Ends the holds of a session that is being closed (archive, emergency recovery, merge), in the
     * caller's transaction, which has locked the session rows they count on: live ones `released`
     * with `reason`, ones past expiry `expired`. Returns how many tokens were still held live.
     */
    async endHoldsOf(tx: Tx, sessionId: string, reason: ReleaseReason, now: Date): Promise<number> {
      const rows = await tx.$queryRaw<{ released: bigint | null }[]>`
        WITH ended AS (
          UPDATE reservations r SET
            status = CASE WHEN r.expires_at > ${now}::timestamptz THEN 'released' ELSE 'expired' END,
            release_reason = CASE WHEN r.expires_at > ${now}::timestamptz THEN ${reason} END,
            resolved_at = ${now}::timestamptz
          WHERE r.session_id = ${sessionId} AND r.status = 'held'
          RETURNING r.tokens, r.charged, r.status
        ),
        per_session AS (
          SELECT c.id, sum(e.tokens) AS tokens FROM ended e, unnest(e.charged) AS c(id) GROUP BY c.id
        ),
        decremented AS (
          UPDATE sessions s SET held_tokens = s.held_tokens - p.tokens FROM per_session p WHERE s.id = p.id
        )
        SELECT sum(tokens) FILTER (WHERE status = 'released') AS released FROM ended`;
      return Number(rows[0]?.released ?? 0);
    },

    /**
     * Marks up to `batchSize` holds past expires_at `expired` (they stopped counting at that
     * instant already; this keeps held_tokens short). The sessions they count on are locked first,
     * in the order every hold-changing statement locks them. Returns how many were marked.
     */
    async expireHolds(now: Date, batchSize: number): Promise<number> {
      return prisma.$transaction(async (tx) => {
        const due = await tx.$queryRaw<{ id: string; charged: string[] }[]>`
          SELECT id, charged FROM reservations WHERE status = 'held' AND expires_at <= ${now}::timestamptz
          ORDER BY expires_at LIMIT ${batchSize}::int`;
        if (due.length === 0) return 0;
        const sessionIds = [...new Set(due.flatMap((row) => row.charged))];
        await tx.$queryRaw`SELECT 1 FROM sessions WHERE id = ANY (${sessionIds}::text[]) ORDER BY id FOR UPDATE`;
        const rows = await tx.$queryRaw<{ count: bigint }[]>`
          WITH expired AS (
            UPDATE reservations r SET status = 'expired', resolved_at = ${now}::timestamptz
            WHERE r.id = ANY (${due.map((row) => row.id)}::text[]) AND r.status = 'held'
            RETURNING r.tokens, r.charged
          ),
          per_session AS (
            SELECT c.id, sum(e.tokens) AS tokens FROM expired e, unnest(e.charged) AS c(id) GROUP BY c.id
          ),
          decremented AS (
            UPDATE sessions s SET held_tokens = s.held_tokens - p.tokens FROM per_session p WHERE s.id = p.id
          )
          SELECT count(*) AS count FROM expired`;
        return Number(rows[0]?.count ?? 0);
      });
    },
  };
}

export type ReservationsRepository = ReturnType<typeof createReservationsRepository>;
