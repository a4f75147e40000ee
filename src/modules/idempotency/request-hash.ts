import { canonicalJson } from '../../lib/canonical-json.js';
import { sha256Hex } from '../../lib/hash.js';

/** What makes two requests "the same" for an Idempotency-Key: method, path and body (canonical JSON). */
export const requestHash = (method: string, path: string, body: unknown): string => sha256Hex(`${method} ${path}\n${canonicalJson(body ?? null)}`);
