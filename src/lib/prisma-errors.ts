// The one place that knows how Prisma and its driver adapters report database errors.
import { AppError } from './errors.js';

interface AdapterCause {
  originalCode?: string;
  kind?: string;
}

function adapterCause(error: unknown): AdapterCause | undefined {
  const meta = (error as { meta?: { driverAdapterError?: { cause?: AdapterCause } } } | null)?.meta;
  return meta?.driverAdapterError?.cause;
}

/** The PostgreSQL SQLSTATE behind a Prisma error, when there is one. */
export function sqlState(error: unknown): string | undefined {
  if ((error as { code?: string } | null)?.code === 'P2002') return '23505';
  return adapterCause(error)?.originalCode;
}

export const isUniqueViolation = (error: unknown): boolean => sqlState(error) === '23505';

const unavailableKinds = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout', 'TooManyConnections']);
const unavailablePrismaCodes = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024']);

/** True when the database cannot be reached right now: the client should retry later (503). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: string } | null)?.code;
  if (code && unavailablePrismaCodes.has(code)) return true;
  if (code && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', '57P01', '57P03'].includes(code)) return true;
  const cause = adapterCause(error);
  if (cause?.kind && unavailableKinds.has(cause.kind)) return true;
  const state = cause?.originalCode;
  return state !== undefined && (state.startsWith('08') || state === '57P01' || state === '57P03');
}

export const databaseUnavailable = (cause: unknown) =>
  new AppError('NOT_READY', { detail: 'The database is unavailable; retry shortly', headers: { 'retry-after': '1' }, cause });

/** PostgreSQL refuses NUL characters in text and JSON: the client's input, not our fault (400). */
export function isUnstorableText(error: unknown): boolean {
  const state = sqlState(error);
  return state === '22P05' || state === '22021';
}
