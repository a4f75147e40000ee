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
export function usageTotals(session: Session, rows: UsageRow[]): UsageTotals {
  const tokensByClass: TokensByClass = { input: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0, output: 0, reasoning: 0, unclassified: 0 };
  const byModel = new Map<string, { updates: number; tokens: number; costUsd: string }>();
  for (const row of rows) {
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
  }
  return {
    costUsd: session.costUsedUsd,
    tokensByClass,
    byModel: [...byModel].sort(([a], [b]) => (a < b ? -1 : 1)).map(([model, entry]) => ({ model, ...entry })),
  };
}

export interface SessionExport {
  exportedAt: Date;
  session: Session;
  checkpoints: Checkpoint[];
  usage: UsageRow[];
  handoffs: Handoff[];
  events: StoredEvent[];
}

export interface ExportServiceDeps {
  sessions: Pick<SessionsRepository, 'find'>;
  checkpoints: Pick<CheckpointsRepository, 'listAll'>;
  usage: Pick<UsageRepository, 'listAll'>;
  events: Pick<OutboxRepository, 'listForSession'>;
  handoffs: Pick<HandoffsRepository, 'listAllForSession'>;
  clock: Clock;
}

export function createExportService({ sessions, checkpoints, usage, events, handoffs, clock }: ExportServiceDeps) {
  return {
    /** Everything the service keeps about one session, oldest first, as one document. */
    async exportSession(projectId: string, sessionId: string): Promise<SessionExport> {
      const session = await sessions.find(projectId, sessionId);
      if (!session) throw notFound('session', sessionId);
      return {
        exportedAt: clock.now(),
        session,
        checkpoints: await checkpoints.listAll(projectId, sessionId),
        usage: await usage.listAll(projectId, sessionId),
        handoffs: await handoffs.listAllForSession(projectId, sessionId),
        events: await events.listForSession(projectId, sessionId),
      };
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
