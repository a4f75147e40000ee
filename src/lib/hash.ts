import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const sha256Hex = (input: string): string => createHash('sha256').update(input).digest('hex');

/** A new API key: `sss_` + 32 random bytes, base64url. Only its hash is ever stored. */
export const newApiKey = (): string => `sss_${randomBytes(32).toString('base64url')}`;

export function constantTimeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
