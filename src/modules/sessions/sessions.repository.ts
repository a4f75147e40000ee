import type { Session as SessionRow } from '../../generated/prisma/client.js';
import { Prisma, type PrismaClient, type Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';
import type { Session, SessionStatus } from '../../domain/session.js';
import { systemClock, type Clock } from '../../lib/clock.js';
import type { CountMode } from '../../domain/token-classes.js';
import { decimalText } from '../../lib/decimal.js';

export function toSession(row: SessionRow): Session {
  return {
    id: row.id,
    projectId: row.projectId,
    taskId: row.taskId,
    externalId: row.externalId,
    model: row.model,
    status: row.status as SessionStatus,
    total: Number(row.total),
    used: Number(row.used),
    // An upper bound until withLiveReserved() sums the live holds (0 is exact: nothing is held).
    reserved: Number(row.heldTokens),
    thresholds: row.thresholds,
    nonCriticalKeys: row.nonCriticalKeys,
    context: row.context as JsonObject,
    deferredContext: row.deferredContext as JsonObject,
    metadata: row.metadata as JsonObject,
    parentSessionId: row.parentSessionId,
    forkCheckpointId: row.forkCheckpointId,
    recoveredFromSessionId: row.recoveredFromSessionId,
    recoveredToSessionId: row.recoveredToSessionId,
    recoveryCheckpointId: row.recoveryCheckpointId,
    mergedIntoSessionId: row.mergedIntoSessionId,
    checkpointsCount: row.checkpointsCount,
    countMode: row.countMode as CountMode,
    costUsedUsd: decimalText(row.costUsedUsd) ?? '0',
    costLimitUsd: decimalText(row.costLimitUsd),
    costThresholds: row.costThresholds,
    version: row.version,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    lastResumedAt: row.lastResumedAt,
    lastRecoveryAt: row.lastRecoveryAt,
    archivedAt: row.archivedAt,
  };
}

export type NewSession = Pick<
  Session,
  'id' | 'projectId' | 'taskId' | 'model' | 'status' | 'total' | 'thresholds' | 'nonCriticalKeys' | 'context' | 'metadata' | 'createdAt'
> &
  Partial<
    Pick<
      Session,
      | 'countMode'
      | 'costLimitUsd'
      | 'costThresholds'
      | 'externalId'
      | 'deferredContext'
      | 'parentSessionId'
      | 'forkCheckpointId'
      | 'recoveredFromSessionId'
      | 'recoveryCheckpointId'
      | 'lastRecoveryAt'
    >
  >;

export interface SessionFilters {
  status?: SessionStatus;
  taskId?: string;
  parentSessionId?: string;
  externalId?: string;
}

/** The fields a change may set, already computed by the service. */
export type SessionChanges = Partial<
  Pick<
    Session,
    | 'total'
    | 'externalId'
    | 'thresholds'
    | 'countMode'
    | 'costLimitUsd'
    | 'costThresholds'
    | 'nonCriticalKeys'
    | 'context'
    | 'deferredContext'
    | 'metadata'
    | 'status'
    | 'checkpointsCount'
    | 'lastResumedAt'
    | 'lastRecoveryAt'
    | 'archivedAt'
    | 'mergedIntoSessionId'
    | 'recoveredToSessionId'
  >
> & { updatedAt: Date };

/** `s.status IN (...)` over statuses from the state machine's table (constants, never input), for hot-path SQL. */
export const sessionStatusInSql = (statuses: readonly SessionStatus[]): Prisma.Sql =>
  Prisma.raw(`s.status IN (${statuses.map((status) => `'${status}'`).join(', ')})`);

export function createSessionsRepository(prisma: PrismaClient, clock: Clock = systemClock) {
  /**
   * Sets `reserved` to the tokens of the live holds at this instant (a hold past expires_at no
   * longer counts, swept or not). Sessions holding nothing (held_tokens = 0) cost no query.
   */
  async function withLiveReserved<S extends Session>(db: Tx | PrismaClient, sessions: S[]): Promise<S[]> {
    const holding = sessions.filter((session) => session.reserved > 0).map((session) => session.id);
    if (holding.length === 0) return sessions;
    const rows = await db.$queryRaw<{ id: string; reserved: bigint }[]>`
      SELECT id, sss_reserved(id, ${clock.now()}::timestamptz) AS reserved FROM unnest(${holding}::text[]) AS h(id)`;
    const reserved = new Map(rows.map((row) => [row.id, Number(row.reserved)]));
    for (const session of sessions) if (reserved.has(session.id)) session.reserved = reserved.get(session.id)!;
    return sessions;
  }
  const one = async (db: Tx | PrismaClient, session: Session): Promise<Session> => (await withLiveReserved(db, [session]))[0]!;

  return {
    async insert(tx: Tx, session: NewSession): Promise<Session> {
      const row = await tx.session.create({
        data: {
          ...session,
          total: BigInt(session.total),
          context: session.context as object,
          deferredContext: (session.deferredContext ?? {}) as object,
          metadata: session.metadata as object,
          updatedAt: session.createdAt,
        },
      });
      return toSession(row);
    },

    async find(projectId: string, id: string, db: Tx | PrismaClient = prisma): Promise<Session | null> {
      const row = await db.session.findFirst({ where: { id, projectId } });
      return row ? one(db, toSession(row)) : null;
    },

    /** The sessions of `projectId` named by these external ids (those that exist). */
    async findByExternalIds(projectId: string, externalIds: string[]): Promise<Session[]> {
      if (externalIds.length === 0) return [];
      const rows = await prisma.session.findMany({ where: { projectId, externalId: { in: externalIds } } });
      return withLiveReserved(prisma, rows.map(toSession));
    },

    /** The sessions of `projectId` among these ids (those that exist). */
    async findMany(projectId: string, ids: string[]): Promise<Session[]> {
      if (ids.length === 0) return [];
      const rows = await prisma.session.findMany({ where: { projectId, id: { in: ids } } });
      return withLiveReserved(prisma, rows.map(toSession));
    },

    /** Newest first; `beforeId` is the last id of the previous page. */
    async list(projectId: string, filters: SessionFilters, limit: number, beforeId?: string): Promise<Session[]> {
      const rows = await prisma.session.findMany({
        where: {
          projectId,
          status: filters.status,
          taskId: filters.taskId,
          parentSessionId: filters.parentSessionId,
          externalId: filters.externalId,
          ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}),
        },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return withLiveReserved(prisma, rows.map(toSession));
    },

    /** Reads the session and locks its row until the transaction ends. */
    async findForUpdate(tx: Tx, projectId: string, id: string): Promise<Session | null> {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM sessions WHERE id = ${id} AND project_id = ${projectId} FOR UPDATE`;
      if (locked.length === 0) return null;
      const row = await tx.session.findUniqueOrThrow({ where: { id } });
      return one(tx, toSession(row));
    },

    /** Locks the rows of `ids` in id order (so two transactions locking the same pair cannot deadlock). */
    async findManyForUpdate(tx: Tx, projectId: string, ids: string[]): Promise<Map<string, Session>> {
      const locked = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM sessions WHERE id = ANY (${ids}::text[]) AND project_id = ${projectId} ORDER BY id FOR UPDATE`;
      if (locked.length === 0) return new Map();
      const rows = await tx.session.findMany({ where: { id: { in: locked.map((row) => row.id) } } });
      return new Map((await withLiveReserved(tx, rows.map(toSession))).map((session) => [session.id, session]));
    },

    /** The session recovered from `id` by an emergency recovery, if any. */
    async findRecoveredFrom(tx: Tx, projectId: string, id: string): Promise<Session | null> {
      const row = await tx.session.findFirst({ where: { projectId, recoveredFromSessionId: id } });
      return row ? one(tx, toSession(row)) : null;
    },

    async update(tx: Tx, id: string, changes: SessionChanges): Promise<Session> {
      const { total, context, deferredContext, metadata, ...rest } = changes;
      const row = await tx.session.update({
        where: { id },
        data: {
          ...rest,
          ...(total !== undefined ? { total: BigInt(total) } : {}),
          ...(context !== undefined ? { context: context as object } : {}),
          ...(deferredContext !== undefined ? { deferredContext: deferredContext as object } : {}),
          ...(metadata !== undefined ? { metadata: metadata as object } : {}),
          version: { increment: 1 },
        },
      });
      return one(tx, toSession(row));
    },

    transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
      return prisma.$transaction(fn);
    },
  };
}

export type SessionsRepository = ReturnType<typeof createSessionsRepository>;
