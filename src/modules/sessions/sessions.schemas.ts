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
import { levelOf, tokenBudget } from '../../domain/budget.js';
import { SESSION_STATUSES, type Session } from '../../domain/session.js';
import { COUNT_MODES } from '../../domain/token-classes.js';
import { canonicalPrice, costPositionPercent } from '../../domain/prices.js';

export const MAX_BUDGET = 1_000_000_000_000;

export const SessionStatusSchema = z.enum(SESSION_STATUSES).meta({
  id: 'SessionStatus',
  description:
    'active: new or restored · resumed: resumed after a pause · emergency_recovery: at or past 85% of its budget, to be recovered ' +
    '(POST …/emergency-recovery) or restored from a checkpoint · archived: takes no more usage, checkpoints or changes',
});
export const LevelSchema = z
  .enum(['normal', 'progressive_disclosure', 'defer_non_critical', 'emergency'])
  .meta({ id: 'Level', description: 'normal [0,60) · progressive_disclosure [60,75) · defer_non_critical [75,85) · emergency [85,∞)' });

export const TokenBudgetSchema = z
  .object({
    total: z.int().meta({ description: 'The budget: how many tokens the session may use', examples: [200000] }),
    used: z.int().meta({ description: 'Tokens counted so far (usage updates)', examples: [1250] }),
    reserved: z.int().meta({ description: 'Tokens in live reservations (holds not yet committed, released or expired)', examples: [0] }),
    available: z.int().meta({ description: 'total - used - reserved; negative when over budget', examples: [198750] }),
    position_percent: z.number().meta({ description: 'used / total * 100, rounded to 2 decimals', examples: [0.63] }),
  })
  .meta({ id: 'TokenBudget', description: "A session's token budget and how much of it is used" });

export const UsdSchema = z
  .string()
  .regex(/^\d+(\.\d+)?$/)
  .meta({ description: 'US dollars, an exact decimal as a string', example: '0.03885' });

export const CostSchema = z
  .object({
    used_usd: UsdSchema.describe('Exact sum of the cost_usd of every usage update (those of models without a price count 0)'),
    limit_usd: UsdSchema.nullable().describe('cost_limit_usd; null when the session has none'),
    position_percent: z.number().nullable().describe('used_usd / limit_usd * 100, rounded to 2 decimals; null without a limit'),
  })
  .meta({ id: 'Cost' });

export function costWire(usedUsd: string, limitUsd: string | null): z.infer<typeof CostSchema> {
  return { used_usd: usedUsd, limit_usd: limitUsd, position_percent: costPositionPercent(usedUsd, limitUsd) };
}

export const CountModeSchema = z.enum(COUNT_MODES).meta({
  id: 'CountMode',
  description: 'What the budget counts: `all` (input + cache_read + cache_write + output) or `billable_input_output` (cache reads excluded)',
});

/** A cost limit in USD: a decimal ≥ 0 with at most 6 decimals, as a string or a JSON number. */
export const CostLimitSchema = z
  .union([z.string(), z.number()])
  .refine(
    (value) => canonicalPrice(value) !== null && Number(value) > 0,
    'must be a positive amount of US dollars with at most 6 decimals, up to 100000',
  )
  .meta({ description: 'Cost limit in US dollars (a decimal string or a number)', example: '25.00' });

export const CostThresholdsSchema = z
  .array(z.int().min(1).max(100))
  .max(20)
  .refine((values) => values.every((value, i) => i === 0 || value > values[i - 1]!), 'cost_thresholds must be strictly ascending')
  .describe('Percentages of cost_limit_usd whose crossing emits session.cost_threshold_crossed');

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

export const TotalSchema = z
  .int()
  .min(1)
  .max(MAX_BUDGET)
  .meta({ description: 'The budget in tokens', examples: [200000] });

/** Session ids start with this; an external id may not, so that a value names one or the other. */
export const SESSION_ID_PREFIX = 'sess_';

export const ExternalIdSchema = NameSchema.refine((value) => !value.startsWith(SESSION_ID_PREFIX), {
  message: `must not start with "${SESSION_ID_PREFIX}" (that names a session id)`,
});

export const SessionSchema = z
  .object({
    session_id: z.string().meta({ description: 'The session id (`sess_` and 32 hex digits)', examples: [EXAMPLE.sessionId] }),
    project_id: z.string().meta({ description: 'The project of the API key that created it', examples: [EXAMPLE.projectId] }),
    task_id: z.string().meta({ description: 'The task the session works on, as the caller named it', examples: [EXAMPLE.taskId] }),
    external_id: z.string().nullable().meta({
      description: "The caller's own name for the session, unique in the project; null when none was given",
      example: 'conv_5j66UpCpwteGg4YSxUnt7lPY',
    }),
    model: z.string().meta({ description: 'The model the session runs on (its context window is the default budget)', examples: [EXAMPLE.model] }),
    status: SessionStatusSchema,
    token_budget: TokenBudgetSchema,
    level: LevelSchema,
    thresholds: z
      .array(z.int())
      .meta({ description: 'Percentages of the budget whose crossing emits session.threshold_crossed', examples: [[75, 85]] }),
    count: CountModeSchema,
    cost: CostSchema,
    cost_thresholds: z
      .array(z.int())
      .meta({ description: 'Percentages of cost_limit_usd whose crossing emits session.cost_threshold_crossed', examples: [[75, 85]] }),
    non_critical_keys: z
      .array(z.string())
      .meta({ description: 'Context keys moved to deferred_context when usage crosses 75%', examples: [['temp_context']] }),
    context: JsonObjectSchema.meta({
      description: "The session's working context, a JSON object",
      examples: [{ files: ['src/billing/invoice.ts'] }],
    }),
    deferred_context: JsonObjectSchema.meta({
      description: 'Non-critical context moved out of context on a tight budget (restored by a restore or merge)',
      examples: [{}],
    }),
    metadata: JsonObjectSchema.meta({
      description: "The caller's own data about the session; the service does not read it",
      examples: [{ team: 'payments' }],
    }),
    parent_session_id: z.string().nullable().describe('The session this one was forked from; null when not a fork'),
    fork_checkpoint_id: z.string().nullable().describe('The checkpoint of the parent the fork started from; null when not a fork'),
    recovered_from_session_id: z.string().nullable().describe('The session whose emergency recovery created this one; null otherwise'),
    recovered_to_session_id: z
      .string()
      .nullable()
      .describe('Set when emergency recovery archived this session: the new session that carries it on (usage and checkpoints go there)'),
    checkpoints_count: z.int().meta({ description: 'How many checkpoints the session has', examples: [0] }),
    created_at: TimestampSchema.describe('When the session was created'),
    updated_at: TimestampSchema.describe('When the session last changed'),
    last_resumed_at: TimestampSchema.nullable().describe('When it was last resumed; null if never'),
    last_recovery_at: TimestampSchema.nullable().describe('When it was last restored from a checkpoint; null if never'),
    archived_at: TimestampSchema.nullable().describe('When it was archived; null while live'),
    version: z.int().meta({ description: 'Increases with every change; the ETag of the session', examples: [1] }),
  })
  .meta({ id: 'Session', description: 'A session: one task of one agent, its token budget, context and lineage' });

export const CreateSessionBodySchema = z
  .strictObject({
    task_id: NameSchema.meta({ description: 'The task the session works on: your name for it (1–256 characters)', examples: [EXAMPLE.taskId] }),
    external_id: ExternalIdSchema.optional().meta({
      description:
        'Your own name for this session, unique in the project (409 EXTERNAL_ID_TAKEN otherwise): a conversation or agent session id. ' +
        'OTLP telemetry whose gen_ai.conversation.id or session.id is this value counts on this session. May not start with "sess_".',
      example: 'claude-code-8f14e45f',
    }),
    model: NameSchema.optional().meta({
      description:
        'One of GET /v1/models (400 listing them otherwise, unless the deployment sets ALLOW_UNKNOWN_MODELS=true). Defaults to claude-sonnet-4-5-20250929',
      examples: [EXAMPLE.model],
    }),
    token_budget: z.strictObject({ total: TotalSchema }).optional().describe("Defaults to the model's context window (GET /v1/models), else 200000"),
    context: JsonObjectInputSchema.optional().meta({
      description: 'The initial working context, a JSON object; default {}',
      examples: [{ files: ['src/billing/invoice.ts'] }],
    }),
    thresholds: ThresholdsSchema.optional().describe('Default [75, 85]'),
    non_critical_keys: NonCriticalKeysSchema.optional().describe('Default ["temp_context"]'),
    metadata: JsonObjectInputSchema.optional().meta({ description: 'Your own data about the session; default {}', examples: [{ team: 'payments' }] }),
    count: CountModeSchema.optional().describe('Default all'),
    cost_limit_usd: CostLimitSchema.optional(),
    cost_thresholds: CostThresholdsSchema.optional().describe('Default [75, 85]'),
  })
  .meta({
    id: 'CreateSessionRequest',
    examples: [
      {
        task_id: EXAMPLE.taskId,
        model: EXAMPLE.model,
        token_budget: { total: 200000 },
        context: { files: ['src/billing/invoice.ts'] },
        thresholds: [75, 85, 100],
        metadata: { team: 'payments' },
      },
    ],
  });

export const PatchSessionBodySchema = z
  .strictObject({
    context: JsonObjectInputSchema.optional().describe('JSON merge patch (RFC 7396): null removes a key'),
    metadata: JsonObjectInputSchema.optional().describe('JSON merge patch (RFC 7396)'),
    token_budget: z.strictObject({ total: TotalSchema }).optional().describe('A new total; used stays'),
    thresholds: ThresholdsSchema.optional().describe('Replaces the thresholds'),
    non_critical_keys: NonCriticalKeysSchema.optional().describe('Replaces the non-critical keys'),
    count: CountModeSchema.optional().describe('Applies to the updates from now on; tokens counted so far stay counted'),
    cost_limit_usd: CostLimitSchema.nullable().optional().describe('null removes the limit'),
    cost_thresholds: CostThresholdsSchema.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'the patch changes nothing: give at least one field',
    when: (payload) => payload.issues.length === 0,
  })
  .meta({
    id: 'PatchSessionRequest',
    description: 'At least one field',
    examples: [{ context: { current_step: 'write tests', temp_context: null }, metadata: { reviewed: true } }],
  });

export const ListSessionsQuerySchema = ListQuerySchema.extend({
  status: z.enum(SESSION_STATUSES).optional().describe('Only sessions in this status'),
  task_id: NameSchema.optional().describe('Only sessions of this task'),
  parent_session_id: NameSchema.optional().describe('Only the forks of this session'),
  external_id: NameSchema.optional().describe('Only the session with this external id'),
});

export const SessionParamsSchema = z.strictObject({
  id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'The session id', examples: [EXAMPLE.sessionId] }),
});

export const IfMatchHeadersSchema = z.object({
  'if-match': z.string().max(256).optional().describe('The ETag of GET (`"3"`): change only that version (412 otherwise); `*` any'),
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
    count: session.countMode,
    cost: costWire(session.costUsedUsd, session.costLimitUsd),
    cost_thresholds: session.costThresholds,
    non_critical_keys: session.nonCriticalKeys,
    context: session.context,
    deferred_context: session.deferredContext,
    metadata: session.metadata,
    parent_session_id: session.parentSessionId,
    fork_checkpoint_id: session.forkCheckpointId,
    recovered_from_session_id: session.recoveredFromSessionId,
    recovered_to_session_id: session.recoveredToSessionId,
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
