import type { Database } from '../../lib/db.js';
import { Prisma, type PrismaClient } from '../../lib/prisma.js';
import type { SessionStatus } from '../../domain/session.js';
import type { TokenClasses } from '../../domain/token-classes.js';
import { decimalText } from '../../lib/decimal.js';
import type { ModelCatalog } from '../models/models.js';
import { catalogPricesSql } from './usage-cost.repository.js';
import {
  RECORD_USAGE_NO_CROSSING_KEYED_STATEMENT,
  RECORD_USAGE_NO_CROSSING_STATEMENT,
  RECORD_USAGE_STATEMENT,
  recordUsageNoCrossingSql,
  recordUsageSql,
  type UsageWrite,
} from './usage-statements.repository.js';

export type { UsageWrite };

export interface UsageRow {
  /** The tokens counted on the budget. */
  tokens: number;
  classes: TokenClasses | null;
  provider: string | null;
  costUsd: string | null;
  priceVersion: string | null;
  costUsedAfter: string;
  costLimitAfter: string | null;
  costCrossed: number[];
  usedAfter: number;
  totalAfter: number;
  crossed: number[];
  statusAfter: SessionStatus;
  model: string | null;
  source: string | null;
  origin: string | null;
  createdAt: Date;
}

export interface RecordedUsage {
  total: number;
  used: number;
  reserved: number;
  status: SessionStatus;
  thresholds: number[];
  crossed: number[];
  /** The tokens counted on the budget (the session's count mode applied). */
  counted: number;
  costUsd: string | null;
  priceVersion: string | null;
  costUsedUsd: string;
  costLimitUsd: string | null;
  costCrossed: number[];
}

interface RecordedRow {
  total: bigint;
  used: bigint;
  reserved: bigint;
  status: SessionStatus;
  thresholds: number[];
  crossed: number[];
  counted: number;
  cost_usd: string | null;
  price_version: string | null;
  cost_used_usd: string;
  cost_limit_usd: string | null;
  cost_crossed: number[];
}

export function createUsageRepository(prisma: PrismaClient, hotQuery: Database['hotQuery'], catalog: ModelCatalog) {
  const catalogPrices = catalogPricesSql(catalog);
  return {
    /**
     * Runs recordUsageSql (`mayCross`) or recordUsageNoCrossingSql. Returns null when no session was
     * updated: missing, other project, a status that refuses usage, or (without `mayCross`) an
     * update that would cross something. A reused Idempotency-Key fails the whole statement with a
     * unique violation.
     */
    async record(write: UsageWrite, { mayCross }: { mayCross: boolean }): Promise<RecordedUsage | null> {
      // Straight to the driver, prepared once per connection: Prisma's own work would cost this
      // statement about a third of its CPU, and re-planning it every time most of PostgreSQL's (bench/RESULTS.md).
      const [name, statement] = mayCross
        ? [RECORD_USAGE_STATEMENT, recordUsageSql(write, catalogPrices)]
        : [
            write.idempotency ? RECORD_USAGE_NO_CROSSING_KEYED_STATEMENT : RECORD_USAGE_NO_CROSSING_STATEMENT,
            recordUsageNoCrossingSql(write, catalogPrices),
          ];
      const rows = await hotQuery<RecordedRow>({ name, text: statement.text, values: statement.values });
      const row = rows[0];
      return row
        ? {
            total: Number(row.total),
            used: Number(row.used),
            reserved: Number(row.reserved),
            status: row.status,
            thresholds: row.thresholds,
            crossed: row.crossed,
            counted: Number(row.counted),
            costUsd: row.cost_usd,
            priceVersion: row.price_version,
            costUsedUsd: row.cost_used_usd,
            costLimitUsd: row.cost_limit_usd,
            costCrossed: row.cost_crossed,
          }
        : null;
    },

    /**
     * Why an update touched no row (a second query, on that path only): the session's status and,
     * archived by emergency recovery, its successor; null when it is not in this project.
     */
    /** The tokens of the live holds counting on the session at `now`. */
    async liveReserved(sessionId: string, now: Date): Promise<number> {
      const rows = await prisma.$queryRaw<{ reserved: bigint }[]>`SELECT sss_reserved(${sessionId}, ${now}::timestamptz) AS reserved`;
      return Number(rows[0]?.reserved ?? 0);
    },

    async sessionStatus(projectId: string, sessionId: string): Promise<{ status: SessionStatus; recoveredToSessionId: string | null } | null> {
      const session = await prisma.session.findFirst({
        where: { id: sessionId, projectId },
        select: { status: true, recoveredToSessionId: true },
      });
      return session ? { status: session.status as SessionStatus, recoveredToSessionId: session.recoveredToSessionId } : null;
    },

    /** One update of the project's session (by the primary key; project_id keeps it on one shard on Citus). */
    async find(projectId: string, sessionId: string, id: string): Promise<UsageRow | null> {
      const row = await prisma.usageRecord.findFirst({ where: { sessionId, id, projectId } });
      return row ? toUsageRow(row) : null;
    },

    /** A session's updates, oldest first, `limit` at a time after `afterId` (for export). */
    async listAfter(projectId: string, sessionId: string, afterId: string | undefined, limit: number): Promise<(UsageRow & { id: string })[]> {
      const rows = await prisma.usageRecord.findMany({
        where: { projectId, sessionId, ...(afterId !== undefined ? { id: { gt: afterId } } : {}) },
        orderBy: { id: 'asc' },
        take: limit,
      });
      return rows.map((row) => ({ id: row.id, ...toUsageRow(row) }));
    },

    /**
     * Deletes up to `batchSize` usage rows created before `before` (the oldest first); the caller
     * repeats until fewer come back, so no single statement holds locks for long.
     */
    async deleteOlderThan(before: Date, batchSize: number): Promise<number> {
      return prisma.$executeRaw`
        DELETE FROM usage_records WHERE (session_id, id) IN (
          SELECT session_id, id FROM usage_records WHERE created_at < ${before}::timestamptz ORDER BY created_at LIMIT ${batchSize}::int)`;
    },

    /** Newest first; the cursor is the last id of the previous page. */
    async list(projectId: string, sessionId: string, limit: number, beforeId?: string): Promise<(UsageRow & { id: string })[]> {
      const rows = await prisma.usageRecord.findMany({
        where: { projectId, sessionId, ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}) },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map((row) => ({ id: row.id, ...toUsageRow(row) }));
    },
  };
}

function toUsageRow(row: {
  tokens: number;
  inputTokens: number | null;
  outputTokens: number | null;
  provider: string | null;
  cacheReadTokens: number | null;
  cacheWriteTokens: number | null;
  cacheWrite1hTokens: number | null;
  reasoningTokens: number | null;
  costUsd: Prisma.Decimal | null;
  priceVersion: string | null;
  costUsedAfter: Prisma.Decimal | null;
  costLimitAfter: Prisma.Decimal | null;
  costCrossed: number[];
  usedAfter: bigint;
  totalAfter: bigint;
  crossed: number[];
  statusAfter: string;
  model: string | null;
  source: string | null;
  origin: string | null;
  createdAt: Date;
}): UsageRow {
  return {
    tokens: row.tokens,
    classes:
      row.inputTokens === null
        ? null
        : {
            input: row.inputTokens,
            cacheRead: row.cacheReadTokens ?? 0,
            cacheWrite: row.cacheWriteTokens ?? 0,
            cacheWrite1h: row.cacheWrite1hTokens ?? 0,
            output: row.outputTokens ?? 0,
            reasoning: row.reasoningTokens ?? 0,
          },
    provider: row.provider,
    costUsd: decimalText(row.costUsd),
    priceVersion: row.priceVersion,
    costUsedAfter: decimalText(row.costUsedAfter) ?? '0',
    costLimitAfter: decimalText(row.costLimitAfter),
    costCrossed: row.costCrossed,
    usedAfter: Number(row.usedAfter),
    totalAfter: Number(row.totalAfter),
    crossed: row.crossed,
    statusAfter: row.statusAfter as SessionStatus,
    model: row.model,
    source: row.source,
    origin: row.origin,
    createdAt: row.createdAt,
  };
}

export type UsageRepository = ReturnType<typeof createUsageRepository>;
