import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { levelOf } from '../../domain/budget.js';
import { LevelSchema, SessionStatusSchema, TokenBudgetSchema, tokenBudgetWire } from '../sessions/sessions.schemas.js';
import type { UsageEntry, UsageResult } from './usage.service.js';

export const MAX_TOKENS_PER_UPDATE = 10_000_000;
const TokenCount = z.int().min(0).max(MAX_TOKENS_PER_UPDATE);

export const RecordUsageBodySchema = z
  .strictObject({
    tokens: TokenCount.optional().describe('Tokens this model call used; or give input_tokens and output_tokens'),
    input_tokens: TokenCount.optional(),
    output_tokens: TokenCount.optional(),
    model: NameSchema.optional(),
    source: NameSchema.optional().describe('Free text: which agent or call reported this usage'),
  })
  .superRefine((body, ctx) => {
    const split = body.input_tokens !== undefined || body.output_tokens !== undefined;
    if (body.tokens !== undefined && split) {
      ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'give either tokens or input_tokens and output_tokens, not both' });
      return;
    }
    if (!split && body.tokens === undefined) {
      ctx.addIssue({ code: 'custom', path: ['tokens'], message: 'tokens is required (or input_tokens and output_tokens)' });
      return;
    }
    if (split && (body.input_tokens === undefined || body.output_tokens === undefined)) {
      const missing = body.input_tokens === undefined ? 'input_tokens' : 'output_tokens';
      ctx.addIssue({ code: 'custom', path: [missing], message: `${missing} is required with the other one` });
      return;
    }
    const total = body.tokens ?? (body.input_tokens ?? 0) + (body.output_tokens ?? 0);
    if (total < 1 || total > MAX_TOKENS_PER_UPDATE) {
      ctx.addIssue({ code: 'custom', path: ['tokens'], message: `an update counts 1 to ${MAX_TOKENS_PER_UPDATE} tokens` });
    }
  })
  .meta({ id: 'RecordUsageRequest' });

export const UsageResultSchema = z
  .object({
    session_id: z.string(),
    token_budget: TokenBudgetSchema,
    level: LevelSchema,
    crossed: z.array(z.int()).describe('Thresholds this update crossed, ascending; each emits session.threshold_crossed'),
    status: SessionStatusSchema,
  })
  .meta({ id: 'UsageResult' });

export const UsageEntrySchema = z
  .object({
    tokens: z.int(),
    input_tokens: z.int().nullable(),
    output_tokens: z.int().nullable(),
    used: z.int(),
    available: z.int(),
    position_percent: z.number(),
    crossed: z.array(z.int()),
    model: z.string().nullable(),
    source: z.string().nullable(),
    origin: z
      .string()
      .nullable()
      .meta({
        description:
          'The telemetry item this update came from: `span:<trace_id>/<span_id>` for an OTLP span, `log:<sha-256>` for an OTLP log record ' +
          '(the hash of its trace and span ids, timestamps, body and attributes); null for updates sent to this API',
        example: 'span:5b8efff798038103d269b633813fc60c/eee19b7ec3c1b174',
      }),
    created_at: TimestampSchema,
  })
  .meta({ id: 'UsageEntry' });

export const UsageListQuerySchema = ListQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(200).default(10),
});

export function usageResultWire(result: UsageResult): z.infer<typeof UsageResultSchema> {
  return {
    session_id: result.sessionId,
    token_budget: tokenBudgetWire(result.total, result.used, result.reserved),
    level: levelOf(result.used, result.total),
    crossed: result.crossed,
    status: result.status,
  };
}

export function usageEntryWire(entry: UsageEntry): z.infer<typeof UsageEntrySchema> {
  const budget = tokenBudgetWire(entry.totalAfter, entry.usedAfter);
  return {
    tokens: entry.tokens,
    input_tokens: entry.inputTokens,
    output_tokens: entry.outputTokens,
    used: budget.used,
    available: budget.available,
    position_percent: budget.position_percent,
    crossed: entry.crossed,
    model: entry.model,
    source: entry.source,
    origin: entry.origin,
    created_at: toTimestamp(entry.createdAt),
  };
}

const ByThresholdSchema = z
  .record(z.string(), z.int().nullable())
  .describe('Keyed by threshold percent ("75", "85", "100"); null without enough history');

export const BudgetSchema = z
  .object({
    session_id: z.string(),
    token_budget: TokenBudgetSchema,
    level: LevelSchema,
    thresholds: z.array(z.int()),
    session_age_seconds: z.int(),
    recommendations: z.array(
      z.object({
        metric: z.enum(['token_usage_percent', 'session_duration']),
        value: z.number(),
        target: z.string(),
        action: z.string(),
      }),
    ),
    forecast: z.object({
      tokens_per_update: z.int().nullable().describe('Mean tokens of the recent updates'),
      updates_until: ByThresholdSchema,
      seconds_until: ByThresholdSchema,
    }),
  })
  .meta({ id: 'Budget' });
