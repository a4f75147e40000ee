// Handoffs between agents: the package of the reference (session context, task context, context
// snapshot, recovery info), refused as a whole with every failed check, then accepted or rejected once.
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Tx } from '../../lib/transaction.js';
import { takePage, type JsonObject } from '../../lib/wire.js';
import type { AgentsRepository } from '../agents/agents.repository.js';
import type { CheckpointsRepository } from '../checkpoints/checkpoints.repository.js';
import { LOW_BUDGET_TOKENS, deferNonCriticalContext, tokenBudget } from '../../domain/budget.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import { appendEvents, type EventType, type NewEvent } from '../webhooks/outbox.repository.js';
import type { Handoff, HandoffDecision, HandoffFilters, HandoffsRepository } from './handoffs.repository.js';
import { handoffValidationErrors, KNOWN_AGENTS_LISTED, type HandoffCandidate } from './validation.js';

export interface CreateHandoffInput {
  fromAgent: string;
  toAgent: string;
  sessionId: string;
  taskContext: JsonObject;
}

export interface HandoffsServiceDeps {
  handoffs: HandoffsRepository;
  agents: Pick<AgentsRepository, 'findMany' | 'names'>;
  sessions: Pick<SessionsRepository, 'findForUpdate' | 'update' | 'transaction'>;
  checkpoints: Pick<CheckpointsRepository, 'latestOf'>;
  clock: Clock;
}

function handoffEvent(handoff: Handoff, type: EventType): NewEvent {
  return {
    projectId: handoff.projectId,
    type,
    sessionId: handoff.sessionId,
    data: {
      handoff_id: handoff.id,
      session_id: handoff.sessionId,
      from_agent: handoff.fromAgent,
      to_agent: handoff.toAgent,
      status: handoff.status,
      ...(handoff.decidedAt ? { decided_at: handoff.decidedAt.toISOString() } : {}),
      ...(handoff.status === 'rejected' ? { reason: handoff.rejectionReason } : {}),
    },
  };
}

const decisionEvents: Record<HandoffDecision, EventType> = { accepted: 'handoff.accepted', rejected: 'handoff.rejected' };

export function createHandoffsService({ handoffs, agents, sessions, checkpoints, clock }: HandoffsServiceDeps) {
  /**
   * The registrations a handoff is checked against: the receiver's, and, when the project has
   * registered agents and one of the two is not registered, the registered names. One query when
   * both are registered; a second only otherwise.
   */
  async function registry(
    tx: Tx,
    projectId: string,
    fromAgent: string,
    toAgent: string,
  ): Promise<Pick<HandoffCandidate, 'receiver' | 'unregistered'>> {
    const found = await agents.findMany(projectId, [fromAgent, toAgent], tx);
    const receiver = found.find((agent) => agent.name === toAgent) ?? null;
    const missing = [fromAgent, toAgent].filter((name) => !found.some((agent) => agent.name === name));
    if (missing.length === 0) return { receiver, unregistered: null };
    const known = await agents.names(projectId, KNOWN_AGENTS_LISTED, tx);
    return { receiver, unregistered: known.length === 0 ? null : { names: missing, known } };
  }

  async function decide(projectId: string, id: string, decision: HandoffDecision, reason: string | null): Promise<Handoff> {
    return handoffs.transaction(async (tx) => {
      const decided = await handoffs.decide(tx, projectId, id, decision, reason, clock.now());
      if (!decided) {
        const handoff = await handoffs.find(projectId, id, tx);
        if (!handoff) throw notFound('handoff', id);
        throw new AppError('HANDOFF_ALREADY_DECIDED', {
          detail: `handoff ${id} was already ${handoff.status}${handoff.decidedAt ? ` at ${handoff.decidedAt.toISOString()}` : ''}; only a pending handoff can be accepted or rejected`,
        });
      }
      await appendEvents(tx, clock, [handoffEvent(decided, decisionEvents[decision])]);
      return decided;
    });
  }

  return {
    /**
     * Builds and stores the handoff package under the session's row lock, so the budget, context
     * and last checkpoint it records are of one moment. As in the reference, with fewer than
     * 30,000 available tokens the non-critical context is deferred first and the snapshot is what
     * remains. Every failed check is collected into one 422; then nothing is stored, the deferral
     * included, and no event is written.
     */
    async create(projectId: string, input: CreateHandoffInput): Promise<Handoff> {
      return sessions.transaction(async (tx) => {
        const session = await sessions.findForUpdate(tx, projectId, input.sessionId);
        if (!session) throw notFound('session', input.sessionId);
        const budget = tokenBudget(session.total, session.used, session.reserved);
        const deferral =
          budget.available < LOW_BUDGET_TOKENS
            ? deferNonCriticalContext(session.context, session.deferredContext, session.nonCriticalKeys)
            : { context: session.context, deferred: session.deferredContext, moved: [] };

        const registered = await registry(tx, projectId, input.fromAgent, input.toAgent);
        const errors = handoffValidationErrors({
          fromAgent: input.fromAgent,
          toAgent: input.toAgent,
          ...registered,
          session: { id: session.id, status: session.status, availableTokens: budget.available },
        });
        if (errors.length > 0) {
          throw new AppError('HANDOFF_INVALID', {
            detail: `the handoff failed ${errors.length === 1 ? 'a check' : `${errors.length} checks`}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
            errors,
            ...(registered.unregistered ? { extensions: { known_agents: registered.unregistered.known } } : {}),
          });
        }

        const now = clock.now();
        if (deferral.moved.length > 0) {
          await sessions.update(tx, session.id, { context: deferral.context, deferredContext: deferral.deferred, updatedAt: now });
        }
        const lastCheckpoint = await checkpoints.latestOf(tx, session.id);
        const handoff = await handoffs.insert(tx, {
          id: newId('hoff'),
          projectId,
          sessionId: session.id,
          fromAgent: input.fromAgent,
          toAgent: input.toAgent,
          sessionContext: {
            sessionId: session.id,
            model: session.model,
            contextPosition: budget.positionPercent,
            availableTokens: budget.available,
            status: session.status,
          },
          taskContext: input.taskContext,
          contextSnapshot: deferral.context,
          lastCheckpointId: lastCheckpoint?.id ?? null,
          createdAt: now,
        });
        await appendEvents(tx, clock, [handoffEvent(handoff, 'handoff.created')]);
        return handoff;
      });
    },

    async get(projectId: string, id: string): Promise<Handoff> {
      const handoff = await handoffs.find(projectId, id);
      if (!handoff) throw notFound('handoff', id);
      return handoff;
    },

    async list(projectId: string, filters: HandoffFilters, limit: number, beforeId?: string) {
      return takePage(await handoffs.list(projectId, filters, limit + 1, beforeId), limit);
    },

    accept: (projectId: string, id: string) => decide(projectId, id, 'accepted', null),
    reject: (projectId: string, id: string, reason: string) => decide(projectId, id, 'rejected', reason),
  };
}

export type HandoffsService = ReturnType<typeof createHandoffsService>;
