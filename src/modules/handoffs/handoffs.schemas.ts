import { z } from 'zod';
import {
  JsonObjectInputSchema,
  JsonObjectSchema,
  ListQuerySchema,
  NameSchema,
  TimestampSchema,
  toOptionalTimestamp,
  toTimestamp,
} from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import { AgentNameSchema } from '../agents/agents.schemas.js';
import { SessionStatusSchema } from '../sessions/sessions.schemas.js';
import { HANDOFF_STATUSES, type Handoff } from './handoffs.repository.js';
import { HANDOFF_MIN_AVAILABLE_TOKENS, RECOVERY_TOKENS_RESERVED } from './validation.js';

export const MAX_REJECTION_REASON = 2000;

export const HandoffStatusSchema = z
  .enum(HANDOFF_STATUSES)
  .meta({ id: 'HandoffStatus', description: 'pending until the receiving side accepts or rejects it' });

export const HandoffSchema = z
  .object({
    handoff_id: z.string().meta({ description: 'The handoff id (`hoff_` and 32 hex digits)', examples: [EXAMPLE.handoffId] }),
    created_at: TimestampSchema.describe('When the handoff was created'),
    from_agent: z.string().meta({ description: 'The agent handing over', examples: [EXAMPLE.fromAgentName] }),
    to_agent: z.string().meta({ description: 'The agent taking over', examples: [EXAMPLE.agentName] }),
    status: HandoffStatusSchema.describe('pending until the receiving side accepts or rejects it, once'),
    session_context: z
      .object({
        session_id: z.string().meta({ description: 'The session handed over', examples: [EXAMPLE.sessionId] }),
        model: z.string().meta({ description: 'Its model', examples: [EXAMPLE.model] }),
        context_position: z.number().meta({ description: "The session's position_percent when the handoff was created", examples: [0.63] }),
        available_tokens: z.int().meta({ description: 'Its available tokens then', examples: [198750] }),
        status: SessionStatusSchema,
      })
      .describe('The session as it stood when the handoff was created'),
    task_context: JsonObjectSchema.meta({ description: 'What the receiving agent is to do', examples: [{ phase: 'review' }] }),
    context_snapshot: JsonObjectSchema.describe("The session's context when the handoff was created (non-critical keys deferred on a low budget)"),
    recovery_info: z
      .object({
        last_checkpoint: z.string().nullable().describe("Id of the session's latest checkpoint then, or null"),
        recovery_tokens_reserved: z.literal(RECOVERY_TOKENS_RESERVED).describe('Tokens kept in reserve for a recovery'),
        fork_available: z.literal(true).describe('The receiver may fork the session instead of working on it'),
      })
      .describe('How the receiver can recover or branch off'),
    decided_at: TimestampSchema.nullable().describe('When it was accepted or rejected'),
    rejection_reason: z.string().nullable().describe('Why it was rejected; null unless rejected'),
  })
  .meta({ id: 'Handoff', description: 'A handoff package: the session, the task and a snapshot of the context, from one agent to another' });

export const CreateHandoffBodySchema = z
  .strictObject({
    from_agent: AgentNameSchema.meta({ description: 'The agent handing over', examples: [EXAMPLE.fromAgentName] }),
    to_agent: AgentNameSchema.meta({
      description: 'Must accept handoffs from from_agent (PUT /v1/agents/{name}); an unregistered agent accepts anyone',
      examples: [EXAMPLE.agentName],
    }),
    session_id: NameSchema.meta({
      description: `A session of this project with more than ${HANDOFF_MIN_AVAILABLE_TOKENS} available tokens, not archived`,
      examples: [EXAMPLE.sessionId],
    }),
    task_context: JsonObjectInputSchema.meta({
      description: 'What the receiving agent is to do, e.g. {"phase": "implementation"}',
      examples: [{ phase: 'review' }],
    }),
  })
  .meta({
    id: 'CreateHandoffRequest',
    examples: [{ from_agent: EXAMPLE.fromAgentName, to_agent: EXAMPLE.agentName, session_id: EXAMPLE.sessionId, task_context: { phase: 'review' } }],
  });

export const RejectHandoffBodySchema = z
  .strictObject({
    reason: z
      .string()
      .min(1)
      .max(MAX_REJECTION_REASON)
      .meta({ description: 'Why the receiving side refuses the handoff', examples: ['The diff is too large to review in one pass'] }),
  })
  .meta({ id: 'RejectHandoffRequest', examples: [{ reason: 'The diff is too large to review in one pass' }] });

export const HandoffParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'The handoff id', examples: [EXAMPLE.handoffId] }),
});

export const ListHandoffsQuerySchema = ListQuerySchema.extend({
  session_id: NameSchema.optional().describe('Only handoffs of this session'),
  status: z.enum(HANDOFF_STATUSES).optional().describe('Only handoffs in this status'),
  from_agent: NameSchema.optional().describe('Only handoffs from this agent'),
  to_agent: NameSchema.optional().describe('Only handoffs to this agent'),
});

export type HandoffWire = z.infer<typeof HandoffSchema>;

export function handoffWire(handoff: Handoff): HandoffWire {
  return {
    handoff_id: handoff.id,
    created_at: toTimestamp(handoff.createdAt),
    from_agent: handoff.fromAgent,
    to_agent: handoff.toAgent,
    status: handoff.status,
    session_context: {
      session_id: handoff.sessionContext.sessionId,
      model: handoff.sessionContext.model,
      context_position: handoff.sessionContext.contextPosition,
      available_tokens: handoff.sessionContext.availableTokens,
      status: handoff.sessionContext.status,
    },
    task_context: handoff.taskContext,
    context_snapshot: handoff.contextSnapshot,
    recovery_info: {
      last_checkpoint: handoff.lastCheckpointId,
      recovery_tokens_reserved: RECOVERY_TOKENS_RESERVED,
      fork_available: true,
    },
    decided_at: toOptionalTimestamp(handoff.decidedAt),
    rejection_reason: handoff.rejectionReason,
  };
}
