import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import type { Checkpoint, CheckpointsRepository } from '../checkpoints/checkpoints.repository.js';
import type { Handoff, HandoffsRepository } from '../handoffs/handoffs.repository.js';
import type { Session } from '../../domain/session.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { UsageRepository, UsageRow } from '../usage/usage.repository.js';
import type { OutboxRepository, StoredEvent } from '../webhooks/outbox.repository.js';

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
