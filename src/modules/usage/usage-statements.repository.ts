// The usage update's SQL: the short statement for updates that cross nothing and the full one for
// crossings (policies, threshold events, deliveries), both built once per shape and prepared by name.
import { Prisma } from '../../lib/prisma.js';
import { DEFER_AT_PERCENT, EMERGENCY_AT_PERCENT, LEVELS } from '../../domain/budget.js';
import { TRANSITIONS, allowedFrom } from '../../domain/transitions.js';
import { sessionStatusInSql } from '../sessions/sessions.repository.js';
import { fanOutSql } from '../webhooks/outbox.repository.js';
import type { TokenClasses } from '../../domain/token-classes.js';
import { CLASS_COLUMNS, COST_CROSSES, classValuesSql, costCteSql, countedSql } from './usage-cost.repository.js';

export interface UsageWrite {
  usageId: string;
  projectId: string;
  sessionId: string;
  /** Every token of the call (what a session counting `all` counts). */
  tokens: number;
  /** The tokens without cache reads (what a session counting `billable_input_output` counts). */
  billableTokens: number;
  /** The call's classes; null for a plain { tokens } update (it has no cost). */
  classes: TokenClasses | null;
  /** Whose usage object it was; null for the plain bodies. */
  provider: string | null;
  model: string | null;
  source: string | null;
  /** The telemetry item the update came from (an OTLP span or log record); null or absent for REST updates. */
  origin?: string | null;
  idempotency: { key: string; requestHash: string } | null;
  now: Date;
}

/** `level` of the position `used/total` in SQL, generated from the same LEVELS table as levelOf(). */
const levelSql = (used: string, total: string) =>
  Prisma.raw(
    `CASE ${[...LEVELS]
      .filter((entry) => entry.fromPercent > 0)
      .sort((a, b) => b.fromPercent - a.fromPercent)
      .map((entry) => `WHEN ${used} * 100 >= ${entry.fromPercent} * ${total} THEN '${entry.level}'`)
      .join(' ')} ELSE 'normal' END`,
  );

const USAGE_ALLOWED_IN = sessionStatusInSql(allowedFrom('record_usage'));
const EMERGENCY_MOVES_FROM = sessionStatusInSql(
  allowedFrom('cross_emergency_threshold').filter((status) => TRANSITIONS.cross_emergency_threshold[status] === 'emergency_recovery'),
);

/** Whether adding `tokens` to the row's `used` moves the position from below `percent` to at or above it. */
const crossesSql = (percent: number, tokens: Prisma.Sql) =>
  Prisma.sql`(s.used * 100 < ${Prisma.raw(String(percent))} * s.total AND (s.used + ${tokens}) * 100 >= ${Prisma.raw(String(percent))} * s.total)`;

/**
 * The names the usage statements carry in a leading comment: they stand out in pg_stat_statements
 * and logs, and are the names to prepare them under (their text never changes while a process runs).
 */
export const RECORD_USAGE_STATEMENT = 'sss_record_usage';
export const RECORD_USAGE_NO_CROSSING_STATEMENT = 'sss_record_usage_no_crossing';
export const RECORD_USAGE_NO_CROSSING_KEYED_STATEMENT = 'sss_record_usage_no_crossing_keyed';

/**
 * The tokens of the live holds on the updated session, for its token_budget. A session holding
 * nothing (held_tokens = 0, the common case) skips the sum: CASE runs the sub-select only when needed.
 */
const reservedSql = (now: Prisma.Sql) => Prisma.sql`CASE WHEN u.held_tokens = 0 THEN 0 ELSE sss_reserved(u.id, ${now}) END AS reserved`;

/** Every percent at which something happens: the session's own thresholds and the two policies'. */
const EVERY_CROSSING_PERCENT = Prisma.sql`s.thresholds || ARRAY[${Prisma.raw(String(DEFER_AT_PERCENT))}, ${Prisma.raw(String(EMERGENCY_AT_PERCENT))}]`;

/**
 * The common case in the least work: an update that crosses nothing only adds to `used` and
 * appends its usage row (and stores its Idempotency-Key). Its WHERE refuses an update that would
 * cross a threshold or a policy's percent, evaluated on the locked row, so such an update touches
 * nothing here and goes through recordUsageSql, which does everything. Returns the row as
 * recordUsageSql does (`crossed` empty), or none.
 */
export function recordUsageNoCrossingSql(write: UsageWrite, catalogPrices: Prisma.Sql): Prisma.Sql {
  const tokens = countedSql(write);
  const now = Prisma.sql`${write.now}::timestamptz`;
  const idempotency = write.idempotency
    ? Prisma.sql`,
    idempotency AS (
      INSERT INTO idempotency_records (project_id, key, request_hash, usage_record_id, created_at)
      SELECT u.project_id, ${write.idempotency!.key}::text, ${write.idempotency!.requestHash}::text, ${write.usageId}, ${now}
      FROM updated u
    )`
    : Prisma.empty;
  const name = write.idempotency ? RECORD_USAGE_NO_CROSSING_KEYED_STATEMENT : RECORD_USAGE_NO_CROSSING_STATEMENT;
  return Prisma.sql`/* ${Prisma.raw(name)} */
    WITH ${costCteSql(write, catalogPrices)},
    updated AS (
      UPDATE sessions s SET used = s.used + ${tokens}, cost_used_usd = s.cost_used_usd + coalesce((SELECT usd FROM cost), 0),
        version = s.version + 1, updated_at = ${now}
      WHERE s.id = ${write.sessionId} AND s.project_id = ${write.projectId} AND ${USAGE_ALLOWED_IN}
        AND NOT EXISTS (
          SELECT 1 FROM unnest(${EVERY_CROSSING_PERCENT}) AS t(percent)
          WHERE s.used * 100 < t.percent * s.total AND (s.used + ${tokens}) * 100 >= t.percent * s.total)
        AND (s.cost_limit_usd IS NULL OR NOT EXISTS (
          SELECT 1 FROM unnest(s.cost_thresholds) AS t(percent) WHERE ${COST_CROSSES('t.percent')}))
      RETURNING s.id, s.project_id, s.total, s.used, s.status, s.thresholds, ${tokens} AS counted, s.cost_used_usd, s.cost_limit_usd,
        s.held_tokens
    ),
    usage_row AS (
      INSERT INTO usage_records (id, project_id, session_id, tokens, input_tokens, output_tokens,
        used_after, total_after, crossed, status_after, model, source, origin, created_at,
        ${CLASS_COLUMNS}, cost_usd, price_version, cost_used_after, cost_limit_after, cost_crossed)
      SELECT ${write.usageId}, u.project_id, u.id, u.counted, ${write.classes?.input ?? null}::int, ${write.classes?.output ?? null}::int,
        u.used, u.total, '{}', u.status, ${write.model}::text, ${write.source}::text, ${write.origin ?? null}::text, ${now},
        ${classValuesSql(write)}, c.usd, c.version, u.cost_used_usd, u.cost_limit_usd, '{}'
      FROM updated u, cost c
    )${idempotency}
    SELECT u.total, u.used, u.status, u.thresholds, '{}'::int[] AS crossed, u.counted, c.usd::text AS cost_usd, c.version AS price_version,
      trim_scale(u.cost_used_usd)::text AS cost_used_usd, trim_scale(u.cost_limit_usd)::text AS cost_limit_usd, '{}'::int[] AS cost_crossed,
      ${reservedSql(now)}
    FROM updated u, cost c`;
}

/**
 * Every case, in one statement and so one round trip and one atomic step: increment `used`,
 * apply the 75%/85% policies, append the usage row, store the Idempotency-Key, and write one
 * outbox event per crossed threshold with the webhook deliveries it owes. The old position is
 * derived from the new one (used - tokens): the row lock makes every crossing visible to exactly
 * one update. Returns one row (total, used, status, thresholds, crossed) when the session was
 * updated, none otherwise.
 */
export function recordUsageSql(write: UsageWrite, catalogPrices: Prisma.Sql): Prisma.Sql {
  const tokens = countedSql(write);
  const now = Prisma.sql`${write.now}::timestamptz`;
  const key = write.idempotency?.key ?? null;
  const requestHash = write.idempotency?.requestHash ?? null;
  return Prisma.sql`/* ${Prisma.raw(RECORD_USAGE_STATEMENT)} */
    WITH ${costCteSql(write, catalogPrices)},
    updated AS (
      UPDATE sessions s SET
        used = s.used + ${tokens},
        cost_used_usd = s.cost_used_usd + coalesce((SELECT usd FROM cost), 0),
        context = CASE WHEN ${crossesSql(DEFER_AT_PERCENT, tokens)}
          THEN s.context - s.non_critical_keys ELSE s.context END,
        deferred_context = CASE WHEN ${crossesSql(DEFER_AT_PERCENT, tokens)}
          THEN s.deferred_context || (
            SELECT coalesce(jsonb_object_agg(e.key, e.value), '{}'::jsonb)
            FROM jsonb_each(s.context) e WHERE e.key = ANY (s.non_critical_keys))
          ELSE s.deferred_context END,
        status = CASE WHEN ${crossesSql(EMERGENCY_AT_PERCENT, tokens)} AND ${EMERGENCY_MOVES_FROM}
          THEN 'emergency_recovery' ELSE s.status END,
        version = s.version + 1,
        updated_at = ${now}
      WHERE s.id = ${write.sessionId} AND s.project_id = ${write.projectId} AND ${USAGE_ALLOWED_IN}
      RETURNING s.id, s.project_id, s.task_id, s.total, s.used, s.thresholds, s.status, ${tokens} AS counted,
        s.cost_used_usd, s.cost_limit_usd, s.cost_thresholds, s.held_tokens
    ),
    crossings AS (
      SELECT t.threshold FROM updated u, unnest(u.thresholds) AS t(threshold)
      WHERE (u.used - u.counted) * 100 < t.threshold * u.total AND u.used * 100 >= t.threshold * u.total
    ),
    cost_crossings AS (
      SELECT t.threshold FROM updated u, cost c, unnest(u.cost_thresholds) AS t(threshold)
      WHERE u.cost_limit_usd IS NOT NULL AND (u.cost_used_usd - coalesce(c.usd, 0)) * 100 < t.threshold * u.cost_limit_usd
        AND u.cost_used_usd * 100 >= t.threshold * u.cost_limit_usd
    ),
    usage_row AS (
      INSERT INTO usage_records (id, project_id, session_id, tokens, input_tokens, output_tokens,
        used_after, total_after, crossed, status_after, model, source, origin, created_at,
        ${CLASS_COLUMNS}, cost_usd, price_version, cost_used_after, cost_limit_after, cost_crossed)
      SELECT ${write.usageId}, u.project_id, u.id, u.counted, ${write.classes?.input ?? null}::int, ${write.classes?.output ?? null}::int,
        u.used, u.total, ARRAY(SELECT threshold FROM crossings ORDER BY threshold), u.status,
        ${write.model}::text, ${write.source}::text, ${write.origin ?? null}::text, ${now},
        ${classValuesSql(write)}, c.usd, c.version, u.cost_used_usd, u.cost_limit_usd,
        ARRAY(SELECT threshold FROM cost_crossings ORDER BY threshold)
      FROM updated u, cost c
    ),
    idempotency AS (
      INSERT INTO idempotency_records (project_id, key, request_hash, usage_record_id, created_at)
      SELECT u.project_id, ${key}::text, ${requestHash}::text, ${write.usageId}, ${now}
      FROM updated u WHERE ${key}::text IS NOT NULL
    ),
    new_events AS (
      INSERT INTO events (id, project_id, type, session_id, data, created_at)
      SELECT new_id('evt_'), u.project_id, 'session.threshold_crossed', u.id,
        jsonb_build_object(
          'session_id', u.id, 'task_id', u.task_id, 'threshold', c.threshold,
          'level', ${levelSql('u.used', 'u.total')},
          'position_percent', round(u.used * 100.0 / u.total, 2),
          'used', u.used, 'available', u.total - u.used, 'total', u.total),
        ${now}
      FROM updated u, crossings c ORDER BY c.threshold
      RETURNING id, project_id, type, created_at
    ),
    new_cost_events AS (
      INSERT INTO events (id, project_id, type, session_id, data, created_at)
      SELECT new_id('evt_'), u.project_id, 'session.cost_threshold_crossed', u.id,
        jsonb_build_object(
          'session_id', u.id, 'task_id', u.task_id, 'threshold', c.threshold,
          'used_usd', trim_scale(u.cost_used_usd)::text, 'limit_usd', trim_scale(u.cost_limit_usd)::text,
          'position_percent', round(u.cost_used_usd * 100 / u.cost_limit_usd, 2)),
        ${now}
      FROM updated u, cost_crossings c ORDER BY c.threshold
      RETURNING id, project_id, type, created_at
    ),
    deliveries AS (${fanOutSql('new_events')}),
    cost_deliveries AS (${fanOutSql('new_cost_events')})
    SELECT u.total, u.used, u.status, u.thresholds, ARRAY(SELECT threshold FROM crossings ORDER BY threshold) AS crossed,
      u.counted, c.usd::text AS cost_usd, c.version AS price_version,
      trim_scale(u.cost_used_usd)::text AS cost_used_usd, trim_scale(u.cost_limit_usd)::text AS cost_limit_usd,
      ARRAY(SELECT threshold FROM cost_crossings ORDER BY threshold) AS cost_crossed,
      ${reservedSql(now)}
    FROM updated u, cost c`;
}
