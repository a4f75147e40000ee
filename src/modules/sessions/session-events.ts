// The outbox events about a session's life, built in one place so every path emits the same shape.
import type { NewEvent } from '../webhooks/outbox.repository.js';
import type { Session } from '../../domain/session.js';
import { costPositionPercent } from '../../domain/prices.js';

export const sessionCreatedEvent = (session: Session): NewEvent => ({
  projectId: session.projectId,
  type: 'session.created',
  sessionId: session.id,
  data: {
    session_id: session.id,
    task_id: session.taskId,
    external_id: session.externalId,
    model: session.model,
    total: session.total,
    parent_session_id: session.parentSessionId,
    fork_checkpoint_id: session.forkCheckpointId,
    recovered_from_session_id: session.recoveredFromSessionId,
  },
});

export type ArchiveReason = 'archived' | 'merged' | 'emergency_recovery';

export const sessionArchivedEvent = (session: Session, reason: ArchiveReason): NewEvent => ({
  projectId: session.projectId,
  type: 'session.archived',
  sessionId: session.id,
  data: { session_id: session.id, task_id: session.taskId, reason, merged_into_session_id: session.mergedIntoSessionId },
});

/** The `data` of a `session.cost_threshold_crossed` event (the usage statement builds the same object). */
export const costThresholdCrossedData = (session: Session, threshold: number) => ({
  session_id: session.id,
  task_id: session.taskId,
  threshold,
  used_usd: session.costUsedUsd,
  limit_usd: session.costLimitUsd,
  position_percent: costPositionPercent(session.costUsedUsd, session.costLimitUsd),
});
