// The pieces of the usage statements that count classes and price them, in the same statement
// (no extra round trip): which model prices the call, at which prices (the project's latest
// version, else the catalog's), its exact cost, and the tokens the session's count mode counts.
import { Prisma } from '../../lib/prisma.js';
import type { ModelCatalog } from '../models/models.js';
import type { UsageWrite } from './usage.repository.js';

const literal = (value: string | null) => (value === null ? 'NULL' : `'${value.replaceAll("'", "''")}'`);

/**
 * The catalog's prices as a VALUES list: built once per process from the built-in models and the
 * MODELS setting (operator input, quoted), so the statement's text never changes while it runs
 * and stays prepared. The first row only fixes the column types.
 */
export function catalogPricesSql(catalog: ModelCatalog): Prisma.Sql {
  const rows = catalog
    .list()
    .filter((info) => info.price !== null)
    .map(({ model, price }) => {
      const p = price!.prices;
      return `(${literal(model)}, ${literal(price!.version)}, ${p.input}, ${p.output}, ${p.cacheRead}, ${p.cacheWrite}, ${p.cacheWrite1h ?? 'NULL'})`;
    });
  return Prisma.raw(
    `(VALUES (NULL::text, NULL::text, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric, NULL::numeric)${rows.map((row) => `, ${row}`).join('')})` +
      ` AS k(model, version, input, output, cache_read, cache_write, cache_write_1h)`,
  );
}

/**
 * CTE `cost` (always exactly one row): `usd`, the call's exact cost (null without classes or
 * without a price for its model), and `version`, the prices it used. The model is the update's,
 * else the session's.
 */
export function costCteSql(write: UsageWrite, catalogPrices: Prisma.Sql): Prisma.Sql {
  const c = write.classes;
  const n = (value: number | undefined) => Prisma.sql`${value ?? null}::int`;
  return Prisma.sql`call AS (
      SELECT coalesce(${write.model}::text,
        (SELECT s0.model FROM sessions s0 WHERE s0.id = ${write.sessionId} AND s0.project_id = ${write.projectId})) AS model
    ),
    price AS (
      SELECT CASE WHEN p.version IS NOT NULL THEN p.version ELSE k.version END AS version,
        CASE WHEN p.version IS NOT NULL THEN p.input ELSE k.input END AS input,
        CASE WHEN p.version IS NOT NULL THEN p.output ELSE k.output END AS output,
        CASE WHEN p.version IS NOT NULL THEN p.cache_read ELSE k.cache_read END AS cache_read,
        CASE WHEN p.version IS NOT NULL THEN p.cache_write ELSE k.cache_write END AS cache_write,
        CASE WHEN p.version IS NOT NULL THEN coalesce(p.cache_write_1h, p.cache_write) ELSE coalesce(k.cache_write_1h, k.cache_write) END AS cache_write_1h
      FROM call
      LEFT JOIN LATERAL (
        SELECT 'project:' || mp.version AS version, mp.input, mp.output, mp.cache_read, mp.cache_write, mp.cache_write_1h
        FROM model_prices mp WHERE mp.project_id = ${write.projectId} AND mp.model = call.model
        ORDER BY mp.version DESC LIMIT 1) p ON true
      LEFT JOIN ${catalogPrices} ON k.model = call.model
    ),
    cost AS (
      SELECT CASE WHEN pr.version IS NOT NULL THEN trim_scale((
          ${n(c?.input)} * pr.input + ${n(c?.cacheRead)} * pr.cache_read
          + (${n(c?.cacheWrite)} - ${n(c?.cacheWrite1h)}) * pr.cache_write + ${n(c?.cacheWrite1h)} * pr.cache_write_1h
          + ${n(c?.output)} * pr.output) * 0.000001) END AS usd,
        CASE WHEN pr.version IS NOT NULL AND ${n(c?.input)} IS NOT NULL THEN pr.version END AS version
      FROM price pr
    )`;
}

/** The tokens the session `s` counts for this update: cache reads are left out in `billable_input_output`. */
export const countedSql = (write: UsageWrite): Prisma.Sql =>
  Prisma.sql`(CASE WHEN s.count_mode = 'billable_input_output' THEN ${write.billableTokens}::int ELSE ${write.tokens}::int END)`;

/** The class columns of the usage row, in the order of CLASS_COLUMNS. */
export const CLASS_COLUMNS = Prisma.raw('provider, cache_read_tokens, cache_write_tokens, cache_write_1h_tokens, reasoning_tokens');
export const classValuesSql = (write: UsageWrite): Prisma.Sql =>
  Prisma.sql`${write.provider}::text, ${write.classes?.cacheRead ?? null}::int, ${write.classes?.cacheWrite ?? null}::int,
    ${write.classes?.cacheWrite1h ?? null}::int, ${write.classes?.reasoning ?? null}::int`;

/** Whether adding the cost to `s.cost_used_usd` moves it from below `percent` of the limit to at or above it. */
export const COST_CROSSES = (percent: string) =>
  Prisma.raw(
    `(s.cost_used_usd * 100 < ${percent} * s.cost_limit_usd AND (s.cost_used_usd + coalesce((SELECT usd FROM cost), 0)) * 100 >= ${percent} * s.cost_limit_usd)`,
  );
