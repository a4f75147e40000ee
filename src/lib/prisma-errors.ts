// The one place that knows how Prisma and its driver adapters report database errors.
import pg from 'pg';
import { AppError } from './errors.js';

interface AdapterCause {
  originalCode?: string;
  kind?: string;
}

function adapterCause(error: unknown): AdapterCause | undefined {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null)?.meta;
  return meta?.driverAdapterError?.cause;
}

/** The PostgreSQL SQLSTATE behind a Prisma error, or of a statement sent with `pg` itself (Database.hotQuery). */
export function sqlState(error: unknown): string | undefined {
  if (error instanceof pg.DatabaseError) return error.code;
  if ((error as { code?: string } | null)?.code === 'P2002') return '23505';
  return adapterCause(error)?.originalCode;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';

const unavailableKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const unavailablePrismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);
const unavailableSocketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
// SQLSTATEs: class 08 (connection exception), 57P01-57P03 (admin shutdown, crash shutdown, cannot
// connect now: the server stops or is still starting) and 57014 (statement_timeout cancelled it).
const unavailableStates = /^(08...|57P0[123]|57014)$/;
// node-postgres and pg-pool throw plain Errors for a lost or unobtainable connection, and the Prisma
// adapter passes them on unwrapped (no code), or Prisma quotes them as the last line of its own
// message: their messages are all there is to go by.
const lostConnectionMessage =
  /(?:^|\n)\s*(Connection terminated( unexpectedly| due to connection timeout)?|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error and is not queryable|Client was closed and is not queryable)\s*$/;

/** How deep to follow `cause` chains (Prisma and pg wrap errors in errors). */
const MAX_CAUSE_DEPTH = 5;

function isUnavailableItself(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'string' && (unavailablePrismaCodes.has(code) || unavailableSocketCodes.has(code) || unavailableStates.test(code))) {
    return true;
  }
  if (typeof message === 'string' && lostConnectionMessage.test(message)) return true;
  const cause = adapterCause(error);
  if (cause?.kind && unavailableKinds.has(cause.kind)) return true;
  return cause?.originalCode !== undefined && unavailableStates.test(cause.originalCode);
}

/** True when the database cannot be reached right now: the client should retry later (503). */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH && current !== undefined && current !== null; depth++) {
    if (isUnavailableItself(current)) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

export const databaseUnavailable = (cause: unknown) =>
  new AppError('NOT_READY', { detail: 'The database is unavailable; retry shortly', headers: { 'retry-after': '1' }, cause });

/** PostgreSQL refuses NUL characters in text and JSON: the client's input, not our fault (400). */
export function isUnstorableText(error: unknown): boolean {
  const state = sqlState(error);
  return state === '22P05' || state === '22021';
}
