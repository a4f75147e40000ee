import { newId } from '../../lib/ids.js';
import { Prisma, type PrismaClient, type Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';

// The dispatchers' side of webhook deliveries: claiming due ones under a lease, recording each
// attempt, giving claims back, and the backlog /metrics reports. What clients read and ask for is
// in deliveries.repository.ts.

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface AttemptRecord {
  attemptNumber: number;
  startedAt: Date;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  responseSnippet: string | null;
}

/** A delivery a dispatcher holds under a lease, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  projectId: string;
  endpointId: string;
  leaseToken: string;
  /** This attempt's number, from 1. */
  attemptNumber: number;
  event: { id: string; type: string; createdAt: Date; data: JsonObject };
  endpoint: { url: string; secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null; failingSince: Date | null };
}

export interface ClaimOptions {
  now: Date;
  limit: number;
  leaseUntil: Date;
  /** Attempts this dispatcher has in flight, by endpoint: they count against `perEndpoint`. */
  inFlightByEndpoint: ReadonlyMap<string, number>;
  /** At most this many attempts of one endpoint in flight at once, those already running included. */
  perEndpoint: number;
  /** Only this project's deliveries (tools and tests that share a database); default all. */
  projectId?: string;
}

/** What to write once an attempt has ended. */
export interface AttemptOutcome {
  claim: Pick<ClaimedDelivery, 'id' | 'projectId' | 'endpointId' | 'leaseToken' | 'attemptNumber'>;
  attempt: Omit<AttemptRecord, 'attemptNumber'>;
  delivered: boolean;
  /** When to try again; null ends a failed delivery for good. */
  retryAt: Date | null;
  /** Set to disable the endpoint (410 Gone, or failing for 5 days). */
  disableReason: string | null;
  now: Date;
}

interface ClaimRow {
  id: string;
  project_id: string;
  endpoint_id: string;
  attempts: number;
  event_id: string;
  type: string;
  data: JsonObject;
  event_created_at: Date;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
  failing_since: Date | null;
}

export function createDeliveryQueueRepository(prisma: PrismaClient) {
  return {
    /**
     * Takes up to `limit` due deliveries of enabled endpoints, oldest due first, skipping rows
     * another dispatcher holds (FOR UPDATE SKIP LOCKED). A claim moves `next_attempt_at` to the end
     * of the lease, so if this dispatcher dies the delivery falls due again by itself. The outer
     * WHERE repeats the due test: a row claimed and committed by another dispatcher after this
     * statement's snapshot is re-checked on its new version and dropped.
     */
    async claim({ now, limit, leaseUntil, inFlightByEndpoint, perEndpoint, projectId }: ClaimOptions): Promise<ClaimedDelivery[]> {
      const leaseToken = newId('lease');
      const rows = await prisma.$queryRaw<ClaimRow[]>`
        WITH due AS (
          SELECT d.id FROM webhook_deliveries d
          WHERE d.status = 'pending' AND d.next_attempt_at <= ${now}::timestamptz
            AND d.id IN (
              SELECT ranked.id FROM (
                SELECT d2.id, d2.endpoint_id,
                  row_number() OVER (PARTITION BY d2.endpoint_id ORDER BY d2.next_attempt_at, d2.id) AS rank
                FROM webhook_deliveries d2
                JOIN webhook_endpoints w ON w.id = d2.endpoint_id AND w.enabled
                WHERE d2.status = 'pending' AND d2.next_attempt_at <= ${now}::timestamptz
                  AND (${projectId ?? null}::text IS NULL OR d2.project_id = ${projectId ?? null}::text)
              ) ranked
              LEFT JOIN unnest(${[...inFlightByEndpoint.keys()]}::text[], ${[...inFlightByEndpoint.values()]}::int[])
                AS running(endpoint_id, attempts) ON running.endpoint_id = ranked.endpoint_id
              WHERE ranked.rank <= ${perEndpoint}::int - coalesce(running.attempts, 0))
          ORDER BY d.next_attempt_at, d.id
          LIMIT ${limit}::int
          FOR UPDATE OF d SKIP LOCKED
        ),
        claimed AS (
          UPDATE webhook_deliveries d
          SET next_attempt_at = ${leaseUntil}::timestamptz, lease_token = ${leaseToken}, attempts = d.attempts + 1,
            updated_at = ${now}::timestamptz
          FROM due WHERE d.id = due.id
          RETURNING d.id, d.project_id, d.endpoint_id, d.event_id, d.attempts
        )
        SELECT c.id, c.project_id, c.endpoint_id, c.attempts, c.event_id, e.type, e.data, e.created_at AS event_created_at,
          w.url, w.secret, w.previous_secret, w.previous_secret_expires_at, w.failing_since
        FROM claimed c
        JOIN events e ON e.id = c.event_id
        JOIN webhook_endpoints w ON w.id = c.endpoint_id
        ORDER BY c.id`;
      return rows.map((row) => ({
        id: row.id,
        projectId: row.project_id,
        endpointId: row.endpoint_id,
        leaseToken,
        attemptNumber: row.attempts,
        event: { id: row.event_id, type: row.type, createdAt: row.event_created_at, data: row.data },
        endpoint: {
          url: row.url,
          secret: row.secret,
          previousSecret: row.previous_secret,
          previousSecretExpiresAt: row.previous_secret_expires_at,
          failingSince: row.failing_since,
        },
      }));
    },

    /**
     * Logs the attempt and, if this dispatcher still holds the lease, settles the delivery and the
     * endpoint's failure streak. A lease lost to another dispatcher still logs the attempt.
     */
    async record(outcome: AttemptOutcome): Promise<void> {
      const { claim, attempt, delivered, retryAt, disableReason, now } = outcome;
      const status: DeliveryStatus = delivered ? 'succeeded' : retryAt ? 'pending' : 'failed';
      await prisma.$transaction(async (tx) => {
        await tx.webhookAttempt.create({
          data: { id: newId('att'), projectId: claim.projectId, deliveryId: claim.id, attemptNumber: claim.attemptNumber, ...attempt },
        });
        const settled = await tx.webhookDelivery.updateMany({
          where: { id: claim.id, leaseToken: claim.leaseToken },
          data: {
            status,
            nextAttemptAt: status === 'pending' ? retryAt : null,
            leaseToken: null,
            lastStatusCode: attempt.statusCode,
            lastError: attempt.error,
            completedAt: status === 'pending' ? null : now,
            updatedAt: now,
          },
        });
        if (settled.count === 0) return;
        if (delivered) {
          await tx.webhookEndpoint.updateMany({ where: { id: claim.endpointId, failingSince: { not: null } }, data: { failingSince: null } });
          return;
        }
        // A failure streak starts at the first failure after a success.
        await tx.webhookEndpoint.updateMany({
          where: { id: claim.endpointId, failingSince: null },
          data: { failingSince: attempt.startedAt },
        });
        if (disableReason) {
          await tx.webhookEndpoint.updateMany({
            where: { id: claim.endpointId, enabled: true },
            data: { enabled: false, disabledReason: disableReason, disabledAt: now, updatedAt: now },
          });
        }
      });
    },

    /**
     * Gives claims back unattempted (a dispatcher shutting down): due at `now`, the claim's attempt
     * uncounted, and dispatchers woken. A claim whose lease was already taken over is left alone.
     */
    async release(claims: Pick<ClaimedDelivery, 'id' | 'leaseToken'>[], now: Date): Promise<number> {
      if (claims.length === 0) return 0;
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.webhookDelivery.updateMany({
          where: { status: 'pending', OR: claims.map((claim) => ({ id: claim.id, leaseToken: claim.leaseToken })) },
          data: { nextAttemptAt: now, leaseToken: null, attempts: { decrement: 1 }, updatedAt: now },
        });
        if (count > 0) await notifyDispatchers(tx);
        return count;
      });
    },

    /** Pending deliveries, how many are due, and when the oldest pending one was created (for /metrics). */
    async backlog(now: Date): Promise<{ pending: number; due: number; oldestPendingCreatedAt: Date | null }> {
      const [row] = await prisma.$queryRaw<{ pending: bigint; due: bigint; oldest: Date | null }[]>`
        SELECT count(*) AS pending, count(*) FILTER (WHERE next_attempt_at <= ${now}::timestamptz) AS due, min(created_at) AS oldest
        FROM webhook_deliveries WHERE status = 'pending'`;
      return { pending: Number(row?.pending ?? 0), due: Number(row?.due ?? 0), oldestPendingCreatedAt: row?.oldest ?? null };
    },
  };
}

/** Wakes dispatchers at commit (inserts do it by trigger; this is for updates that make work due). */
export async function notifyDispatchers(tx: Tx): Promise<void> {
  // pg_notify returns void, which Prisma cannot read back: execute, do not query.
  await tx.$executeRaw(Prisma.sql`SELECT pg_notify(${WAKE_CHANNEL}, '')`);
}

/** The NOTIFY channel the delivery trigger uses (see the handoffs_webhooks migration). */
export const WAKE_CHANNEL = 'webhook_deliveries';

export type DeliveryQueueRepository = ReturnType<typeof createDeliveryQueueRepository>;
