import type { PrismaClient } from '../../lib/prisma.js';

export interface IdempotencyRecord {
  requestHash: string;
  statusCode: number | null;
  responseBody: unknown;
  usageRecordId: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export function createIdempotencyRepository(prisma: PrismaClient) {
  return {
    async find(projectId: string, key: string): Promise<IdempotencyRecord | null> {
      return prisma.idempotencyRecord.findUnique({
        where: { projectId_key: { projectId, key } },
        select: { requestHash: true, statusCode: true, responseBody: true, usageRecordId: true, createdAt: true, completedAt: true },
      });
    },

    /**
     * Claims the key for a request about to run. A claim left unfinished for longer than
     * `staleBefore` (a crashed request) or older than `expiredBefore` is taken over.
     * Returns false when someone else holds the key.
     */
    async claim(projectId: string, key: string, requestHash: string, now: Date, staleBefore: Date, expiredBefore: Date): Promise<boolean> {
      const claimed = await prisma.$queryRaw<{ key: string }[]>`
        INSERT INTO idempotency_records (project_id, key, request_hash, created_at)
        VALUES (${projectId}, ${key}, ${requestHash}, ${now}::timestamptz)
        ON CONFLICT (project_id, key) DO UPDATE SET
          request_hash = EXCLUDED.request_hash, created_at = EXCLUDED.created_at,
          status_code = NULL, response_body = NULL, usage_record_id = NULL, completed_at = NULL
        WHERE idempotency_records.created_at < ${expiredBefore}::timestamptz
           OR (idempotency_records.completed_at IS NULL AND idempotency_records.created_at < ${staleBefore}::timestamptz)
        RETURNING key`;
      return claimed.length > 0;
    },

    async complete(projectId: string, key: string, statusCode: number, responseBody: unknown, now: Date): Promise<void> {
      await prisma.idempotencyRecord.update({
        where: { projectId_key: { projectId, key } },
        data: { statusCode, responseBody: responseBody as object, completedAt: now },
      });
    },

    async release(projectId: string, key: string): Promise<void> {
      await prisma.idempotencyRecord.deleteMany({ where: { projectId, key, completedAt: null } });
    },

    async deleteOlderThan(before: Date): Promise<number> {
      const { count } = await prisma.idempotencyRecord.deleteMany({ where: { createdAt: { lt: before } } });
      return count;
    },
  };
}

export type IdempotencyRepository = ReturnType<typeof createIdempotencyRepository>;
