// Wire pieces shared by every module: problem documents, list pages, ids and JSON objects.
import { z } from 'zod';
import { AppError } from './errors.js';
import { EXAMPLE } from './examples.js';
import type { IdPrefix } from './ids.js';

export const ProblemSchema = z
  .object({
    type: z.string().meta({
      description: 'A URL (relative to this server) of a page that explains the code: GET it for HTML, or JSON with `Accept: application/json`',
      examples: ['/problems/session-archived'],
    }),
    title: z.string().meta({ description: 'A short summary of the code, the same for every occurrence', examples: ['Session is archived'] }),
    status: z
      .int()
      .min(400)
      .max(599)
      .meta({ description: 'The HTTP status of the answer', examples: [409] }),
    detail: z.string().meta({
      description: 'What went wrong with this request, for a person to read',
      examples: [`session ${EXAMPLE.sessionId} is archived and takes no more usage`],
    }),
    instance: z.string().meta({ description: 'The path and query of the request', examples: [`/v1/sessions/${EXAMPLE.sessionId}/usage`] }),
    code: z.string().meta({
      description: 'Machine-readable error code, one per kind of error (a client branches on it, not on `title`)',
      examples: ['SESSION_ARCHIVED'],
    }),
    errors: z
      .array(
        z.object({
          path: z
            .string()
            .meta({ description: 'Where: `body.`, `query.`, `params.` or `headers.` and the field', examples: ['body.token_budget.total'] }),
          message: z.string().meta({ description: 'What is wrong with it', examples: ['Too small: expected number to be >=1'] }),
        }),
      )
      .optional()
      .describe('Each failed check, for VALIDATION_FAILED and the 422 problems that list them'),
    recovered_to_session_id: z
      .string()
      .optional()
      .describe(
        'SESSION_ARCHIVED (and SESSION_ALREADY_RECOVERED) of a session archived by emergency recovery: the session that carries it on (send the update there)',
      ),
    known_models: z.array(z.string()).optional().describe('An unknown model (400 VALIDATION_FAILED): the models this deployment knows'),
    known_agents: z
      .array(z.string())
      .optional()
      .describe("A handoff naming an unregistered agent (422 HANDOFF_INVALID): the project's registered agents"),
    available: z.int().optional().describe('BUDGET_EXHAUSTED: tokens available (total - used - reserved) when the reservation was refused'),
    reserved: z.int().optional().describe('BUDGET_EXHAUSTED: tokens in live reservations when the reservation was refused'),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem document: every error answer of the service, as application/problem+json' });

/** Problem responses for the given statuses, for a route's `response` schema. */
export function problems<const S extends number>(...statuses: S[]) {
  return Object.fromEntries(statuses.map((status) => [status, ProblemSchema])) as Record<S, typeof ProblemSchema>;
}

/** The most characters (UTF-16 code units) of a name or id a client supplies. */
export const MAX_NAME_LENGTH = 256;

/** Names and ids a client supplies: 1–256 characters. */
export const NameSchema = z.string().min(1).max(MAX_NAME_LENGTH);

/** For POSTs that take no fields: no body and `{}` are the same (see app.ts); anything else is 400. */
export const EmptyBodySchema = z.strictObject({}).meta({ description: 'No fields: send `{}` or no body', examples: [{}] });

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

export const TimestampSchema = z.string().meta({ description: 'RFC 3339 UTC timestamp with milliseconds', examples: [EXAMPLE.timestamp] });
export const toTimestamp = (date: Date): string => date.toISOString();
export const toOptionalTimestamp = (date: Date | null): string | null => (date ? date.toISOString() : null);

export const LimitSchema = z.coerce.number().int().min(1).max(200);

export const ListQuerySchema = z.strictObject({
  limit: LimitSchema.default(50).describe('How many items a page holds, 1 to 200'),
  cursor: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .describe(
      "The previous page's next_cursor, for the page after it; omitted: the first page. Any other value (one this list did not issue) is 400",
    ),
});

export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item).describe('The items of this page'),
    next_cursor: z.string().nullable().describe('Pass it as `cursor` for the next page; null on the last page'),
  });
}

/** Cursors are opaque to clients: the base64url of the last id of the page. */
export const encodeCursor = (id: string): string => Buffer.from(id, 'utf8').toString('base64url');

/** A 400 for a cursor this list never issued. */
function notACursor(): AppError {
  return new AppError('VALIDATION_FAILED', {
    detail: 'query.cursor: is not a cursor of this list',
    errors: [{ path: 'query.cursor', message: 'is not a cursor of this list' }],
  });
}

/**
 * The id a cursor points past: the list's own kind of id (`prefix`), exactly as encodeCursor wrote
 * it. Anything else (garbage, another list's cursor, a cursor edited by hand) is 400.
 */
export function decodeCursor(cursor: string | undefined, prefix: IdPrefix): string | undefined {
  if (cursor === undefined) return undefined;
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (encodeCursor(id) !== cursor || !new RegExp(`^${prefix}_[0-9a-f]{32}$`).test(id)) throw notACursor();
  return id;
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
  if (encodeNameCursor(name) !== cursor || !NameSchema.safeParse(name).success) throw notACursor();
  return name;
}
