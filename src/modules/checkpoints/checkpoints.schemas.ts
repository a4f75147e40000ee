import { z } from 'zod';
import { JsonObjectInputSchema, JsonObjectSchema, ListQuerySchema, NameSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { IdempotencyHeadersSchema } from '../idempotency/idempotency-key.js';
import { TokenUsageSchema, tokenUsageWire } from '../sessions/sessions.schemas.js';
import type { Checkpoint } from './checkpoints.repository.js';

export const CheckpointSchema = z
  .object({
    checkpoint_id: z.string(),
    session_id: z.string(),
    phase: z.string(),
    token_usage: TokenUsageSchema.describe("The session's token budget when the checkpoint was taken"),
    context_snapshot: JsonObjectSchema,
    sha256: z.string().describe('SHA-256 (hex) of the RFC 8785 canonical JSON of context_snapshot'),
    size_bytes: z.int().describe('Bytes of the canonical JSON of context_snapshot'),
    created_at: TimestampSchema,
  })
  .meta({ id: 'Checkpoint' });

/** The answer to a create: the checkpoint, without its snapshot when the client asked for `Prefer: return=minimal`. */
export const CreatedCheckpointSchema = CheckpointSchema.extend({
  context_snapshot: JsonObjectSchema.optional().describe('Left out under `Prefer: return=minimal`'),
}).meta({ id: 'CreatedCheckpoint' });

export const CreateCheckpointHeadersSchema = IdempotencyHeadersSchema.extend({
  prefer: z
    .string()
    .max(1024)
    .optional()
    .describe(
      '`return=minimal` (RFC 7240): answer without `context_snapshot`, which the client sent and has (the answer carries `Preference-Applied`)',
    ),
});

/** Whether a Prefer header asks for `return=minimal` (RFC 7240: comma-separated preferences, parameters after `;`). */
export const prefersMinimalReturn = (prefer: string | undefined): boolean =>
  prefer !== undefined && prefer.split(',').some((preference) => preference.split(';')[0]!.trim().toLowerCase() === 'return=minimal');

export function createdCheckpointWire(checkpoint: Checkpoint, minimal: boolean): z.infer<typeof CreatedCheckpointSchema> {
  const { context_snapshot: snapshot, ...rest } = checkpointWire(checkpoint);
  return minimal ? rest : { ...rest, context_snapshot: snapshot };
}

export const CreateCheckpointBodySchema = z
  .strictObject({
    phase: NameSchema.describe('Where the work stands, e.g. "iteration_2"'),
    context_snapshot: JsonObjectInputSchema.optional().describe("Omitted: the session's current context"),
  })
  .meta({ id: 'CreateCheckpointRequest' });

export const CheckpointParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });
export const ListCheckpointsQuerySchema = ListQuerySchema.extend({
  phase: NameSchema.optional().describe('Only the checkpoints of exactly this phase, e.g. `langgraph:checkpoint:<id>`'),
});

export function checkpointWire(checkpoint: Checkpoint): z.infer<typeof CheckpointSchema> {
  return {
    checkpoint_id: checkpoint.id,
    session_id: checkpoint.sessionId,
    phase: checkpoint.phase,
    token_usage: tokenUsageWire(checkpoint.total, checkpoint.used),
    context_snapshot: checkpoint.contextSnapshot,
    sha256: checkpoint.sha256,
    size_bytes: checkpoint.sizeBytes,
    created_at: toTimestamp(checkpoint.createdAt),
  };
}
