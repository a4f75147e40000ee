// The transactional outbox: events are written by the transaction of the change that caused them,
// so an event exists exactly when its change committed. Delivery reads them from here.
import type { Clock } from '../../lib/clock.js';
import { newId } from '../../lib/ids.js';
import type { Tx } from '../../lib/prisma.js';
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
