// The transactional outbox: events are written by the transaction of the change that caused them,
// so an event exists exactly when its change committed. Delivery reads them from here.
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { PrismaClient, Tx } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';

export type EventType =
  | 'session.threshold_crossed'
  | 'session.created'
  | 'session.archived'
  | 'session.emergency_recovered'
  | 'checkpoint.created'
  | 'handoff.created'
  | 'handoff.accepted'
  | 'handoff.rejected'
  | 'orchestration.completed'
  | 'webhook.test';

export interface NewEvent {
  projectId: string;
  type: EventType;
  sessionId?: string;
  data: JsonObject;
}

export async function appendEvents(tx: Tx, clock: Clock, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  const createdAt = clock.now();
  await tx.event.createMany({
    data: events.map((event) => ({
      id: newId('evt'),
      projectId: event.projectId,
      type: event.type,
      sessionId: event.sessionId ?? null,
      data: event.data as object,
      createdAt,
    })),
  });
}

export interface StoredEvent {
  id: string;
  type: EventType;
  sessionId: string | null;
  data: JsonObject;
  createdAt: Date;
}

export function createEventsRepository(prisma: PrismaClient) {
  return {
    /** The events about a session, in the order they were written. */
    async listForSession(projectId: string, sessionId: string): Promise<StoredEvent[]> {
      const rows = await prisma.event.findMany({ where: { projectId, sessionId }, orderBy: { seq: 'asc' } });
      return rows.map((row) => ({
        id: row.id,
        type: row.type as EventType,
        sessionId: row.sessionId,
        data: row.data as JsonObject,
        createdAt: row.createdAt,
      }));
    },
  };
}

export type EventsRepository = ReturnType<typeof createEventsRepository>;
