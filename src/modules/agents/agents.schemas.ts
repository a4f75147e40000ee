import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, encodeNameCursor, pageOf, toTimestamp, type Page } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import { ANY_AGENT, type Agent } from './agents.repository.js';

export const MAX_ACCEPTED_SENDERS = 1000;
export const MAX_AGENT_DESCRIPTION = 2000;

/** An agent's name: 1–256 characters, any but the wildcard `*`. */
export const AgentNameSchema = NameSchema.refine((name) => name !== ANY_AGENT, {
  message: '"*" is not an agent name: in accepts_handoffs_from it stands for any agent',
});

export const AgentSchema = z
  .object({
    name: z.string().meta({ description: "The agent's name", examples: [EXAMPLE.agentName] }),
    accepts_handoffs_from: z.array(z.string()).meta({
      description: '`["*"]`: any agent; otherwise the names of the agents it accepts handoffs from',
      examples: [[EXAMPLE.fromAgentName]],
    }),
    description: z.string().nullable().describe('What the agent does; null when none was given'),
    created_at: TimestampSchema.describe('When it was first registered'),
    updated_at: TimestampSchema.describe('When its registration last changed'),
  })
  .meta({ id: 'Agent', description: 'A registered agent and from whom it accepts handoffs' });

export const PutAgentBodySchema = z
  .strictObject({
    accepts_handoffs_from: z
      .array(NameSchema)
      .max(MAX_ACCEPTED_SENDERS)
      .refine((senders) => !senders.includes(ANY_AGENT) || senders.length === 1, {
        message: '"*" accepts any agent and stands alone: send ["*"] or a list of names',
      })
      .meta({
        description: '`["*"]` accepts handoffs from any agent; a list of names only from those (`[]`: from none)',
        examples: [[EXAMPLE.fromAgentName]],
      }),
    description: z
      .string()
      .max(MAX_AGENT_DESCRIPTION)
      .optional()
      .meta({ description: 'What the agent does; omitted: none (PUT replaces the whole registration)', examples: ['Reviews diffs before merge'] }),
  })
  .meta({ id: 'PutAgentRequest', examples: [{ accepts_handoffs_from: [EXAMPLE.fromAgentName], description: 'Reviews diffs before merge' }] });

export const AgentParamsSchema = z.strictObject({
  name: AgentNameSchema.meta({ description: "The agent's name (1–256 characters, not `*`)", examples: [EXAMPLE.agentName] }),
});

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
