/** When to retry a failed delivery, and when to give up on an endpoint. Pure functions. */

/** Each delay is stretched or shrunk by up to this fraction, so retries of many deliveries spread out. */
export const RETRY_JITTER_RATIO = 0.2;

/** An endpoint whose deliveries have failed without a success for this long is disabled. */
export const ENDPOINT_DISABLE_AFTER_MS = 5 * 24 * 60 * 60 * 1000;

/**
 * Milliseconds to wait before the next attempt after `failedAttempts` failures (1 after the
 * first attempt failed): `delaysSeconds[failedAttempts - 1]` scaled uniformly within
 * [0.8, 1.2]. Null when the schedule is exhausted and the delivery fails for good.
 */
export function nextAttemptDelayMs(
  failedAttempts: number,
  delaysSeconds: readonly number[],
  random: () => number = Math.random,
): number | null {
  if (!Number.isSafeInteger(failedAttempts) || failedAttempts < 1) {
    throw new RangeError(`failedAttempts must be a positive integer, got ${failedAttempts}`);
  }
  const delaySeconds = delaysSeconds[failedAttempts - 1];
  if (delaySeconds === undefined) return null;
  const jitterFactor = 1 - RETRY_JITTER_RATIO + 2 * RETRY_JITTER_RATIO * random();
  return Math.round(delaySeconds * 1000 * jitterFactor);
}

/** True once an endpoint has been failing, with no success in between, for 5 days or more. */
export function shouldDisableEndpoint(failingSince: Date | null, now: Date): boolean {
  if (failingSince === null) return false;
  return now.getTime() - failingSince.getTime() >= ENDPOINT_DISABLE_AFTER_MS;
}
