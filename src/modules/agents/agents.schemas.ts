import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, encodeNameCursor, pageOf, toTimestamp, type Page } from '../../lib/wire.js';
import { ANY_AGENT, type Agent } from './agents.repository.js';

export const MAX_ACCEPTED_SENDERS = 1000;
export const MAX_AGENT_DESCRIPTION = 2000;

/** An agent's name: 1–256 characters, any but the wildcard `*`. */
export const AgentNameSchema = NameSchema.refine((name) => name !== ANY_AGENT, {
  message: '"*" is not an agent name: in accepts_handoffs_from it stands for any agent',
});

export const AgentSchema = z
  .object({
    name: z.string(),
    accepts_handoffs_from: z.array(z.string()).describe('`["*"]`: any agent; otherwise the names of the agents it accepts handoffs from'),
    description: z.string().nullable(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .meta({ id: 'Agent' });

export const PutAgentBodySchema = z
  .strictObject({
    accepts_handoffs_from: z
      .array(NameSchema)
      .max(MAX_ACCEPTED_SENDERS)
      .refine((senders) => !senders.includes(ANY_AGENT) || senders.length === 1, {
        message: '"*" accepts any agent and stands alone: send ["*"] or a list of names',
      })
      .describe('`["*"]` accepts handoffs from any agent; a list of names only from those (`[]`: from none)'),
    description: z.string().max(MAX_AGENT_DESCRIPTION).optional().describe('Omitted: none (PUT replaces the whole registration)'),
  })
  .meta({ id: 'PutAgentRequest' });

export const AgentParamsSchema = z.strictObject({ name: AgentNameSchema });

export const ListAgentsQuerySchema = ListQuerySchema;
export const AgentPageSchema = pageOf(AgentSchema);

export function agentWire(agent: Agent): z.infer<typeof AgentSchema> {
  return {
    name: agent.name,
    accepts_handoffs_from: agent.acceptsHandoffsFrom,
    description: agent.description,
    created_at: toTimestamp(agent.createdAt),
    updated_at: toTimestamp(agent.updatedAt),
  };
}

export function agentPageWire(page: Page<Agent>): z.infer<typeof AgentPageSchema> {
  const last = page.items.at(-1);
  return { data: page.items.map(agentWire), next_cursor: page.hasMore && last ? encodeNameCursor(last.name) : null };
}
