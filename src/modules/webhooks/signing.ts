/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): an HMAC-SHA256 of
 * `<webhook-id>.<webhook-timestamp>.<body>` keyed by the decoded `whsec_` secret.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

const SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;

export type SignatureHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** The current secret, then the previous one while a rotation is in its grace period. */
export type SigningSecrets = readonly [current: string] | readonly [current: string, previous: string];

export interface SignatureInput {
  secrets: SigningSecrets;
  /** The event id: the same on every retry, so receivers can deduplicate. */
  eventId: string;
  timestamp: Date;
  body: string;
}

/** A new endpoint secret: `whsec_` + 32 random bytes, base64 (the Standard Webhooks format). */
export const newWebhookSecret = (): string => `${SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;

/** The three delivery headers; one `v1,<signature>` per secret, space-separated. */
export function signatureHeaders({ secrets, eventId, timestamp, body }: SignatureInput): SignatureHeaders {
  // Truncated to whole seconds here so the header and the signed content always agree
  // (Webhook.sign floors the Date the same way).
  const wholeSeconds = new Date(Math.floor(timestamp.getTime() / 1000) * 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(eventId, wholeSeconds, body));
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(wholeSeconds.getTime() / 1000),
    'webhook-signature': signatures.join(' '),
  };
}
