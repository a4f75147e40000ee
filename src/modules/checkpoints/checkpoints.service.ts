import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Tx } from '../../lib/transaction.js';
import { takePage, type JsonObject } from '../../lib/wire.js';
import { LOW_BUDGET_TOKENS, deferNonCriticalContext, tokenBudget } from '../../domain/budget.js';
import type { Session } from '../../domain/session.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import { assertAllowed, nextStatus } from '../../domain/transitions.js';
import { appendEvents, type NewEvent } from '../webhooks/outbox.repository.js';
import type { Checkpoint, CheckpointFilter, CheckpointsRepository } from './checkpoints.repository.js';
import { digestJson, type JsonDigest } from '../../lib/canonical-json.js';

export interface CheckpointsServiceDeps {
  checkpoints: CheckpointsRepository;
  sessions: Pick<SessionsRepository, 'find' | 'findForUpdate' | 'update' | 'transaction'>;
  clock: Clock;
  maxSnapshotBytes: number;
}

export function checkpointCreatedEvent(checkpoint: Checkpoint): NewEvent {
  const budget = tokenBudget(checkpoint.total, checkpoint.used);
  return {
    projectId: checkpoint.projectId,
    type: 'checkpoint.created',
    sessionId: checkpoint.sessionId,
    data: {
      checkpoint_id: checkpoint.id,
      session_id: checkpoint.sessionId,
      phase: checkpoint.phase,
      sha256: checkpoint.sha256,
      token_usage: { total: budget.total, used: budget.used, available: budget.available, position_percent: budget.positionPercent },
    },
  };
}

/** 409 when the stored snapshot no longer hashes to the SHA-256 taken when it was written. */
export function assertIntact(checkpoint: Checkpoint): void {
  const { sha256 } = digestJson(checkpoint.contextSnapshot);
  if (sha256 !== checkpoint.sha256) {
    throw new AppError('CHECKPOINT_CORRUPTED', {
      detail: `checkpoint ${checkpoint.id}'s snapshot hashes to ${sha256}, not its recorded ${checkpoint.sha256}; it was altered after it was written`,
    });
  }
}

export function createCheckpointsService({ checkpoints, sessions, clock, maxSnapshotBytes }: CheckpointsServiceDeps) {
  function withinSizeLimit(digest: JsonDigest): JsonDigest {
    if (digest.sizeBytes <= maxSnapshotBytes) return digest;
    throw new AppError('CHECKPOINT_TOO_LARGE', {
      detail: `the snapshot is ${digest.sizeBytes} bytes of canonical JSON; the limit is ${maxSnapshotBytes}`,
    });
  }

  /** A checkpoint of the session's context as it is, read and written under the row lock. */
  async function checkpointCurrentContext(projectId: string, sessionId: string, phase: string): Promise<Checkpoint> {
    return sessions.transaction(async (tx) => {
      const session = await sessions.findForUpdate(tx, projectId, sessionId);
      if (!session) throw notFound('session', sessionId);
      assertAllowed('checkpoint', session);
      const { checkpoint, event } = await take(tx, session, phase, session.context, { enforceSizeLimit: true });
      await sessions.update(tx, session.id, { checkpointsCount: session.checkpointsCount + 1, updatedAt: clock.now() });
      await appendEvents(tx, clock, [event]);
      return checkpoint;
    });
  }

  /**
   * Writes a checkpoint of a session whose row the caller holds locked, with the budget of that
   * moment, and counts it on the session. Returns the checkpoint and its `checkpoint.created` event;
   * the caller updates the session (checkpointsCount + 1) with its own changes.
   */
  async function take(
    tx: Tx,
    session: Session,
    phase: string,
    snapshot: JsonObject,
    { enforceSizeLimit }: { enforceSizeLimit: boolean },
  ): Promise<{ checkpoint: Checkpoint; event: NewEvent }> {
    const digest = digestJson(snapshot);
    if (enforceSizeLimit) withinSizeLimit(digest);
    const checkpoint = await checkpoints.insert(tx, {
      id: newId('ckpt'),
      projectId: session.projectId,
      sessionId: session.id,
      phase,
      total: session.total,
      used: session.used,
      contextSnapshot: snapshot,
      sha256: digest.sha256,
      sizeBytes: digest.sizeBytes,
      createdAt: clock.now(),
    });
    return { checkpoint, event: checkpointCreatedEvent(checkpoint) };
  }

  async function get(projectId: string, id: string): Promise<Checkpoint> {
    const checkpoint = await checkpoints.find(projectId, id);
    if (!checkpoint) throw notFound('checkpoint', id);
    return checkpoint;
  }

  return {
    take,
    get,

    /** A checkpoint of `contextSnapshot`, or of the session's current context when it is omitted. */
    async create(projectId: string, sessionId: string, input: { phase: string; contextSnapshot?: JsonObject }): Promise<Checkpoint> {
      const { contextSnapshot } = input;
      if (contextSnapshot === undefined) return checkpointCurrentContext(projectId, sessionId, input.phase);
      const digest = withinSizeLimit(digestJson(contextSnapshot));
      const [id, now] = [newId('ckpt'), clock.now()];
      const { sha256, sizeBytes } = digest;
      const budget = await checkpoints.create({
        id,
        projectId,
        sessionId,
        phase: input.phase,
        canonicalSnapshot: digest.canonical,
        sha256,
        sizeBytes,
        now,
      });
      if (!budget) {
        const session = await sessions.find(projectId, sessionId);
        if (!session) throw notFound('session', sessionId);
        assertAllowed('checkpoint', session);
        throw new Error(`checkpoint of session ${sessionId} touched no row although its status ${session.status} allows checkpoints`);
      }
      return { id, projectId, sessionId, phase: input.phase, ...budget, contextSnapshot, sha256, sizeBytes, createdAt: now };
    },

    /**
     * Several checkpoints of given snapshots, stored at once and in this order (ids ascending), with
     * the same budget, each with its own `checkpoint.created`: as many creates in a row, in one step.
     */
    async createBatch(projectId: string, sessionId: string, inputs: { phase: string; contextSnapshot: JsonObject }[]): Promise<Checkpoint[]> {
      const written = inputs.map(({ phase, contextSnapshot }) => {
        const { canonical, sha256, sizeBytes } = withinSizeLimit(digestJson(contextSnapshot));
        return { id: newId('ckpt'), phase, contextSnapshot, canonicalSnapshot: canonical, sha256, sizeBytes };
      });
      const now = clock.now();
      const budget = await checkpoints.createBatch({ projectId, sessionId, now, checkpoints: written });
      if (!budget) {
        const session = await sessions.find(projectId, sessionId);
        if (!session) throw notFound('session', sessionId);
        assertAllowed('checkpoint', session);
        throw new Error(`checkpoints of session ${sessionId} touched no row although its status ${session.status} allows checkpoints`);
      }
      return written.map(({ id, phase, contextSnapshot, sha256, sizeBytes }) => ({
        id,
        projectId,
        sessionId,
        phase,
        ...budget,
        contextSnapshot,
        sha256,
        sizeBytes,
        createdAt: now,
      }));
    },

    async list(projectId: string, sessionId: string, limit: number, filter: CheckpointFilter = {}) {
      if (!(await sessions.find(projectId, sessionId))) throw notFound('session', sessionId);
      return takePage(await checkpoints.list(projectId, sessionId, limit + 1, filter), limit);
    },

    /**
     * Puts the checkpoint's snapshot back as the session's context, after checking its hash, and
     * makes the session `active` again. As in the reference, a low budget defers the non-critical
     * context of the restored snapshot (it is kept in deferred_context).
     */
    async restore(projectId: string, checkpointId: string): Promise<Session> {
      return sessions.transaction(async (tx) => {
        const checkpoint = await checkpoints.find(projectId, checkpointId, tx);
        if (!checkpoint) throw notFound('checkpoint', checkpointId);
        const session = await sessions.findForUpdate(tx, projectId, checkpoint.sessionId);
        if (!session) throw notFound('session', checkpoint.sessionId);
        const status = nextStatus('restore', session);
        assertIntact(checkpoint);

        const now = clock.now();
        const lowBudget = session.total - session.used < LOW_BUDGET_TOKENS;
        const restored = lowBudget
          ? deferNonCriticalContext(checkpoint.contextSnapshot, session.deferredContext, session.nonCriticalKeys)
          : { context: checkpoint.contextSnapshot, deferred: session.deferredContext };
        return sessions.update(tx, session.id, {
          context: restored.context,
          deferredContext: restored.deferred,
          status,
          lastRecoveryAt: now,
          updatedAt: now,
        });
      });
    },
  };
}

export type CheckpointsService = ReturnType<typeof createCheckpointsService>;
