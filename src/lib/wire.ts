// Wire pieces shared by every module: problem documents, list pages, ids and JSON objects.
import { z } from 'zod';
import { AppError } from './errors.js';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string(),
    code: z.string().describe('Machine-readable error code, e.g. SESSION_ARCHIVED'),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    available: z.int().optional().describe('BUDGET_EXHAUSTED: tokens available (total - used - reserved) when the reservation was refused'),
    reserved: z.int().optional().describe('BUDGET_EXHAUSTED: tokens in live reservations when the reservation was refused'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem document' });

/** Problem responses for the given statuses, for a route's `response` schema. */
export function problems<const S extends number>(...statuses: S[]) {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema])) as Record<S, typeof ProblemSchema>;
}

/** Names and ids a client supplies: 1–256 characters. */
export const NameSchema = z.string().min(1).max(256);

/** For POSTs that take no fields: no body and `{}` are the same (see app.ts); anything else is 400. */
export const EmptyBodySchema = z.strictObject({}).describe('No fields: send `{}` or no body');

export const JsonObjectSchema = z.record(z.string(), z.unknown());
export type JsonObject = Record<string, unknown>;

/** How deep a client's JSON value may nest. Deeper ones would overflow the stack of the code that stores them. */
export const MAX_JSON_DEPTH = 100;

/** True when `value` nests more than `max` objects or arrays (checked without recursion). */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [current, depth] = stack.pop()!;
    if (current === null || typeof current !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** A JSON object a client sends (context, metadata, snapshots): at most MAX_JSON_DEPTH levels deep. */
export const JsonObjectInputSchema = JsonObjectSchema.refine((value) => !nestsDeeperThan(value, MAX_JSON_DEPTH), {
  message: `nests deeper than ${MAX_JSON_DEPTH} levels`,
});

export const TimestampSchema = z.string().describe('RFC 3339 UTC timestamp with milliseconds');
export const toTimestamp = (date: Date): string => date.toISOString();
export const toOptionalTimestamp = (date: Date | null): string | null => (date ? date.toISOString() : null);

export const ListQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(512).optional(),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({ data: z.array(item), next_cursor: z.string().nullable() });
}

/** Cursors are opaque to clients: the base64url of the last id of the page. */
export const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');
export function decodeCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  return /^[a-z]+_[0-9a-f]{32}$/.test(id) ? id : '';
}

export interface Page<T> {
  items: T[];
  hasMore: boolean;
}

/** Splits `limit + 1` fetched rows into a page and whether another follows. */
export const takePage = <T>(rows: T[], limit: number): Page<T> => ({ items: rows.slice(0, limit), hasMore: rows.length > limit });

/** A page on the wire: `{ data, next_cursor }`, the cursor pointing past the last item. */
export function pageWire<T extends { id: string }, W>(page: Page<T>, toWire: (item: T) => W) {
  const last = page.items.at(-1);
  return { data: page.items.map(toWire), next_cursor: page.hasMore && last ? encodeCursor(last.id) : null };
}

/** Lists ordered by name (agents, MCP servers) page with the base64url of the last name. */
export const encodeNameCursor = (name: string): string => Buffer.from(name, 'utf8').toString('base64url');

/** The name a cursor points past; a cursor this service never issued is 400. */
export function decodeNameCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const name = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeNameCursor(name) !== cursor || !NameSchema.safeParse(name).success) {
    throw new AppError('VALIDATION_FAILED', {
      detail: 'query.cursor: is not a cursor of this list',
      errors: [{ path: 'query.cursor', message: 'is not a cursor of this list' }],
    });
  }
  return name;
}
