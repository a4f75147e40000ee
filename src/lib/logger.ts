import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config.js';

/**
 * Never logged: credentials, keys that identify a client's request, and secrets under the names
 * this service gives them (API keys, webhook signing secrets, the admin and metrics tokens), at the
 * top level of a log object or one level down. Request logs carry no headers or bodies anyway;
 * this is the net under a careless `log.info({ ... })`.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'authorization',
  'apiKey',
  'api_key',
  'secret',
  'previousSecret',
  'previous_secret',
  'adminToken',
  'metricsToken',
  'bootstrapApiKey',
  '*.authorization',
  '*.apiKey',
  '*.api_key',
  '*.secret',
  '*.previousSecret',
  '*.previous_secret',
  '*.adminToken',
  '*.metricsToken',
  '*.bootstrapApiKey',
];

/** The request id header: taken from the client when well-formed, else generated; always echoed. */
export const REQUEST_ID_HEADER = 'x-request-id';
/** What an incoming request id may look like: visible, log-safe, at most 128 characters. */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** Fastify's genReqId: the client's `x-request-id` if it is well-formed, otherwise a new UUID. */
export function requestIdOf(request: Pick<IncomingMessage, 'headers'>): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
}

/** Settings shared by the request logger and the process logger. */
export function loggerOptions(config: Pick<Config, 'logLevel'>, name?: string): LoggerOptions {
  return { level: config.logLevel, redact: REDACTED_PATHS, ...(name ? { name } : {}) };
}

/** The process logger for work outside HTTP requests (the app's request logger uses the same settings). */
export function createLogger(config: Pick<Config, 'logLevel'>, name?: string, stream?: DestinationStream): Logger {
  return stream ? pino(loggerOptions(config, name), stream) : pino(loggerOptions(config, name));
}
