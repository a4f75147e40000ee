// Orchestrations: a graph of specs with dependencies, a session per spec that may start, up to
// `max_parallel_sessions` at once. Every change takes the orchestration's row lock first and writes
// its sessions, nodes and events in one transaction, so racing completions never exceed the limit
// nor start a spec twice.
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { Tx } from '../../lib/transaction.js';
import { takePage } from '../../lib/wire.js';
import { DEFAULT_MODEL, type ModelCatalog } from '../models/models.js';
import { DEFAULT_NON_CRITICAL_KEYS, DEFAULT_THRESHOLDS } from '../../domain/budget.js';
import type { ForkInput, LifecycleService } from '../lifecycle/lifecycle.service.js';
import type { Session } from '../../domain/session.js';
import { sessionCreatedEvent } from '../sessions/session-events.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import { appendEvents, type NewEvent } from '../webhooks/outbox.repository.js';
import { graphErrors, schedule, type SpecInput } from './graph.js';
import type { Orchestration, OrchestrationFilters, OrchestrationNode, OrchestrationsRepository } from './orchestrations.repository.js';

export interface CreateOrchestrationInput {
  specs: SpecInput[];
  maxParallelSessions: number;
}

/** What the client reports about a running spec. */
export type SpecOutcome = 'completed' | 'failed';

export interface OrchestrationsServiceDeps {
  orchestrations: OrchestrationsRepository;
  sessions: Pick<SessionsRepository, 'insert'>;
  forkWithin: LifecycleService['forkWithin'];
  models: Pick<ModelCatalog, 'defaultBudget'>;
  clock: Clock;
}

/** `orchestration.completed`: how the graph ended, with every spec's outcome and session. */
function orchestrationCompletedEvent(orchestration: Orchestration): NewEvent {
  const count = (status: OrchestrationNode['status']) => orchestration.nodes.filter((node) => node.status === status).length;
  return {
    projectId: orchestration.projectId,
    type: 'orchestration.completed',
    data: {
      orchestration_id: orchestration.id,
      status: orchestration.status,
      completed_at: orchestration.completedAt?.toISOString() ?? null,
      summary: { total: orchestration.nodes.length, completed: count('completed'), failed: count('failed'), blocked: count('blocked') },
      nodes: orchestration.nodes.map((node) => ({ spec_id: node.specId, status: node.status, session_id: node.sessionId })),
    },
  };
}

export function createOrchestrationsService({ orchestrations, sessions, forkWithin, models, clock }: OrchestrationsServiceDeps) {
  async function lock(tx: Tx, projectId: string, id: string): Promise<Orchestration> {
    const orchestration = await orchestrations.findForUpdate(tx, projectId, id);
    if (!orchestration) throw notFound('orchestration', id);
    return orchestration;
  }

  function nodeOf(orchestration: Orchestration, specId: string): OrchestrationNode {
    const node = orchestration.nodes.find((candidate) => candidate.specId === specId);
    if (!node) throw new AppError('NOT_FOUND', { detail: `orchestration ${orchestration.id} has no spec ${JSON.stringify(specId)}` });
    return node;
  }

  /**
   * A session for each spec, as the reference creates them: task_id = spec_id, context
   * `{ spec_id }`, the default model and its budget; metadata names the orchestration.
   */
  async function startSessions(tx: Tx, orchestration: Orchestration, specIds: string[], now: Date) {
    const started: { specId: string; session: Session }[] = [];
    for (const specId of specIds) {
      started.push({
        specId,
        session: await sessions.insert(tx, {
          id: newId('sess'),
          projectId: orchestration.projectId,
          taskId: specId,
          model: DEFAULT_MODEL,
          status: 'active',
          total: models.defaultBudget(DEFAULT_MODEL),
          thresholds: [...DEFAULT_THRESHOLDS],
          nonCriticalKeys: [...DEFAULT_NON_CRITICAL_KEYS],
          context: { spec_id: specId },
          metadata: { orchestration_id: orchestration.id },
          createdAt: now,
        }),
      });
    }
    await appendEvents(
      tx,
      clock,
      started.map(({ session }) => sessionCreatedEvent(session)),
    );
    return started;
  }

  /**
   * Applies what the nodes' statuses imply (under the caller's row lock): blocks the specs that can
   * never start, starts those that may, and ends the orchestration when nothing is left to run.
   * Returns the orchestration as stored afterwards.
   */
  async function advance(tx: Tx, orchestration: Orchestration, now: Date): Promise<Orchestration> {
    const { id, projectId } = orchestration;
    const step = schedule(orchestration.nodes, orchestration.maxParallelSessions);
    await orchestrations.updateNodes(tx, id, step.block, { status: 'blocked', finishedAt: now });
    const started = await startSessions(tx, orchestration, step.start, now);
    for (const { specId, session } of started) {
      await orchestrations.updateNodes(tx, id, [specId], { status: 'running', sessionId: session.id, startedAt: now });
    }
    const ended = step.status !== 'running';
    await orchestrations.update(tx, id, { status: step.status, completedAt: ended ? now : null, updatedAt: now });
    const advanced = (await orchestrations.find(projectId, id, tx))!;
    if (ended) await appendEvents(tx, clock, [orchestrationCompletedEvent(advanced)]);
    return advanced;
  }

  async function finish(projectId: string, id: string, specId: string, outcome: SpecOutcome): Promise<Orchestration> {
    return orchestrations.transaction(async (tx) => {
      const orchestration = await lock(tx, projectId, id);
      const node = nodeOf(orchestration, specId);
      if (node.status !== 'running') {
        throw new AppError('SPEC_NOT_RUNNING', {
          detail: `spec ${JSON.stringify(specId)} of orchestration ${id} is ${node.status}: only a running spec can be completed or failed`,
        });
      }
      const now = clock.now();
      await orchestrations.updateNodes(tx, id, [specId], { status: outcome, finishedAt: now });
      const nodes = orchestration.nodes.map((other) => (other.specId === specId ? { ...other, status: outcome, finishedAt: now } : other));
      return advance(tx, { ...orchestration, nodes }, now);
    });
  }

  return {
    /**
     * Refuses an invalid graph with every problem named (422, nothing stored); otherwise stores it
     * and starts the specs without dependencies, up to the limit, in the same transaction.
     */
    async create(projectId: string, input: CreateOrchestrationInput): Promise<Orchestration> {
      const errors = graphErrors(input.specs);
      if (errors.length > 0) {
        throw new AppError('ORCHESTRATION_INVALID', {
          detail: `the dependency graph has ${errors.length === 1 ? 'a problem' : `${errors.length} problems`}: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
          errors,
        });
      }
      return orchestrations.transaction(async (tx) => {
        const now = clock.now();
        const id = newId('orch');
        const specs = input.specs.map((spec) => ({ specId: spec.specId, dependsOn: [...spec.dependsOn] }));
        await orchestrations.insert(tx, { id, projectId, maxParallelSessions: input.maxParallelSessions, specs, createdAt: now });
        return advance(tx, (await orchestrations.find(projectId, id, tx))!, now);
      });
    },

    async get(projectId: string, id: string): Promise<Orchestration> {
      const orchestration = await orchestrations.find(projectId, id);
      if (!orchestration) throw notFound('orchestration', id);
      return orchestration;
    },

    async list(projectId: string, filters: OrchestrationFilters, limit: number, beforeId?: string) {
      return takePage(await orchestrations.list(projectId, filters, limit + 1, beforeId), limit);
    },

    complete: (projectId: string, id: string, specId: string) => finish(projectId, id, specId, 'completed'),
    fail: (projectId: string, id: string, specId: string) => finish(projectId, id, specId, 'failed'),

    /**
     * Forks the spec's session (as `POST /sessions/{id}/fork` does) and records the fork in the
     * graph, both in one transaction under the orchestration's lock. Any spec that has a session
     * may be explored, a finished one too; explorations do not count against the parallel limit.
     */
    async explore(projectId: string, id: string, specId: string, input: ForkInput): Promise<Session> {
      return orchestrations.transaction(async (tx) => {
        const orchestration = await lock(tx, projectId, id);
        const node = nodeOf(orchestration, specId);
        if (node.sessionId === null) {
          throw new AppError('SPEC_NOT_RUNNING', {
            detail: `spec ${JSON.stringify(specId)} of orchestration ${id} is ${node.status} and has no session yet: only a spec that started can be explored`,
          });
        }
        const fork = await forkWithin(tx, projectId, node.sessionId, input);
        await orchestrations.insertExploration(tx, id, { specId, sessionId: fork.id, createdAt: fork.createdAt });
        await orchestrations.touch(tx, id, fork.createdAt);
        return fork;
      });
    },
  };
}

export type OrchestrationsService = ReturnType<typeof createOrchestrationsService>;
