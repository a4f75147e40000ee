import { Prisma, type PrismaClient } from '../../lib/prisma.js';
import { EMERGENCY_AT_PERCENT, LEVELS } from '../../domain/budget.js';

/** count, and p50/p95/max (seconds, 3 decimals) or null when count is 0. */
export interface Distribution {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** One project's aggregates, as the summary's single statement returns them. */
export interface MetricsAggregates {
  sessionsByStatus: Record<string, number>;
  tokensUsed: number;
  tokensBudget: number;
  /** Live (not archived) sessions by level: how many, and the tokens they used. */
  liveByLevel: Record<string, { sessions: number; used: number }>;
  liveMaxPositionPercent: number | null;
  /** Live sessions aged at least each of `durationBoundsMinutes`, in that order. */
  liveAtLeast: number[];
  liveAgeSeconds: Distribution;
  archivedDurationSeconds: Distribution;
  recoverySeconds: Distribution;
  handoffsByStatus: Record<string, number>;
  /** Exact sum of the sessions' cost (USD). */
  costUsd: string;
  /** Tokens of the usage history per class; `unclassified` those of plain { tokens } updates. */
  tokensByClass: TokensByClass;
  /** Per model that was called (the update's, else its session's), the usage history's updates, tokens and exact cost. */
  byModel: { model: string; updates: number; tokens: number; costUsd: string }[];
}

export interface TokensByClass {
  input: number;
  cache_read: number;
  cache_write: number;
  cache_write_1h: number;
  output: number;
  reasoning: number;
  unclassified: number;
}

export interface AggregatesQuery {
  projectId: string;
  now: Date;
  /** Only sessions, handoffs and recoveries created at or after this moment; null: all. */
  since: Date | null;
  durationBoundsMinutes: readonly number[];
}

/** The level of `used` of `total` in SQL, from the same LEVELS table as levelOf() (constants, never input). */
const LEVEL_SQL = Prisma.raw(
  `CASE ${[...LEVELS]
    .filter((entry) => entry.fromPercent > 0)
    .sort((a, b) => b.fromPercent - a.fromPercent)
    .map((entry) => `WHEN used * 100 >= ${entry.fromPercent} * total THEN '${entry.level}'`)
    .join(' ')} ELSE 'normal' END`,
);

/** count, percentiles and max of a float8 `column` of `source` as one JSON object (nulls when empty). */
const distributionSql = (column: string, source: string) =>
  Prisma.raw(`(SELECT jsonb_build_object(
    'count', count(*),
    'p50', round((percentile_cont(0.5) WITHIN GROUP (ORDER BY ${column}))::numeric, 3),
    'p95', round((percentile_cont(0.95) WITHIN GROUP (ORDER BY ${column}))::numeric, 3),
    'max', round(max(${column})::numeric, 3)) FROM ${source})`);

interface AggregatesRow {
  sessions_by_status: Record<string, number>;
  tokens_used: string;
  tokens_budget: string;
  live_by_level: Record<string, { sessions: number; used: number }>;
  live_max_position_percent: number | null;
  live_at_least: number[];
  live_age_seconds: Distribution;
  archived_duration_seconds: Distribution;
  recovery_seconds: Distribution;
  handoffs_by_status: Record<string, number>;
  cost_usd: string;
  tokens_by_class: TokensByClass;
  by_model: { model: string; updates: number; tokens: number; cost_usd: string }[];
}

export function createSummaryRepository(prisma: PrismaClient) {
  return {
    /**
     * Every figure of the summary in one statement, so they describe one snapshot and no row
     * leaves the database: counts, sums, `percentile_cont` and `max` over the project's rows.
     *
     * A recovery's time runs from the first usage update that brought the original session to 85%
     * or more of its budget (the emergency) to the emergency recovery, i.e. the creation of the
     * session recovered from it; recoveries of sessions that never reached 85% (or whose usage
     * history retention removed) are not measured.
     */
    async aggregates({ projectId, now, since, durationBoundsMinutes }: AggregatesQuery): Promise<MetricsAggregates> {
      const sinceParam = Prisma.sql`${since}::timestamptz`;
      const nowParam = Prisma.sql`${now}::timestamptz`;
      const atLeast = durationBoundsMinutes.map((bound) => Prisma.sql`count(*) FILTER (WHERE age_seconds >= ${bound * 60}::float8)::int`);
      const rows = await prisma.$queryRaw<AggregatesRow[]>`
        WITH s AS MATERIALIZED (
          SELECT id, model, status, used, total, created_at, archived_at, cost_used_usd FROM sessions
          WHERE project_id = ${projectId} AND (${sinceParam} IS NULL OR created_at >= ${sinceParam})
        ),
        live AS (
          SELECT used, total, ${LEVEL_SQL} AS level,
            greatest(0, extract(epoch FROM ${nowParam} - created_at))::float8 AS age_seconds
          FROM s WHERE status <> 'archived'
        ),
        ended AS (
          SELECT extract(epoch FROM archived_at - created_at)::float8 AS seconds
          FROM s WHERE status = 'archived' AND archived_at IS NOT NULL
        ),
        recoveries AS (
          SELECT extract(epoch FROM n.created_at - e.reached_at)::float8 AS seconds
          FROM sessions n
          CROSS JOIN LATERAL (
            SELECT min(u.created_at) AS reached_at FROM usage_records u
            WHERE u.session_id = n.recovered_from_session_id AND u.project_id = n.project_id
              AND u.used_after * 100 >= ${EMERGENCY_AT_PERCENT}::int * u.total_after
          ) e
          WHERE n.project_id = ${projectId} AND n.recovered_from_session_id IS NOT NULL AND e.reached_at IS NOT NULL
            AND (${sinceParam} IS NULL OR n.created_at >= ${sinceParam})
        ),
        calls AS MATERIALIZED (
          SELECT coalesce(u.model, s.model) AS model, u.tokens, u.input_tokens, u.cache_read_tokens, u.cache_write_tokens,
            u.cache_write_1h_tokens, u.output_tokens, u.reasoning_tokens, u.cost_usd
          FROM usage_records u JOIN s ON u.session_id = s.id WHERE u.project_id = ${projectId}
        )
        SELECT
          (SELECT trim_scale(coalesce(sum(cost_used_usd), 0))::text FROM s) AS cost_usd,
          (SELECT jsonb_build_object(
              'input', coalesce(sum(input_tokens), 0), 'cache_read', coalesce(sum(cache_read_tokens), 0),
              'cache_write', coalesce(sum(cache_write_tokens), 0), 'cache_write_1h', coalesce(sum(cache_write_1h_tokens), 0),
              'output', coalesce(sum(output_tokens), 0), 'reasoning', coalesce(sum(reasoning_tokens), 0),
              'unclassified', coalesce(sum(tokens) FILTER (WHERE input_tokens IS NULL), 0))
            FROM calls) AS tokens_by_class,
          (SELECT coalesce(jsonb_agg(jsonb_build_object('model', model, 'updates', n, 'tokens', tokens, 'cost_usd', cost) ORDER BY model), '[]'::jsonb)
            FROM (SELECT model, count(*)::int AS n, sum(tokens)::bigint AS tokens, trim_scale(coalesce(sum(cost_usd), 0))::text AS cost
              FROM calls GROUP BY model) x) AS by_model,
          (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)
            FROM (SELECT status, count(*)::int AS n FROM s GROUP BY status) x) AS sessions_by_status,
          (SELECT coalesce(sum(used), 0)::text FROM s) AS tokens_used,
          (SELECT coalesce(sum(total), 0)::text FROM s) AS tokens_budget,
          (SELECT coalesce(jsonb_object_agg(level, jsonb_build_object('sessions', n, 'used', used)), '{}'::jsonb)
            FROM (SELECT level, count(*)::int AS n, sum(used) AS used FROM live GROUP BY level) x) AS live_by_level,
          (SELECT round(max(used * 100.0 / total), 2)::float8 FROM live) AS live_max_position_percent,
          (SELECT ARRAY[${Prisma.join(atLeast)}]::int[] FROM live) AS live_at_least,
          ${distributionSql('age_seconds', 'live')} AS live_age_seconds,
          ${distributionSql('seconds', 'ended')} AS archived_duration_seconds,
          ${distributionSql('seconds', 'recoveries')} AS recovery_seconds,
          (SELECT coalesce(jsonb_object_agg(status, n), '{}'::jsonb)
            FROM (SELECT status, count(*)::int AS n FROM handoffs
              WHERE project_id = ${projectId} AND (${sinceParam} IS NULL OR created_at >= ${sinceParam})
              GROUP BY status) x) AS handoffs_by_status`;
      const row = rows[0]!;
      return {
        sessionsByStatus: row.sessions_by_status,
        tokensUsed: Number(row.tokens_used),
        tokensBudget: Number(row.tokens_budget),
        liveByLevel: row.live_by_level,
        liveMaxPositionPercent: row.live_max_position_percent,
        liveAtLeast: row.live_at_least,
        liveAgeSeconds: row.live_age_seconds,
        archivedDurationSeconds: row.archived_duration_seconds,
        recoverySeconds: row.recovery_seconds,
        handoffsByStatus: row.handoffs_by_status,
        costUsd: row.cost_usd,
        tokensByClass: row.tokens_by_class,
        byModel: row.by_model.map((entry) => ({ model: entry.model, updates: entry.updates, tokens: Number(entry.tokens), costUsd: entry.cost_usd })),
      };
    },
  };
}

export type SummaryRepository = ReturnType<typeof createSummaryRepository>;
