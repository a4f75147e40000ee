import { z } from 'zod';
import { JsonObjectInputSchema, JsonObjectSchema, ListQuerySchema, NameSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import { IdempotencyHeadersSchema } from '../idempotency/idempotency-key.js';
import { TokenUsageSchema, tokenUsageWire } from '../sessions/sessions.schemas.js';
import type { Checkpoint } from './checkpoints.repository.js';

export const CheckpointSchema = z
  .object({
    checkpoint_id: z.string().meta({ description: 'The checkpoint id (`ckpt_` and 32 hex digits)', examples: [EXAMPLE.checkpointId] }),
    session_id: z.string().meta({ description: 'The session it is a checkpoint of', examples: [EXAMPLE.sessionId] }),
    phase: z.string().meta({ description: 'Where the work stood, as the caller named it', examples: ['iteration_2'] }),
    token_usage: TokenUsageSchema.describe("The session's token budget when the checkpoint was taken"),
    context_snapshot: JsonObjectSchema.meta({ description: 'The context as it was checkpointed', examples: [{ files: ['src/billing/invoice.ts'] }] }),
    sha256: z.string().meta({
      description: 'SHA-256 (hex) of the RFC 8785 canonical JSON of context_snapshot',
      examples: ['5f0d9b3e0c4d8b7b2f1a6c9e8d7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f'],
    }),
    size_bytes: z.int().meta({ description: 'Bytes of the canonical JSON of context_snapshot', examples: [38] }),
    created_at: TimestampSchema.describe('When the checkpoint was taken'),
  })
  .meta({ id: 'Checkpoint', description: "A snapshot of a session's context, verified by its SHA-256" });

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
    phase: NameSchema.meta({ description: 'Where the work stands, e.g. "iteration_2"', examples: ['iteration_2'] }),
    context_snapshot: JsonObjectInputSchema.optional().meta({
      description: "The context to keep; omitted: the session's current context",
      examples: [{ files: ['src/billing/invoice.ts'], current_step: 'write tests' }],
    }),
  })
  .meta({
    id: 'CreateCheckpointRequest',
    examples: [{ phase: 'iteration_2', context_snapshot: { files: ['src/billing/invoice.ts'], current_step: 'write tests' } }],
  });

/** How many checkpoints one batch may carry. */
export const MAX_BATCH_CHECKPOINTS = 100;

export const CreateCheckpointBatchBodySchema = z
  .strictObject({
    checkpoints: z
      .array(
        z.strictObject({
          phase: NameSchema.meta({ description: 'Where the work stands, e.g. "iteration_2"', examples: ['iteration_2'] }),
          context_snapshot: JsonObjectInputSchema.meta({ description: 'The context to keep', examples: [{ current_step: 'write tests' }] }),
        }),
      )
      .min(1)
      .max(MAX_BATCH_CHECKPOINTS)
      .describe(`1 to ${MAX_BATCH_CHECKPOINTS} checkpoints, stored in this order`),
  })
  .meta({
    id: 'CreateCheckpointBatchRequest',
    examples: [
      {
        checkpoints: [
          { phase: 'iteration_2', context_snapshot: { current_step: 'write tests' } },
          { phase: 'iteration_3', context_snapshot: { current_step: 'review' } },
        ],
      },
    ],
  });

export const CreatedCheckpointBatchSchema = z
  .object({ data: z.array(CreatedCheckpointSchema).describe('The checkpoints, in the order sent (ids ascending)') })
  .meta({ id: 'CreatedCheckpointBatch', description: 'The checkpoints a batch created' });

export const CheckpointParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'The checkpoint id', examples: [EXAMPLE.checkpointId] }),
});
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
