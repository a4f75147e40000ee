import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { isUniqueViolation } from '../../lib/prisma-errors.js';
import { applyMergePatch } from '../../lib/merge-patch.js';
import { takePage, type JsonObject } from '../../lib/wire.js';
import { assertCheckpointable as assertContextCheckpointable } from '../../domain/context-size.js';
import type { ModelCatalog } from '../models/models.js';
import { DEFAULT_MODEL } from '../models/models.js';
import { appendEvents, type NewEvent } from '../webhooks/outbox.repository.js';
import { DEFAULT_NON_CRITICAL_KEYS, DEFAULT_THRESHOLDS, crossedThresholds } from '../../domain/budget.js';
import { applyCrossingPolicies, thresholdCrossedData } from '../../domain/policies.js';
import type { Session } from '../../domain/session.js';
import { crossedCostThresholds } from '../../domain/prices.js';
import type { CountMode } from '../../domain/token-classes.js';
import { costThresholdCrossedData } from './session-events.js';
import { sessionCreatedEvent } from './session-events.js';
import { assertAllowed } from '../../domain/transitions.js';
import type { SessionChanges, SessionFilters, SessionsRepository } from './sessions.repository.js';

export interface CreateSessionInput {
  taskId: string;
  /** Unique in the project; a taken one is 409 EXTERNAL_ID_TAKEN. */
  externalId?: string;
  model?: string;
  total?: number;
  context?: JsonObject;
  thresholds?: number[];
  nonCriticalKeys?: string[];
  metadata?: JsonObject;
  countMode?: CountMode;
  /** A canonical decimal (USD). */
  costLimitUsd?: string;
  costThresholds?: number[];
}

export interface SessionPatch {
  context?: JsonObject;
  metadata?: JsonObject;
  total?: number;
  thresholds?: number[];
  nonCriticalKeys?: string[];
  countMode?: CountMode;
  /** null removes the limit. */
  costLimitUsd?: string | null;
  costThresholds?: number[];
}

export interface SessionsServiceDeps {
  sessions: SessionsRepository;
  models: ModelCatalog;
  /** The models this project priced (PUT /v1/models/{model}/prices): known to its sessions too. */
  projectModels: (projectId: string) => Promise<string[]>;
  clock: Clock;
  /** CHECKPOINT_MAX_BYTES: a context must stay small enough to be checkpointed. */
  maxContextBytes: number;
}

export function createSessionsService({ sessions, models, projectModels, clock, maxContextBytes }: SessionsServiceDeps) {
  /** 413 for a context that no checkpoint could hold: PATCH merges would otherwise grow it without bound. */
  const assertCheckpointable = (context: JsonObject) => assertContextCheckpointable(context, maxContextBytes);

  async function get(projectId: string, id: string): Promise<Session> {
    const session = await sessions.find(projectId, id);
    if (!session) throw notFound('session', id);
    return session;
  }

  async function create(projectId: string, input: CreateSessionInput): Promise<Session> {
    const model = input.model ?? DEFAULT_MODEL;
    // The project's own models are read only for a model the catalog lacks.
    if (!models.accepts(model)) models.assertKnown(model, { projectModels: await projectModels(projectId) });
    if (input.context) assertCheckpointable(input.context);
    try {
      return await sessions.transaction(async (tx) => {
        const session = await sessions.insert(tx, {
          id: newId('sess'),
          projectId,
          taskId: input.taskId,
          ...(input.externalId !== undefined ? { externalId: input.externalId } : {}),
          model,
          status: 'active',
          total: input.total ?? models.defaultBudget(model),
          thresholds: input.thresholds ?? [...DEFAULT_THRESHOLDS],
          nonCriticalKeys: input.nonCriticalKeys ?? [...DEFAULT_NON_CRITICAL_KEYS],
          context: input.context ?? {},
          metadata: input.metadata ?? {},
          ...(input.countMode !== undefined ? { countMode: input.countMode } : {}),
          ...(input.costLimitUsd !== undefined ? { costLimitUsd: input.costLimitUsd } : {}),
          ...(input.costThresholds !== undefined ? { costThresholds: input.costThresholds } : {}),
          createdAt: clock.now(),
        });
        await appendEvents(tx, clock, [sessionCreatedEvent(session)]);
        return session;
      });
    } catch (error) {
      // A new session's id is fresh, so the only unique key it can collide on is its external id.
      if (input.externalId !== undefined && isUniqueViolation(error)) {
        throw new AppError('EXTERNAL_ID_TAKEN', {
          detail: `external_id ${JSON.stringify(input.externalId)} already names another session of this project`,
          cause: error,
        });
      }
      throw error;
    }
  }

  return {
    get,
    create,

    /**
     * The session of this project named `externalId`, created with `input` when there is none.
     * Safe under races: of two callers creating the same external id at once, one inserts and the
     * other finds its session (the unique index decides).
     */
    async findOrCreateByExternalId(
      projectId: string,
      externalId: string,
      input: Omit<CreateSessionInput, 'externalId'>,
    ): Promise<{ session: Session; created: boolean }> {
      const [existing] = await sessions.findByExternalIds(projectId, [externalId]);
      if (existing) return { session: existing, created: false };
      try {
        return { session: await create(projectId, { ...input, externalId }), created: true };
      } catch (error) {
        if (!(error instanceof AppError && error.code === 'EXTERNAL_ID_TAKEN')) throw error;
        const [winner] = await sessions.findByExternalIds(projectId, [externalId]);
        if (!winner) throw error;
        return { session: winner, created: false };
      }
    },

    /** The sessions of this project that these ids and external ids name (those that exist). */
    async findNamed(projectId: string, names: { ids: string[]; externalIds: string[] }): Promise<Session[]> {
      const [byId, byExternalId] = await Promise.all([
        sessions.findMany(projectId, names.ids),
        sessions.findByExternalIds(projectId, names.externalIds),
      ]);
      return [...byId, ...byExternalId];
    },

    async list(projectId: string, filters: SessionFilters, limit: number, afterId?: string) {
      return takePage(await sessions.list(projectId, filters, limit + 1, afterId), limit);
    },

    /**
     * Applies a patch under the row lock. `expectedVersion` comes from If-Match; a budget change
     * that moves the position past a threshold emits its events and policies like a usage update.
     */
    async patch(projectId: string, id: string, patch: SessionPatch, expectedVersion?: number): Promise<Session> {
      return sessions.transaction(async (tx) => {
        const session = await sessions.findForUpdate(tx, projectId, id);
        if (!session) throw notFound('session', id);
        if (expectedVersion !== undefined && expectedVersion !== session.version) {
          throw new AppError('PRECONDITION_FAILED', {
            detail: `If-Match names version ${expectedVersion} but the session is at version ${session.version}`,
          });
        }
        assertAllowed('update', session);

        const thresholds = patch.thresholds ?? session.thresholds;
        const nonCriticalKeys = patch.nonCriticalKeys ?? session.nonCriticalKeys;
        const total = patch.total ?? session.total;
        const patched = {
          ...session,
          nonCriticalKeys,
          context: patch.context ? (applyMergePatch(session.context, patch.context) as JsonObject) : session.context,
        };
        if (patch.context) assertCheckpointable(patched.context);
        const before = { used: session.used, total: session.total };
        const after = { used: session.used, total };
        const policy = applyCrossingPolicies(patched, before, after);

        const costLimitUsd = patch.costLimitUsd === undefined ? session.costLimitUsd : patch.costLimitUsd;
        const costThresholds = patch.costThresholds ?? session.costThresholds;
        const changes: SessionChanges = {
          ...policy,
          total,
          thresholds,
          nonCriticalKeys,
          costLimitUsd,
          costThresholds,
          ...(patch.countMode !== undefined ? { countMode: patch.countMode } : {}),
          updatedAt: clock.now(),
          ...(patch.metadata ? { metadata: applyMergePatch(session.metadata, patch.metadata) as JsonObject } : {}),
        };
        const updated = await sessions.update(tx, id, changes);
        const events: NewEvent[] = crossedThresholds(thresholds, before, after).map((threshold) => ({
          projectId,
          type: 'session.threshold_crossed',
          sessionId: id,
          data: thresholdCrossedData(updated, threshold),
        }));
        // A lower cost limit may put the spent cost past a cost threshold: its event, as a usage update's.
        for (const threshold of crossedCostThresholds(costThresholds, session.costUsedUsd, session.costLimitUsd, costLimitUsd)) {
          events.push({ projectId, type: 'session.cost_threshold_crossed', sessionId: id, data: costThresholdCrossedData(updated, threshold) });
        }
        await appendEvents(tx, clock, events);
        return updated;
      });
    },
  };
}

export type SessionsService = ReturnType<typeof createSessionsService>;
