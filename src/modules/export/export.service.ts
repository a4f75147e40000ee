import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import type { Checkpoint, CheckpointsRepository } from '../checkpoints/checkpoints.repository.js';
import type { Handoff, HandoffsRepository } from '../handoffs/handoffs.repository.js';
import type { Session } from '../../domain/session.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { UsageRepository, UsageRow } from '../usage/usage.repository.js';
import type { OutboxRepository, StoredEvent } from '../webhooks/outbox.repository.js';
import type { TokensByClass } from '../summary/summary.repository.js';
import { addUsd } from '../../domain/prices.js';

export interface UsageTotals {
  costUsd: string;
  tokensByClass: TokensByClass;
  byModel: { model: string; updates: number; tokens: number; costUsd: string }[];
}

/** Tokens per class and exact cost per model of a session's usage rows (a row without model ran on the session's). */
export function createUsageTotals(session: Session) {
  const tokensByClass: TokensByClass = { input: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0, output: 0, reasoning: 0, unclassified: 0 };
  const byModel = new Map<string, { updates: number; tokens: number; costUsd: string }>();
  return {
    add(row: UsageRow): void {
      const c = row.classes;
      if (c) {
        tokensByClass.input += c.input;
        tokensByClass.cache_read += c.cacheRead;
        tokensByClass.cache_write += c.cacheWrite;
        tokensByClass.cache_write_1h += c.cacheWrite1h;
        tokensByClass.output += c.output;
        tokensByClass.reasoning += c.reasoning;
      } else tokensByClass.unclassified += row.tokens;
      const model = row.model ?? session.model;
      const entry = byModel.get(model) ?? { updates: 0, tokens: 0, costUsd: '0' };
      byModel.set(model, { updates: entry.updates + 1, tokens: entry.tokens + row.tokens, costUsd: addUsd(entry.costUsd, row.costUsd ?? '0') });
    },
    result: (): UsageTotals => ({
      costUsd: session.costUsedUsd,
      tokensByClass: { ...tokensByClass },
      byModel: [...byModel].sort(([a], [b]) => (a < b ? -1 : 1)).map(([model, entry]) => ({ model, ...entry })),
    }),
  };
}

/**
 * Rows read per statement. A checkpoint carries up to CHECKPOINT_MAX_BYTES of snapshot (a handoff
 * its package), so few of them at a time bound the memory an export holds; the small rows come
 * in larger batches. Between statements no connection is held, so other requests go on.
 */
export const EXPORT_BATCH_ROWS = { checkpoints: 4, handoffs: 4, usage: 500, events: 500 } as const;

/**
 * One session's export: the session, and its checkpoints, usage, handoffs and events, each read
 * oldest first in keyset batches as the export is written (rows written meanwhile may be in it).
 */
export interface SessionExport {
  exportedAt: Date;
  session: Session;
  checkpoints: AsyncIterable<Checkpoint>;
  usage: AsyncIterable<UsageRow>;
  handoffs: AsyncIterable<Handoff>;
  events: AsyncIterable<StoredEvent>;
}

export interface ExportServiceDeps {
  sessions: Pick<SessionsRepository, 'find'>;
  checkpoints: Pick<CheckpointsRepository, 'listAfter'>;
  usage: Pick<UsageRepository, 'listAfter'>;
  events: Pick<OutboxRepository, 'listForSessionAfter'>;
  handoffs: Pick<HandoffsRepository, 'listForSessionAfter'>;
  clock: Clock;
}

/** Every row of a keyset-paged read: `read(after, limit)` returns the rows after `after`, in order. */
async function* batched<T, K>(read: (after: K | undefined, limit: number) => Promise<T[]>, keyOf: (row: T) => K, limit: number): AsyncGenerator<T> {
  let after: K | undefined;
  for (;;) {
    const rows = await read(after, limit);
    yield* rows;
    if (rows.length < limit) return;
    after = keyOf(rows.at(-1)!);
  }
}

export function createExportService({ sessions, checkpoints, usage, events, handoffs, clock }: ExportServiceDeps) {
  return {
    /** Everything the service keeps about one session, oldest first; 404 before anything is read when it does not exist. */
    async exportSession(projectId: string, sessionId: string): Promise<SessionExport> {
      const session = await sessions.find(projectId, sessionId);
      if (!session) throw notFound('session', sessionId);
      const byId = (row: { id: string }) => row.id;
      return {
        exportedAt: clock.now(),
        session,
        checkpoints: batched((after, limit) => checkpoints.listAfter(projectId, sessionId, after, limit), byId, EXPORT_BATCH_ROWS.checkpoints),
        usage: batched((after, limit) => usage.listAfter(projectId, sessionId, after, limit), byId, EXPORT_BATCH_ROWS.usage),
        handoffs: batched((after, limit) => handoffs.listForSessionAfter(projectId, sessionId, after, limit), byId, EXPORT_BATCH_ROWS.handoffs),
        events: batched<StoredEvent & { seq: bigint }, bigint>(
          (after, limit) => events.listForSessionAfter(projectId, sessionId, after, limit),
          (row) => row.seq,
          EXPORT_BATCH_ROWS.events,
        ),
      };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
