// The one set of Idempotency-Key rules, for every route that honours the header: what a key may
// be, what makes two requests "the same", and what a retry gets back. The usage route stores its
// keys inside its own statement (for speed); every other route goes through idempotency.service.ts.
import { z } from 'zod';
import { canonicalJson } from '../../lib/canonical-json.js';
import { AppError } from '../../lib/errors.js';
import { sha256Hex } from '../../lib/hash.js';

const KEY_RULE = '1 to 255 visible ASCII characters';

export const IdempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, `must be ${KEY_RULE}`)
  .describe(
    'A retry with the same key and body returns the first response and changes nothing. Keys are per project (shared by all its sessions) and kept at least 24 hours',
  );

export const IdempotencyHeadersSchema = z.object({ 'idempotency-key': IdempotencyKeySchema.optional() });

/** The header's value, or the 400 that refuses it (for routes that read the header themselves). */
export function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const parsed = IdempotencyKeySchema.safeParse(header);
  if (parsed.success) return parsed.data;
  throw new AppError('VALIDATION_FAILED', {
    detail: `Idempotency-Key must be ${KEY_RULE}`,
    errors: [{ path: 'headers.idempotency-key', message: `must be ${KEY_RULE}` }],
  });
}

/** What makes two requests "the same" for a key: method, path (without the query) and body, as canonical JSON. */
export function requestHash(request: { method: string; url: string; body: unknown }): string {
  const path = request.url.split('?', 1)[0]!;
  return sha256Hex(`${request.method} ${path}\n${canonicalJson(request.body ?? null)}`);
}

/** The key's first use, as far as a retry needs it. */
export interface FirstUse {
  requestHash: string;
  /** Set when the first use was a usage update (whose answer is rebuilt from its usage row). */
  usageRecordId: string | null;
}

export const keyReused = (key: string) =>
  new AppError('IDEMPOTENCY_KEY_REUSED', { detail: `Idempotency-Key ${JSON.stringify(key)} was already used for a different request` });

/** A retry replays the first answer only when it is the same request, of the same kind; else 422. */
export function assertSameRequest(key: string, first: FirstUse, retry: { requestHash: string; kind: 'usage' | 'response' }): void {
  const sameKind = (first.usageRecordId !== null) === (retry.kind === 'usage');
  if (!sameKind || first.requestHash !== retry.requestHash) throw keyReused(key);
}
