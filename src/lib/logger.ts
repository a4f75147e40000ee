import { pino, type Logger } from 'pino';
import type { Config } from '../config.js';

/** Never logged: credentials and keys that identify a client's request. */
export const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["idempotency-key"]'];

/** The process logger for work outside HTTP requests (the app's request logger uses the same settings). */
export function createLogger(config: Pick<Config, 'logLevel'>, name?: string): Logger {
  return pino({ level: config.logLevel, redact: REDACTED_PATHS, ...(name ? { name } : {}) });
}
