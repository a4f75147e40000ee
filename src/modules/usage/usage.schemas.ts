import { z } from 'zod';
import { ListQuerySchema, NameSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import { levelOf } from '../../domain/budget.js';
import {
  CostSchema,
  LevelSchema,
  SessionStatusSchema,
  TokenBudgetSchema,
  UsdSchema,
  costWire,
  tokenBudgetWire,
} from '../sessions/sessions.schemas.js';
import type { UsageEntry, UsageInput, UsageResult, UsageService } from './usage.service.js';
import { USAGE_PROVIDERS, normaliseUsage, totalTokens, type TokenClasses, type UsageProvider } from '../../domain/token-classes.js';

export const MAX_TOKENS_PER_UPDATE = 10_000_000;
const TokenCount = z.int().min(0).max(MAX_TOKENS_PER_UPDATE);

export const RecordUsageBodySchema = z
  .strictObject({
    tokens: TokenCount.optional().meta({
      description:
        'Tokens this model call used, input and output together; or give input_tokens and output_tokens, or provider and usage, instead (one of the three)',
      examples: [1250],
    }),
    input_tokens: TokenCount.optional().meta({
      description: 'Input (prompt) tokens of the call; with output_tokens, instead of tokens',
      examples: [1000],
    }),
    output_tokens: TokenCount.optional().meta({
      description: 'Output (completion) tokens of the call; with input_tokens, instead of tokens',
      examples: [250],
    }),
    provider: z.enum(USAGE_PROVIDERS).optional().describe('Whose usage object `usage` is'),
    usage: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({
        description:
          "The provider's usage object, verbatim: Anthropic Messages `usage`, OpenAI Chat Completions or Responses `usage`, Gemini " +
          "`usageMetadata`, or a LangChain message's `usage_metadata`. Unknown fields are ignored, missing counts are 0.",
        example: { input_tokens: 50, cache_read_input_tokens: 100000, cache_creation_input_tokens: 248, output_tokens: 503 },
      }),
    model: NameSchema.optional().meta({
      description: "The model that was called (prices the call); default the session's model",
      examples: [EXAMPLE.model],
    }),
    source: NameSchema.optional().meta({ description: 'Free text: which agent or call reported this usage', examples: ['planner'] }),
  })
  .superRefine((body, ctx) => {
    if (body.provider !== undefined || body.usage !== undefined) {
      providerUsageIssues(body, ctx);
      return;
    }
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
  .meta({
    id: 'RecordUsageRequest',
    description: 'Either `tokens`, or `input_tokens` and `output_tokens`, or `provider` and `usage`: 1 to 10,000,000 tokens in all',
    examples: [{ input_tokens: 1000, output_tokens: 250, model: EXAMPLE.model, source: 'planner' }],
  });

type RecordUsageBody = z.infer<typeof RecordUsageBodySchema>;

/** `{ provider, usage }` alone, and a usage object that normalises to 1 to MAX_TOKENS_PER_UPDATE tokens. */
function providerUsageIssues(body: Omit<RecordUsageBody, never>, ctx: z.RefinementCtx): void {
  const other = (['tokens', 'input_tokens', 'output_tokens'] as const).find((key) => body[key] !== undefined);
  if (other) {
    ctx.addIssue({
      code: 'custom',
      path: [other],
      message: 'give either provider and usage, or tokens (or input_tokens and output_tokens), not both',
    });
    return;
  }
  if (body.provider === undefined || body.usage === undefined) {
    const missing = body.provider === undefined ? 'provider' : 'usage';
    ctx.addIssue({ code: 'custom', path: [missing], message: `${missing} is required with the other one` });
    return;
  }
  const result = normaliseUsage(body.provider, body.usage, MAX_TOKENS_PER_UPDATE);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', path: ['usage', ...(result.field ? result.field.split('.') : [])], message: result.message });
    return;
  }
  if (totalTokens(result.classes) < 1) ctx.addIssue({ code: 'custom', path: ['usage'], message: 'the usage object counts no tokens' });
}

/** The classes of a validated body's `{ provider, usage }` (undefined for the plain bodies). */
export function bodyClasses(body: { provider?: UsageProvider; usage?: Record<string, unknown> }): TokenClasses | undefined {
  if (body.provider === undefined || body.usage === undefined) return undefined;
  const result = normaliseUsage(body.provider, body.usage, MAX_TOKENS_PER_UPDATE);
  if (!result.ok) throw new Error(`usage was validated: ${result.message}`);
  return result.classes;
}

/** A validated usage body (POST …/usage, a reservation's commit, their MCP tools) as the usage service takes it. */
export function usageInputOf(body: z.output<typeof RecordUsageBodySchema>): UsageInput {
  return {
    tokens: body.tokens,
    inputTokens: body.input_tokens,
    outputTokens: body.output_tokens,
    classes: bodyClasses(body),
    provider: body.provider,
    model: body.model,
    source: body.source,
  };
}

export const TokenClassesSchema = z
  .object({
    input: z.int().describe('Input tokens not read from or written to a cache'),
    cache_read: z.int().describe('Input tokens read from a prompt cache'),
    cache_write: z.int().describe('Input tokens written to a prompt cache'),
    cache_write_1h: z.int().describe('The part of cache_write written to a 1-hour cache (priced apart by Anthropic)'),
    output: z.int().describe('Output tokens, reasoning included'),
    reasoning: z.int().describe('The part of output spent reasoning (shown apart, not added)'),
  })
  .meta({ id: 'TokenClasses', description: 'Every token of the call in exactly one of input, cache_read, cache_write, output' });

export function classesWire(classes: TokenClasses | null): z.infer<typeof TokenClassesSchema> | null {
  return classes
    ? {
        input: classes.input,
        cache_read: classes.cacheRead,
        cache_write: classes.cacheWrite,
        cache_write_1h: classes.cacheWrite1h,
        output: classes.output,
        reasoning: classes.reasoning,
      }
    : null;
}

const CallCostFields = {
  tokens: z.int().describe("Tokens this update counted on the budget (the session's count mode applied)"),
  classes: TokenClassesSchema.nullable().describe('null for a plain { tokens } update'),
  cost_usd: UsdSchema.nullable().describe("This call's exact cost; null when its model has no price or the update has no classes"),
  price_version: z.string().nullable().meta({
    description:
      'The prices cost_usd was computed at: `catalog:<date>` (built in), `settings:<date>` (MODELS), `project:<n>` (PUT /v1/models/{model}/prices)',
    example: 'catalog:2025-12-01',
  }),
  cost: CostSchema.describe("The session's cost after this update"),
  cost_crossed: z.array(z.int()).describe('Cost thresholds this update crossed, ascending; each emits session.cost_threshold_crossed'),
};

export const UsageResultSchema = z
  .object({
    session_id: z.string().meta({ description: 'The session', examples: [EXAMPLE.sessionId] }),
    token_budget: TokenBudgetSchema,
    level: LevelSchema,
    crossed: z
      .array(z.int())
      .meta({ description: 'Thresholds this update crossed, ascending; each emits session.threshold_crossed', examples: [[]] }),
    status: SessionStatusSchema,
    ...CallCostFields,
  })
  .meta({ id: 'UsageResult', description: 'The budget after the update' });

export const UsageEntrySchema = z
  .object({
    ...CallCostFields,
    input_tokens: z.int().nullable().describe('All input tokens, cached or not (classes input + cache_read + cache_write); null for { tokens }'),
    output_tokens: z.int().nullable().describe('Output tokens, when the update gave them apart; null for { tokens }'),
    provider: z.enum(USAGE_PROVIDERS).nullable().describe('Whose usage object was sent; null for the plain bodies'),
    used: z.int().meta({ description: "The session's used tokens after this update", examples: [1250] }),
    available: z.int().meta({ description: 'Its available tokens after this update', examples: [198750] }),
    position_percent: z.number().meta({ description: 'Its position after this update, in percent of the budget', examples: [0.63] }),
    crossed: z.array(z.int()).describe('Thresholds this update crossed'),
    model: z.string().nullable().describe('The model the update named; null when none'),
    source: z.string().nullable().describe('The source the update named; null when none'),
    origin: z
      .string()
      .nullable()
      .meta({
        description:
          'The telemetry item this update came from: `span:<trace_id>/<span_id>` for an OTLP span, `log:<sha-256>` for an OTLP log record ' +
          '(the hash of its trace and span ids, timestamps, body and attributes); null for updates sent to this API',
        example: 'span:5b8efff798038103d269b633813fc60c/eee19b7ec3c1b174',
      }),
    created_at: TimestampSchema.describe('When the update was counted'),
  })
  .meta({ id: 'UsageEntry', description: 'One usage update as it was counted' });

export const UsageListQuerySchema = ListQuerySchema.extend({
  limit: z.coerce.number().int().min(1).max(200).default(10).describe('How many updates a page holds, 1 to 200; default 10'),
});

export function usageResultWire(result: UsageResult): z.infer<typeof UsageResultSchema> {
  return {
    session_id: result.sessionId,
    token_budget: tokenBudgetWire(result.total, result.used, result.reserved),
    level: levelOf(result.used, result.total),
    crossed: result.crossed,
    status: result.status,
    tokens: result.tokens,
    classes: classesWire(result.classes),
    cost_usd: result.costUsd,
    price_version: result.priceVersion,
    cost: costWire(result.costUsedUsd, result.costLimitUsd),
    cost_crossed: result.costCrossed,
  };
}

export function usageEntryWire(entry: UsageEntry): z.infer<typeof UsageEntrySchema> {
  const budget = tokenBudgetWire(entry.totalAfter, entry.usedAfter);
  return {
    tokens: entry.tokens,
    classes: classesWire(entry.classes),
    cost_usd: entry.costUsd,
    price_version: entry.priceVersion,
    cost: costWire(entry.costUsedAfter, entry.costLimitAfter),
    cost_crossed: entry.costCrossed,
    input_tokens: entry.classes ? entry.classes.input + entry.classes.cacheRead + entry.classes.cacheWrite : null,
    output_tokens: entry.classes ? entry.classes.output : null,
    provider: entry.provider as UsageProvider | null,
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
    session_id: z.string().meta({ description: 'The session', examples: [EXAMPLE.sessionId] }),
    token_budget: TokenBudgetSchema,
    level: LevelSchema,
    thresholds: z.array(z.int()).meta({ description: "The session's thresholds", examples: [[75, 85]] }),
    count: z.enum(['all', 'billable_input_output']).describe('What the budget counts: every token, or all but cache reads'),
    cost: CostSchema,
    cost_thresholds: z.array(z.int()).describe('Percentages of cost_limit_usd whose crossing emits session.cost_threshold_crossed'),
    session_age_seconds: z.int().meta({ description: 'Seconds since the session was created', examples: [420] }),
    recommendations: z
      .array(
        z.object({
          metric: z.enum(['token_usage_percent', 'session_duration']).describe('Which metric of the reference table'),
          value: z.number().meta({ description: 'Its value now (percent, or minutes)', examples: [76.5] }),
          target: z.string().meta({ description: 'The healthy target', examples: ['<60%'] }),
          action: z.string().meta({ description: 'What the reference table says to do', examples: ['Defer non-critical context'] }),
        }),
      )
      .describe('What to do about the metrics that are past their target; [] when none is'),
    forecast: z
      .object({
        tokens_per_update: z.int().nullable().describe('Mean tokens of the recent updates'),
        updates_until: ByThresholdSchema.describe('How many more such updates until each threshold; null without enough history'),
        seconds_until: ByThresholdSchema.describe(
          'Seconds until each threshold at the pace of the last 10 minutes up to now (idle time slows it); null without usage in them',
        ),
      })
      .describe('When the thresholds will be reached at the recent rate'),
  })
  .meta({ id: 'Budget', description: 'The budget of a session, what to do about it, and a forecast' });

/** GET /v1/sessions/{id}/budget's answer (and the MCP get_budget tool's, and its budget resource). */
export function budgetWire({
  session,
  ageSeconds,
  recommendations,
  forecast,
}: Awaited<ReturnType<UsageService['budget']>>): z.infer<typeof BudgetSchema> {
  return {
    session_id: session.id,
    token_budget: tokenBudgetWire(session.total, session.used, session.reserved),
    level: levelOf(session.used, session.total),
    thresholds: session.thresholds,
    count: session.countMode,
    cost: costWire(session.costUsedUsd, session.costLimitUsd),
    cost_thresholds: session.costThresholds,
    session_age_seconds: ageSeconds,
    recommendations,
    forecast: { tokens_per_update: forecast.tokensPerUpdate, updates_until: forecast.updatesUntil, seconds_until: forecast.secondsUntil },
  };
}
