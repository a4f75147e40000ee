/** When to retry a failed delivery, and when to give up on an endpoint. Pure functions. */

/** Each delay is stretched or shrunk by up to this fraction, so retries of many deliveries spread out. */
export const RETRY_JITTER_RATIO = 0.2;

/** An endpoint whose deliveries have failed without a success for this long is disabled. */
export const ENDPOINT_DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;

/**
 * Milliseconds to wait before the next attempt after `failedAttempts` failures (1 after the
 * first attempt failed): `delaysSeconds[failedAttempts - 1]` scaled uniformly within
 * [0.8, 1.2], except the last, within [1, 1.2]: jitter never brings the end of the schedule
 * forward, so the default schedule (27.6 h nominal) retries for at least 24 hours whatever
 * the draws. Null when the schedule is exhausted and the delivery fails for good.
 */
export function nextAttemptDelayMs(failedAttempts: number, delaysSeconds: readonly number[], random: () => number = Math.random): number | null {
  if (!Number.isSafeInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be a positive integer, got ${failedAttempts}`);
  }
  const delaySeconds = delaysSeconds[failedAttempts - 1];
  if (delaySeconds === undefined) return null;
  const isLast = failedAttempts === delaysSeconds.length;
  const low = isLast ? 1 : 1 - RETRY_JITTER_RATIO;
  const jitterFactor = low + (1 + RETRY_JITTER_RATIO - low) * random();
  return Math.round(delaySeconds * 1000 * jitterFactor);
}

/** True once an endpoint has been failing, with no success in between, for 5 days or more. */
export function shouldDisableEndpoint(failingSince: Date | null, now: Date): boolean {
  if (failingSince === null) return false;
  return now.getTime() - failingSince.getTime() >= ENDPOINT_DISABLE_AFTER_MS;
}

/** The longest wait a receiver's Retry-After can impose on one retry. */
export const MAX_RETRY_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * A Retry-After header (delay-seconds or an HTTP-date) as milliseconds from `now`, capped at a day;
 * null when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: Date): number | null {
  if (header === null) return null;
  const value = header.trim();
  // An HTTP-date always has a weekday or month name; Date.parse alone would read "-5" as a year.
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : /[a-z]/i.test(value) ? Date.parse(value) - now.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) return null;
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}
