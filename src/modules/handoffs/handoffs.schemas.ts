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
import { AgentNameSchema } from '../agents/agents.schemas.js';
import { SessionStatusSchema } from '../sessions/sessions.schemas.js';
import { HANDOFF_STATUSES, type Handoff } from './handoffs.repository.js';
import { HANDOFF_MIN_AVAILABLE_TOKENS, RECOVERY_TOKENS_RESERVED } from './validation.js';

export const MAX_REJECTION_REASON = 2000;

export const HandoffStatusSchema = z.enum(HANDOFF_STATUSES).meta({ id: 'HandoffStatus' });

export const HandoffSchema = z
  .object({
    handoff_id: z.string(),
    created_at: TimestampSchema,
    from_agent: z.string(),
    to_agent: z.string(),
    status: HandoffStatusSchema.describe('pending until the receiving side accepts or rejects it, once'),
    session_context: z
      .object({
        session_id: z.string(),
        model: z.string(),
        context_position: z.number().describe("The session's position_percent when the handoff was created"),
        available_tokens: z.int(),
        status: SessionStatusSchema,
      })
      .describe('The session as it stood when the handoff was created'),
    task_context: JsonObjectSchema,
    context_snapshot: JsonObjectSchema.describe("The session's context when the handoff was created (non-critical keys deferred on a low budget)"),
    recovery_info: z.object({
      last_checkpoint: z.string().nullable().describe("Id of the session's latest checkpoint then, or null"),
      recovery_tokens_reserved: z.literal(RECOVERY_TOKENS_RESERVED),
      fork_available: z.literal(true),
    }),
    decided_at: TimestampSchema.nullable().describe('When it was accepted or rejected'),
    rejection_reason: z.string().nullable(),
  })
  .meta({ id: 'Handoff' });

export const CreateHandoffBodySchema = z
  .strictObject({
    from_agent: AgentNameSchema,
    to_agent: AgentNameSchema.describe('Must accept handoffs from from_agent (PUT /v1/agents/{name}); an unregistered agent accepts anyone'),
    session_id: NameSchema.describe(`A session of this project with more than ${HANDOFF_MIN_AVAILABLE_TOKENS} available tokens, not archived`),
    task_context: JsonObjectInputSchema.describe('What the receiving agent is to do, e.g. {"phase": "implementation"}'),
  })
  .meta({ id: 'CreateHandoffRequest' });

export const RejectHandoffBodySchema = z
  .strictObject({ reason: z.string().min(1).max(MAX_REJECTION_REASON).describe('Why the receiving side refuses the handoff') })
  .meta({ id: 'RejectHandoffRequest' });

export const HandoffParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });

export const ListHandoffsQuerySchema = ListQuerySchema.extend({
  session_id: NameSchema.optional(),
  status: HandoffStatusSchema.optional(),
  from_agent: NameSchema.optional(),
  to_agent: NameSchema.optional(),
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
