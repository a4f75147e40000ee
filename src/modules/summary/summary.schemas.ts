import { z } from 'zod';
import { TimestampSchema, toOptionalTimestamp, toTimestamp } from '../../lib/wire.js';
import { UsdSchema } from '../sessions/sessions.schemas.js';
import { HANDOFF_STATUSES } from '../handoffs/handoffs.repository.js';
import { LEVELS } from '../../domain/budget.js';
import { SESSION_STATUSES } from '../../domain/session.js';
import type { MetricsSummary } from './summary.service.js';
import type { Distribution } from './summary.repository.js';
import { HANDOFF_SUCCESS_TARGET_PERCENT, RECOVERY_ACTION_ABOVE_MINUTES, RECOVERY_TARGET_MINUTES } from './targets.js';

const LEVEL_NAMES = LEVELS.map(({ level }) => level);

export const MetricsSummaryQuerySchema = z.strictObject({
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .meta({
      description: 'RFC 3339 timestamp: only sessions, handoffs and recoveries created at or after it. Omitted: everything the project has',
      examples: ['2026-12-01T00:00:00Z'],
    }),
});

const DistributionSchema = z
  .object({
    count: z.int().meta({ description: 'How many were measured', examples: [4] }),
    p50: z.number().nullable().describe('The median'),
    p95: z.number().nullable().describe('The 95th percentile'),
    max: z.number().nullable().describe('The longest'),
  })
  .meta({ id: 'SecondsDistribution', description: 'In seconds, 3 decimals (percentile_cont); p50, p95 and max are null when count is 0' });

/** An object with every one of `keys`, each a `value` (every status or level is present, 0 when none). */
function countsBy<const K extends string, V extends z.ZodType>(keys: readonly K[], value: V, what: string) {
  return z.object(Object.fromEntries(keys.map((key) => [key, value.describe(`${what} ${key}`)])) as unknown as Record<K, V>);
}

export const TargetCheckSchema = z
  .object({
    metric: z
      .enum(['token_usage_percent', 'session_duration', 'handoff_success_percent', 'recovery_time'])
      .describe('The metric of the reference table'),
    target: z.string().describe('The healthy target of the reference table, e.g. "<60%"'),
    actual: z
      .number()
      .nullable()
      .describe(
        'token_usage_percent: highest position of a live session; session_duration: age of the oldest live session (minutes); ' +
          'handoff_success_percent: accepted of decided handoffs; recovery_time: p95 of recovery times (minutes). Null when there is nothing to measure',
      ),
    unit: z.enum(['percent', 'minutes']).describe('The unit of actual'),
    missed: z.boolean().describe('true when actual is past the target'),
    action: z.string().describe('What the reference table says to do at `actual`'),
    detail: z.string().describe('The figures behind `actual`'),
  })
  .meta({ id: 'TargetCheck', description: 'One metric of the reference table against its target' });

export const UsageSummarySchema = z
  .object({
    cost_usd: UsdSchema.describe("Exact sum of the sessions' cost"),
    tokens_by_class: z
      .object({
        input: z.number(),
        cache_read: z.number(),
        cache_write: z.number(),
        cache_write_1h: z.number().describe('Part of cache_write'),
        output: z.number(),
        reasoning: z.number().describe('Part of output'),
        unclassified: z.number().describe('Tokens of plain { tokens } updates, which name no class'),
      })
      .describe('Tokens of the usage history, per class'),
    by_model: z
      .array(z.object({ model: z.string(), updates: z.int(), tokens: z.number(), cost_usd: UsdSchema }))
      .describe("Per model called (the update's model, else its session's): updates, counted tokens and exact cost, by model name"),
  })
  .meta({
    id: 'UsageSummary',
    description: 'Over the usage history kept (USAGE_RETENTION_DAYS); cost_usd over the sessions themselves',
  });

export function usageSummaryWire(usage: MetricsSummary['usage']): z.infer<typeof UsageSummarySchema> {
  return {
    cost_usd: usage.costUsd,
    tokens_by_class: usage.tokensByClass,
    by_model: usage.byModel.map((entry) => ({ model: entry.model, updates: entry.updates, tokens: entry.tokens, cost_usd: entry.costUsd })),
  };
}

export const MetricsSummarySchema = z
  .object({
    generated_at: TimestampSchema.describe('When the summary was computed'),
    since: TimestampSchema.nullable().describe('The `since` of the request; null when it gave none'),
    sessions: z
      .object({
        total: z.int().meta({ description: 'Sessions created (since `since`)', examples: [12] }),
        live: z.int().describe('Not archived'),
        by_status: countsBy(SESSION_STATUSES, z.int(), 'Sessions').describe('Every status, 0 when none'),
      })
      .describe('How many sessions, by status'),
    tokens: z
      .object({
        used: z.number().describe('Tokens used, summed over the sessions (an integer; beyond 2^53 as precise as a JSON number is)'),
        budget: z.number().describe('Their budgets (total), summed (an integer, like used)'),
        live_by_level: countsBy(
          LEVEL_NAMES,
          z.object({ sessions: z.int().describe('Live sessions at this level'), used: z.int().describe('The tokens they used') }),
          'At level',
        ).describe('Live sessions at each level of the reference table, and the tokens they used'),
      })
      .describe('Tokens used and budgeted'),
    usage: UsageSummarySchema,
    handoffs: z
      .object({
        total: z.int().meta({ description: 'Handoffs created', examples: [5] }),
        by_status: countsBy(HANDOFF_STATUSES, z.int(), 'Handoffs').describe('Every status, 0 when none'),
        success_percent: z.number().nullable().describe('accepted / (accepted + rejected) * 100, 2 decimals; null when none was decided'),
      })
      .describe('How many handoffs, by status, and how many of those decided were accepted'),
    recovery_time_seconds: DistributionSchema.describe(
      'From the first usage update that brought a session to 85% of its budget or more, to its emergency recovery. ' +
        'Recoveries of sessions that never reached 85% (or whose usage history retention removed) are not measured',
    ),
    session_duration_seconds: z
      .object({
        archived: DistributionSchema.describe('archived_at - created_at of archived sessions'),
        live: DistributionSchema.describe('now - created_at of live sessions'),
      })
      .describe('How long sessions last'),
    targets: z
      .array(TargetCheckSchema)
      .describe(
        'One entry per metric of the reference table (section 7), in its order: token usage (<60%), session duration (<30 min), ' +
          `handoff success (>${HANDOFF_SUCCESS_TARGET_PERCENT}%), recovery time (<${RECOVERY_TARGET_MINUTES} min; ` +
          `"Optimize checkpoint strategy" above ${RECOVERY_ACTION_ABOVE_MINUTES} min). \`missed\` says which are missed`,
      ),
  })
  .meta({ id: 'MetricsSummary', description: "The health of a project's sessions against the reference targets" });

const distributionWire = (distribution: Distribution): z.infer<typeof DistributionSchema> => ({
  count: distribution.count,
  p50: distribution.p50,
  p95: distribution.p95,
  max: distribution.max,
});

export function metricsSummaryWire(summary: MetricsSummary): z.infer<typeof MetricsSummarySchema> {
  return {
    generated_at: toTimestamp(summary.generatedAt),
    since: toOptionalTimestamp(summary.since),
    sessions: { total: summary.sessions.total, live: summary.sessions.live, by_status: summary.sessions.byStatus },
    tokens: { used: summary.tokens.used, budget: summary.tokens.budget, live_by_level: summary.tokens.liveByLevel },
    usage: usageSummaryWire(summary.usage),
    handoffs: { total: summary.handoffs.total, by_status: summary.handoffs.byStatus, success_percent: summary.handoffs.successPercent },
    recovery_time_seconds: distributionWire(summary.recoveryTimeSeconds),
    session_duration_seconds: {
      archived: distributionWire(summary.sessionDurationSeconds.archived),
      live: distributionWire(summary.sessionDurationSeconds.live),
    },
    targets: summary.targets.map((check) => ({
      metric: check.metric,
      target: check.target,
      actual: check.actual,
      unit: check.unit,
      missed: check.missed,
      action: check.action,
      detail: check.detail,
    })),
  };
}
