import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import type { components } from './openapi-types.js';

export { WebhookVerificationError };

/** What every delivery's body is: `{ id, type, created_at, data }`. */
export type WebhookEvent = components['schemas']['Event'];

/** A Fetch `Headers`, Node's `IncomingHttpHeaders` or a plain object: any casing. */
export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

const REQUIRED = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

function signatureHeaders(headers: WebhookHeaders): Record<(typeof REQUIRED)[number], string> {
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
    const value = key === undefined ? undefined : headers[key];
    return Array.isArray(value) ? value.join(' ') : value;
  };
  const found = Object.fromEntries(REQUIRED.map((name) => [name, get(name)]));
  const missing = REQUIRED.filter((name) => !found[name]);
  if (missing.length > 0) throw new WebhookVerificationError(`Missing required headers: ${missing.join(', ')}`);
  return found as Record<(typeof REQUIRED)[number], string>;
}

/**
 * Checks a delivery the way the Standard Webhooks specification says: the `webhook-signature`
 * matches `webhook-id.webhook-timestamp.body` under one of `secrets`, and the timestamp is within
 * five minutes. Pass the raw body exactly as received (not re-serialized JSON).
 *
 * During a secret rotation the service signs with both secrets (two space-separated signatures
 * for 24 hours), so a receiver may hold the old secret, the new one, or both: any one that
 * matches is enough. Returns the parsed event; throws `WebhookVerificationError` otherwise.
 */
export function verifyWebhook(secrets: string | readonly string[], headers: WebhookHeaders, body: string | Uint8Array): WebhookEvent {
  const list = typeof secrets === 'string' ? [secrets] : secrets;
  if (list.length === 0) throw new WebhookVerificationError('No secret to verify with');
  const wanted = signatureHeaders(headers);
  const payload = typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  let lastError: unknown;
  for (const secret of list) {
    try {
      return new Webhook(secret).verify(payload, wanted) as WebhookEvent;
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError instanceof WebhookVerificationError ? lastError : new WebhookVerificationError('No matching signature found');
}
