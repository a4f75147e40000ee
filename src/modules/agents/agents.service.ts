import type { Clock } from '../../lib/clock.js';
import { notFound } from '../../lib/errors.js';
import { takePage } from '../../lib/wire.js';
import type { Agent, AgentsRepository } from './agents.repository.js';

export interface AgentInput {
  acceptsHandoffsFrom: string[];
  description?: string;
}

export interface AgentsServiceDeps {
  agents: AgentsRepository;
  clock: Clock;
}

/** A name listed twice is listed once; the order stays. */
const withoutDuplicates = (names: string[]): string[] => [...new Set(names)];

export function createAgentsService({ agents, clock }: AgentsServiceDeps) {
  return {
    /** Registers `name` or replaces its registration whole (an omitted description is cleared). */
    async put(projectId: string, name: string, input: AgentInput): Promise<{ agent: Agent; created: boolean }> {
      return agents.put(
        { projectId, name, acceptsHandoffsFrom: withoutDuplicates(input.acceptsHandoffsFrom), description: input.description ?? null },
        clock.now(),
      );
    },

    async get(projectId: string, name: string): Promise<Agent> {
      const agent = await agents.find(projectId, name);
      if (!agent) throw notFound('agent', name);
      return agent;
    },

    async list(projectId: string, limit: number, afterName?: string) {
      return takePage(await agents.list(projectId, limit + 1, afterName), limit);
    },

    /** Removes the registration: the agent is then unknown to handoffs (anyone's, once no registration is left). */
    async remove(projectId: string, name: string): Promise<void> {
      if (!(await agents.delete(projectId, name))) throw notFound('agent', name);
    },
  };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
