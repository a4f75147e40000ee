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
import { levelOf, tokenBudget } from '../../domain/budget.js';
import { SESSION_STATUSES, type Session } from '../../domain/session.js';

export const MAX_BUDGET = 1_000_000_000_000;

export const SessionStatusSchema = z.enum(SESSION_STATUSES).meta({ id: 'SessionStatus' });
export const LevelSchema = z
  .enum(['normal', 'progressive_disclosure', 'defer_non_critical', 'emergency'])
  .meta({ id: 'Level', description: 'normal [0,60) · progressive_disclosure [60,75) · defer_non_critical [75,85) · emergency [85,∞)' });

export const TokenBudgetSchema = z
  .object({
    total: z.int(),
    used: z.int(),
    reserved: z.int().describe('Tokens in live reservations (holds not yet committed, released or expired)'),
    available: z.int().describe('total - used - reserved; negative when over budget'),
    position_percent: z.number().describe('used / total * 100, rounded to 2 decimals'),
  })
  .meta({ id: 'TokenBudget' });

/** A past position (a checkpoint's): used of total, without the holds of that moment. */
export const TokenUsageSchema = z
  .object({
    total: z.int(),
    used: z.int(),
    available: z.int().describe('total - used; negative when over budget'),
    position_percent: z.number().describe('used / total * 100, rounded to 2 decimals'),
  })
  .meta({ id: 'TokenUsage' });

export const ThresholdsSchema = z
  .array(z.int().min(1).max(100))
  .max(20)
  .refine((values) => values.every((value, i) => i === 0 || value > values[i - 1]!), 'thresholds must be strictly ascending')
  .describe('Percentages of the budget whose crossing emits session.threshold_crossed');

export const NonCriticalKeysSchema = z.array(NameSchema).max(100).describe('Context keys moved to deferred_context when usage crosses 75%');

export const TotalSchema = z.int().min(1).max(MAX_BUDGET);

/** Session ids start with this; an external id may not, so that a value names one or the other. */
export const SESSION_ID_PREFIX = 'sess_';

export const ExternalIdSchema = NameSchema.refine((value) => !value.startsWith(SESSION_ID_PREFIX), {
  message: `must not start with "${SESSION_ID_PREFIX}" (that names a session id)`,
});

export const SessionSchema = z
  .object({
    session_id: z.string(),
    project_id: z.string(),
    task_id: z.string(),
    external_id: z.string().nullable().meta({
      description: "The caller's own name for the session, unique in the project; null when none was given",
      example: 'conv_5j66UpCpwteGg4YSxUnt7lPY',
    }),
    model: z.string(),
    status: SessionStatusSchema,
    token_budget: TokenBudgetSchema,
    level: LevelSchema,
    thresholds: z.array(z.int()),
    non_critical_keys: z.array(z.string()),
    context: JsonObjectSchema,
    deferred_context: JsonObjectSchema,
    metadata: JsonObjectSchema,
    parent_session_id: z.string().nullable(),
    fork_checkpoint_id: z.string().nullable(),
    recovered_from_session_id: z.string().nullable(),
    checkpoints_count: z.int(),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
    last_resumed_at: TimestampSchema.nullable(),
    last_recovery_at: TimestampSchema.nullable(),
    archived_at: TimestampSchema.nullable(),
    version: z.int().describe('Increases with every change; the ETag of the session'),
  })
  .meta({ id: 'Session' });

export const CreateSessionBodySchema = z
  .strictObject({
    task_id: NameSchema,
    external_id: ExternalIdSchema.optional().meta({
      description:
        'Your own name for this session, unique in the project (409 EXTERNAL_ID_TAKEN otherwise): a conversation or agent session id. ' +
        'OTLP telemetry whose gen_ai.conversation.id or session.id is this value counts on this session. May not start with "sess_".',
      example: 'claude-code-8f14e45f',
    }),
    model: NameSchema.optional().describe('Defaults to claude-sonnet-4-5-20250929'),
    token_budget: z.strictObject({ total: TotalSchema }).optional().describe("Defaults to the model's context window (GET /v1/models), else 200000"),
    context: JsonObjectInputSchema.optional(),
    thresholds: ThresholdsSchema.optional().describe('Default [75, 85]'),
    non_critical_keys: NonCriticalKeysSchema.optional().describe('Default ["temp_context"]'),
    metadata: JsonObjectInputSchema.optional(),
  })
  .meta({ id: 'CreateSessionRequest' });

export const PatchSessionBodySchema = z
  .strictObject({
    context: JsonObjectInputSchema.optional().describe('JSON merge patch (RFC 7396): null removes a key'),
    metadata: JsonObjectInputSchema.optional().describe('JSON merge patch (RFC 7396)'),
    token_budget: z.strictObject({ total: TotalSchema }).optional(),
    thresholds: ThresholdsSchema.optional(),
    non_critical_keys: NonCriticalKeysSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'the patch changes nothing: give at least one field',
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: 'PatchSessionRequest' });

export const ListSessionsQuerySchema = ListQuerySchema.extend({
  status: SessionStatusSchema.optional(),
  task_id: NameSchema.optional(),
  parent_session_id: NameSchema.optional(),
  external_id: NameSchema.optional().describe('Only the session with this external id'),
});

export const SessionParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });

export const IfMatchHeadersSchema = z.object({
  'if-match': z.string().max(256).optional(),
});

export type SessionWire = z.infer<typeof SessionSchema>;
export type TokenBudgetWire = z.infer<typeof TokenBudgetSchema>;

/** The one place a token_budget is built for the wire. */
export function tokenBudgetWire(total: number, used: number, reserved = 0): TokenBudgetWire {
  const budget = tokenBudget(total, used, reserved);
  return {
    total: budget.total,
    used: budget.used,
    reserved: budget.reserved,
    available: budget.available,
    position_percent: budget.positionPercent,
  };
}

export function tokenUsageWire(total: number, used: number): z.infer<typeof TokenUsageSchema> {
  const budget = tokenBudgetWire(total, used);
  return { total: budget.total, used: budget.used, available: budget.available, position_percent: budget.position_percent };
}

export function sessionWire(session: Session): SessionWire {
  return {
    session_id: session.id,
    project_id: session.projectId,
    task_id: session.taskId,
    external_id: session.externalId,
    model: session.model,
    status: session.status,
    token_budget: tokenBudgetWire(session.total, session.used, session.reserved),
    level: levelOf(session.used, session.total),
    thresholds: session.thresholds,
    non_critical_keys: session.nonCriticalKeys,
    context: session.context,
    deferred_context: session.deferredContext,
    metadata: session.metadata,
    parent_session_id: session.parentSessionId,
    fork_checkpoint_id: session.forkCheckpointId,
    recovered_from_session_id: session.recoveredFromSessionId,
    checkpoints_count: session.checkpointsCount,
    created_at: toTimestamp(session.createdAt),
    updated_at: toTimestamp(session.updatedAt),
    last_resumed_at: toOptionalTimestamp(session.lastResumedAt),
    last_recovery_at: toOptionalTimestamp(session.lastRecoveryAt),
    archived_at: toOptionalTimestamp(session.archivedAt),
    version: session.version,
  };
}

export const etagOf = (session: Pick<Session, 'version'>): string => `"${session.version}"`;
