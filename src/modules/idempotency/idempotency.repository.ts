import type { PrismaClient, Tx } from '../../lib/prisma.js';
import type { FirstUse } from './idempotency-key.js';

/** A key's first use and what it answered (usage updates store a reference to their usage row instead). */
export interface IdempotencyRecord extends FirstUse {
  statusCode: number | null;
  responseBody: unknown;
  /** Headers the answer carried that a replay repeats (location, etag). */
  responseHeaders: Record<string, string>;
  createdAt: Date;
}

export interface StoredAnswer {
  projectId: string;
  key: string;
  requestHash: string;
  statusCode: number;
  responseBody: unknown;
  responseHeaders: Record<string, string>;
  now: Date;
  /** A record older than this is expired: the key may be used afresh. */
  expiredBefore: Date;
}

// The first of the two advisory-lock keys the service takes for Idempotency-Keys (the second is the
// key's hash); the two-key space never meets the migrations' single-key lock.
const KEY_LOCK_SPACE = 72707370;

export function createIdempotencyRepository(prisma: PrismaClient) {
  /** INSERT of an answer, over an expired record of the key; false when a live record holds it. */
  async function insert(client: Tx | PrismaClient, answer: StoredAnswer): Promise<boolean> {
    const { projectId, key, requestHash, statusCode, now, expiredBefore } = answer;
    const rows = await client.$queryRaw<{ key: string }[]>`
      INSERT INTO idempotency_records (project_id, key, request_hash, status_code, response_body, response_headers, created_at)
      VALUES (${projectId}, ${key}, ${requestHash}, ${statusCode}::int, ${JSON.stringify(answer.responseBody)}::jsonb,
        ${JSON.stringify(answer.responseHeaders)}::jsonb, ${now}::timestamptz)
      ON CONFLICT (project_id, key) DO UPDATE SET
        request_hash = EXCLUDED.request_hash, status_code = EXCLUDED.status_code, response_body = EXCLUDED.response_body,
        response_headers = EXCLUDED.response_headers, usage_record_id = NULL, created_at = EXCLUDED.created_at
      WHERE idempotency_records.created_at < ${expiredBefore}::timestamptz
        -- a claim the plugin of earlier versions left unfinished: it has no answer to replay
        OR (idempotency_records.status_code IS NULL AND idempotency_records.usage_record_id IS NULL)
      RETURNING key`;
    return rows.length > 0;
  }

  return {
    transaction: <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => prisma.$transaction(fn),

    /**
     * Takes the key for the rest of the transaction, unless another transaction holds it (a
     * request with the same key still running): then false, at once, without waiting.
     */
    async lockKey(tx: Tx, projectId: string, key: string): Promise<boolean> {
      const rows = await tx.$queryRaw<{ locked: boolean }[]>`
        SELECT pg_try_advisory_xact_lock(${KEY_LOCK_SPACE}::int, hashtext(${projectId} || ' ' || ${key})) AS locked`;
      return rows[0]?.locked === true;
    },

    /** The key's record unless it expired (created before `expiredBefore`). */
    async findLive(projectId: string, key: string, expiredBefore: Date, tx: Tx | PrismaClient = prisma): Promise<IdempotencyRecord | null> {
      const row = await tx.idempotencyRecord.findFirst({
        where: { projectId, key, createdAt: { gte: expiredBefore }, OR: [{ statusCode: { not: null } }, { usageRecordId: { not: null } }] },
        select: { requestHash: true, statusCode: true, responseBody: true, responseHeaders: true, usageRecordId: true, createdAt: true },
      });
      return row ? { ...row, responseHeaders: (row.responseHeaders ?? {}) as Record<string, string> } : null;
    },

    /** Stores the answer of a change in the change's own transaction; false when a live record holds the key. */
    store: (tx: Tx, answer: StoredAnswer): Promise<boolean> => insert(tx, answer),

    /** Stores a refusal (nothing changed, so no transaction to join); a record already there wins. */
    async storeRefusal(answer: StoredAnswer): Promise<void> {
      await insert(prisma, answer);
    },

    async deleteExpired(projectId: string, key: string, expiredBefore: Date): Promise<void> {
      await prisma.idempotencyRecord.deleteMany({ where: { projectId, key, createdAt: { lt: expiredBefore } } });
    },

    async deleteOlderThan(before: Date): Promise<number> {
      const { count } = await prisma.idempotencyRecord.deleteMany({ where: { createdAt: { lt: before } } });
      return count;
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
