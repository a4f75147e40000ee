import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { idTimestamp } from '../../lib/ids.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { EventType } from '../webhooks/outbox.repository.js';
import type { EventHub, StreamSink, Subscription } from './event-hub.js';
import type { EventStreamRepository, StreamPosition } from './events.repository.js';

const DAY_MS = 86_400_000;

export interface StreamRequest {
  projectId: string;
  apiKeyId: string;
  /** Only this session's events (and its descendants' with `descendants`). */
  sessionId?: string;
  descendants: boolean;
  types?: readonly EventType[];
  /** Replay from after this event (Last-Event-ID, or `after`). */
  afterEventId?: string;
}

/** A stream checked and admitted, not yet started: nothing has been sent to the client. */
export interface PreparedStream {
  /**
   * Set when the event to replay after was pruned: the stream starts with a reset (the events since
   * are not all there any more), then goes on from the newest event, whose id it carries (null: none).
   */
  reset: { lastEventId: string | null } | null;
  start(sink: StreamSink): Subscription;
  /** Gives the admission back when the stream is not started after all. */
  cancel(): void;
}

export interface EventsServiceDeps {
  events: Pick<EventStreamRepository, 'positionOf' | 'head'>;
  sessions: Pick<SessionsRepository, 'find'>;
  hub: Pick<EventHub, 'admit' | 'open'>;
  clock: Clock;
  /** EVENT_RETENTION_DAYS: an unknown event id older than this was pruned, not made up. */
  eventRetentionDays?: number;
}

export function createEventsService({ events, sessions, hub, clock, eventRetentionDays }: EventsServiceDeps) {
  /** Whether an event id that is not (or no longer) in the outbox is old enough to have been pruned. */
  function wasPruned(eventId: string): boolean {
    const madeAt = idTimestamp(eventId, 'evt');
    if (eventRetentionDays === undefined || madeAt === null) return false;
    return madeAt.getTime() < clock.now().getTime() - eventRetentionDays * DAY_MS;
  }

  return {
    /**
     * Checks a stream request before anything is sent: the session exists in the project (404), the
     * event to replay after is one of the project's (400 UNKNOWN_EVENT_ID, or a reset when it was
     * pruned), and the API key may open one more stream (429 TOO_MANY_STREAMS).
     */
    async prepare(request: StreamRequest): Promise<PreparedStream> {
      const { projectId, sessionId, afterEventId } = request;
      if (sessionId !== undefined && !(await sessions.find(projectId, sessionId))) throw notFound('session', sessionId);
      let after: StreamPosition;
      let reset: PreparedStream['reset'] = null;
      const known = afterEventId === undefined ? null : await events.positionOf(projectId, afterEventId);
      if (afterEventId === undefined || known === null) {
        if (afterEventId !== undefined && !wasPruned(afterEventId)) {
          throw new AppError('UNKNOWN_EVENT_ID', {
            detail: `event ${afterEventId} does not exist in this project: send the id of an event this stream delivered`,
          });
        }
        const head = await events.head(projectId);
        after = head.position;
        if (afterEventId !== undefined) reset = { lastEventId: head.eventId };
      } else {
        after = known;
      }
      const release = await hub.admit(request.apiKeyId);
      const filter = {
        ...(request.types ? { types: new Set<string>(request.types) } : {}),
        ...(sessionId !== undefined ? { session: { id: sessionId, descendants: request.descendants } } : {}),
      };
      return { reset, start: (sink) => hub.open({ projectId, after, filter, sink, release }), cancel: release };
    },
  };
}

export type EventsService = ReturnType<typeof createEventsService>;
