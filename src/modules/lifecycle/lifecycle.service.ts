// Resume, archive, fork, merge and emergency recovery: each one transaction over locked rows, the
// state machine (transitions.ts) deciding what is allowed, events written with the change.
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Tx } from '../../lib/transaction.js';
import type { Checkpoint, CheckpointsRepository } from '../checkpoints/checkpoints.repository.js';
import { assertIntact, type CheckpointsService } from '../checkpoints/checkpoints.service.js';
import { appendEvents } from '../webhooks/outbox.repository.js';
import { LOW_BUDGET_TOKENS, deferNonCriticalContext } from '../../domain/budget.js';
import { assertCheckpointable } from '../../domain/context-size.js';
import { mergeContexts, type MergeStrategy } from './context-merge.js';
import { forkTaskId } from './fork-task-id.js';
import type { Session } from '../../domain/session.js';
import type { NewSession, SessionsRepository } from '../sessions/sessions.repository.js';
import type { ReservationsRepository } from '../reservations/reservations.repository.js';
import { sessionArchivedEvent, sessionCreatedEvent } from '../sessions/session-events.js';
import { assertAllowed, nextStatus } from '../../domain/transitions.js';

export const EMERGENCY_RECOVERY_PHASE = 'emergency_recovery';

export interface ForkInput {
  checkpointId?: string;
  taskId?: string;
  total?: number;
}

export interface EmergencyRecovery {
  originalSessionId: string;
  checkpoint: Checkpoint;
  newSession: Session;
}

export interface LifecycleServiceDeps {
  sessions: SessionsRepository;
  checkpoints: Pick<CheckpointsRepository, 'find' | 'latestOf'>;
  takeCheckpoint: CheckpointsService['take'];
  /** Archive, emergency recovery and merge end the session's holds in their own transaction. */
  holds: Pick<ReservationsRepository, 'endHoldsOf'>;
  clock: Clock;
  /** CHECKPOINT_MAX_BYTES: a merge may not make a context that no checkpoint could hold. */
  maxContextBytes: number;
}

/** What a child session (fork or recovery) inherits from the session it comes from; the budget starts fresh. */
const inheritedFrom = (source: Session, createdAt: Date) => ({
  id: newId('sess'),
  projectId: source.projectId,
  model: source.model,
  status: 'active' as const,
  total: source.total,
  thresholds: source.thresholds,
  nonCriticalKeys: source.nonCriticalKeys,
  metadata: source.metadata,
  createdAt,
});

export function createLifecycleService({ sessions, checkpoints, takeCheckpoint, holds, clock, maxContextBytes }: LifecycleServiceDeps) {
  async function lock(tx: Tx, projectId: string, id: string): Promise<Session> {
    const session = await sessions.findForUpdate(tx, projectId, id);
    if (!session) throw notFound('session', id);
    return session;
  }

  async function insertWithEvent(tx: Tx, session: NewSession): Promise<Session> {
    const created = await sessions.insert(tx, session);
    await appendEvents(tx, clock, [sessionCreatedEvent(created)]);
    return created;
  }

  /** The checkpoint a fork starts from: the one named (of this session, intact) or the latest. */
  async function forkPoint(tx: Tx, parent: Session, checkpointId: string | undefined): Promise<Checkpoint | null> {
    if (checkpointId === undefined) return checkpoints.latestOf(tx, parent.id);
    const checkpoint = await checkpoints.find(parent.projectId, checkpointId, tx);
    if (!checkpoint) throw notFound('checkpoint', checkpointId);
    if (checkpoint.sessionId !== parent.id) {
      throw new AppError('CHECKPOINT_NOT_IN_SESSION', {
        detail: `checkpoint ${checkpointId} belongs to session ${checkpoint.sessionId}, not ${parent.id}`,
        errors: [{ path: 'body.checkpoint_id', message: `is not a checkpoint of session ${parent.id}` }],
      });
    }
    return checkpoint;
  }

  async function forkWithin(tx: Tx, projectId: string, parentId: string, input: ForkInput): Promise<Session> {
    const parent = await sessions.find(projectId, parentId, tx);
    if (!parent) throw notFound('session', parentId);
    const checkpoint = await forkPoint(tx, parent, input.checkpointId);
    if (checkpoint) assertIntact(checkpoint);
    return insertWithEvent(tx, {
      ...inheritedFrom(parent, clock.now()),
      taskId: input.taskId ?? forkTaskId(parent.taskId),
      total: input.total ?? parent.total,
      context: checkpoint ? checkpoint.contextSnapshot : parent.context,
      parentSessionId: parent.id,
      forkCheckpointId: checkpoint?.id ?? null,
    });
  }

  return {
    /** Status `resumed`; below 30,000 available tokens the non-critical context is deferred first. */
    async resume(projectId: string, id: string): Promise<Session> {
      return sessions.transaction(async (tx) => {
        const session = await lock(tx, projectId, id);
        const status = nextStatus('resume', session);
        const now = clock.now();
        const deferred =
          session.total - session.used < LOW_BUDGET_TOKENS
            ? deferNonCriticalContext(session.context, session.deferredContext, session.nonCriticalKeys)
            : { context: session.context, deferred: session.deferredContext };
        return sessions.update(tx, id, {
          status,
          context: deferred.context,
          deferredContext: deferred.deferred,
          lastResumedAt: now,
          updatedAt: now,
        });
      });
    },

    async archive(projectId: string, id: string): Promise<Session> {
      return sessions.transaction(async (tx) => {
        const session = await lock(tx, projectId, id);
        const status = nextStatus('archive', session);
        const now = clock.now();
        await holds.endHoldsOf(tx, id, 'archived', now);
        const archived = await sessions.update(tx, id, { status, archivedAt: now, updatedAt: now });
        await appendEvents(tx, clock, [sessionArchivedEvent(archived, 'archived')]);
        return archived;
      });
    },

    /**
     * A child session from a checkpoint of `parentId` (the named one, else the latest, else the
     * parent's current context), with a fresh budget of the parent's size unless `total` is given.
     * Any session may be forked, an archived one too: forking reads the parent and never changes it.
     */
    async fork(projectId: string, parentId: string, input: ForkInput): Promise<Session> {
      return sessions.transaction((tx) => forkWithin(tx, projectId, parentId, input));
    },

    /** The same fork inside the caller's transaction (an orchestration records its exploration with it). */
    forkWithin,

    /**
     * Folds a fork's context into its parent `keptId` and archives the fork. Both rows are locked
     * (in id order), so of two racing merges of one fork exactly one succeeds; the other sees the
     * fork merged and gets 409. A merged context past CHECKPOINT_MAX_BYTES is 413, as a PATCH's is.
     */
    async merge(projectId: string, keptId: string, forkId: string, strategy: MergeStrategy): Promise<Session> {
      return sessions.transaction(async (tx) => {
        const locked = await sessions.findManyForUpdate(tx, projectId, [keptId, forkId]);
        const kept = locked.get(keptId);
        const fork = locked.get(forkId);
        if (!kept) throw notFound('session', keptId);
        if (!fork) throw notFound('session', forkId);
        if (fork.parentSessionId !== kept.id) {
          throw new AppError('NOT_A_FORK', {
            detail: `session ${forkId} is not a fork of session ${keptId}: a fork merges only into its own parent`,
            errors: [{ path: 'body.fork_session_id', message: `is not a fork of session ${keptId}` }],
          });
        }
        if (fork.mergedIntoSessionId !== null) {
          throw new AppError('FORK_ALREADY_MERGED', { detail: `fork ${forkId} was already merged into session ${fork.mergedIntoSessionId}` });
        }
        assertAllowed('merge_into', kept);
        const forkStatus = nextStatus('merge_fork', fork);

        const context = mergeContexts(kept.context, fork.context, strategy);
        assertCheckpointable(context, maxContextBytes);
        const now = clock.now();
        await holds.endHoldsOf(tx, fork.id, 'merged', now);
        const merged = await sessions.update(tx, kept.id, { context, updatedAt: now });
        const archivedFork = await sessions.update(tx, fork.id, {
          status: forkStatus,
          archivedAt: now,
          mergedIntoSessionId: kept.id,
          updatedAt: now,
        });
        await appendEvents(tx, clock, [sessionArchivedEvent(archivedFork, 'merged')]);
        return merged;
      });
    },

    /**
     * In one transaction: a final checkpoint of the context, the original archived, and a new session
     * with a fresh budget, the same task and the checkpoint's context (its deferred context carried
     * over, never lost). The row lock makes racing recoveries queue; the later ones find the session
     * archived and recovered, and get 409 naming the new session.
     */
    async emergencyRecover(projectId: string, id: string): Promise<EmergencyRecovery> {
      return sessions.transaction(async (tx) => {
        const original = await lock(tx, projectId, id);
        if (original.status === 'archived') {
          const recovered = await sessions.findRecoveredFrom(tx, projectId, id);
          if (recovered) {
            throw new AppError('SESSION_ALREADY_RECOVERED', {
              detail: `session ${id} was already recovered into session ${recovered.id}`,
              extensions: { recovered_to_session_id: recovered.id },
            });
          }
        }
        const status = nextStatus('emergency_recover', original);
        const now = clock.now();
        // The limit guards what clients send; refusing here would strand a session that needs rescue.
        const { checkpoint, event: checkpointEvent } = await takeCheckpoint(tx, original, EMERGENCY_RECOVERY_PHASE, original.context, {
          enforceSizeLimit: false,
        });
        await holds.endHoldsOf(tx, id, 'emergency_recovery', now);
        // The external id moves to the new session, so telemetry naming it goes on counting there.
        // The external id moves to the new session, so telemetry naming it goes on counting there;
        // the original names its successor, and writes refused on it say where to go on.
        const successor = inheritedFrom(original, now);
        const archived = await sessions.update(tx, id, {
          status,
          archivedAt: now,
          checkpointsCount: original.checkpointsCount + 1,
          updatedAt: now,
          recoveredToSessionId: successor.id,
          ...(original.externalId !== null ? { externalId: null } : {}),
        });
        const newSession = await sessions.insert(tx, {
          ...successor,
          taskId: original.taskId,
          ...(original.externalId !== null ? { externalId: original.externalId } : {}),
          context: checkpoint.contextSnapshot,
          deferredContext: original.deferredContext,
          recoveredFromSessionId: original.id,
          recoveryCheckpointId: checkpoint.id,
          lastRecoveryAt: now,
        });
        await appendEvents(tx, clock, [
          checkpointEvent,
          sessionArchivedEvent(archived, 'emergency_recovery'),
          sessionCreatedEvent(newSession),
          {
            projectId,
            type: 'session.emergency_recovered',
            sessionId: original.id,
            data: {
              original_session_id: original.id,
              new_session_id: newSession.id,
              checkpoint_id: checkpoint.id,
              task_id: original.taskId,
            },
          },
        ]);
        return { originalSessionId: original.id, checkpoint, newSession };
      });
    },
  };
}

export type LifecycleService = ReturnType<typeof createLifecycleService>;
