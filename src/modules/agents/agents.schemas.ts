import { z } from 'zod';
import { AppError } from '../../lib/errors.js';
import { ListQuerySchema, NameSchema, TimestampSchema, pageOf, toTimestamp, type Page } from '../../lib/wire.js';
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

// Agents are listed by name, so their cursor is the base64url of the last name of the page.
const encodeNameCursor = (name: string): string => Buffer.from(name, 'utf8').toString('base64url');

/** The name a cursor points past; a cursor this service never issued is 400. */
export function decodeNameCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeNameCursor(name) !== cursor || !NameSchema.safeParse(name).success) {
    throw new AppError('VALIDATION_FAILED', {
      detail: 'query.cursor: is not a cursor of this list',
      errors: [{ path: 'query.cursor', message: 'is not a cursor of this list' }],
    });
  }
  return name;
}

export function agentPageWire(page: Page<Agent>): z.infer<typeof AgentPageSchema> {
  const last = page.items.at(-1);
  return { data: page.items.map(agentWire), next_cursor: page.hasMore && last ? encodeNameCursor(last.name) : null };
}
