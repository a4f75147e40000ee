import { ServiceUnreachableError } from './errors.js';
import type { paths } from './openapi-types.js';

export interface RetryOptions {
  /** Retries after the first attempt; 0 turns retrying off. Default 3. */
  retries?: number;
  /** The first backoff wait; it doubles on each retry, with jitter. Default 200 ms. */
  minDelayMs?: number;
  /** No single wait is longer; a `Retry-After` asking for more is not waited for. Default 10 s. */
  maxDelayMs?: number;
}

export interface RetryingFetchOptions extends Required<RetryOptions> {
  fetch: typeof globalThis.fetch;
  /** Deadline of one attempt (0: none). An attempt that runs out counts as a network error. */
  timeoutMs: number;
  /** Waits between attempts; tests may pass a fake. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: Required<RetryOptions> = { retries: 3, minDelayMs: 200, maxDelayMs: 10_000 };
export const DEFAULT_TIMEOUT_MS = 30_000;

type PostPath = { [P in keyof paths]: paths[P] extends { post: unknown } ? P : never }[keyof paths];

/**
 * POSTs the service does not deduplicate by Idempotency-Key: after a network error nobody knows
 * whether the first attempt took effect, so these are not sent again (a second rotate-secret would
 * lose the secret the first one made). Typed against the generated paths, so a renamed route
 * fails to compile here.
 */
const NOT_REPLAYABLE_POSTS = [
  '/v1/webhooks/{id}/rotate-secret',
  '/v1/webhooks/{id}/test',
  '/v1/webhooks/{id}/deliveries/{delivery_id}/retry',
  '/v1/admin/projects',
  '/v1/admin/projects/{id}/api-keys',
] as const satisfies readonly PostPath[];

const NOT_REPLAYABLE_PATTERNS = NOT_REPLAYABLE_POSTS.map((path) => new RegExp(`${path.replace(/\{[^}]+\}/g, '[^/]+').replaceAll('/', '\\/')}$`));

/** The service answers this 409 while the first request with the same key is still running. */
const IN_PROGRESS_CODE = 'IDEMPOTENCY_REQUEST_IN_PROGRESS';

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * A fetch that gives every POST an `Idempotency-Key` (unless the caller set one) and sends the
 * very same request again, key included, on a network error, a 503, a 429 whose `Retry-After`
 * is within `maxDelayMs`, or a 409 "request in progress". Any other response is returned as is.
 */
export function createRetryingFetch(options: RetryingFetchOptions): typeof globalThis.fetch {
  const sleep = options.sleep ?? defaultSleep;

  return async (input, init) => {
    const original = new Request(input, init);
    const headers = new Headers(original.headers);
    if (original.method === 'POST' && !headers.has('idempotency-key')) headers.set('idempotency-key', crypto.randomUUID());
    // Read once, sent on every attempt (a Request's body stream can be read only once).
    const body = original.body ? await original.arrayBuffer() : undefined;
    const pathname = new URL(original.url).pathname;
    const replayableAfterNetworkError = original.method !== 'POST' || !NOT_REPLAYABLE_PATTERNS.some((re) => re.test(pathname));

    for (let attempt = 1; ; attempt++) {
      const lastAttempt = attempt > options.retries;
      const signals = [original.signal, ...(options.timeoutMs > 0 ? [AbortSignal.timeout(options.timeoutMs)] : [])];
      let response: Response;
      try {
        response = await options.fetch(
          new Request(original.url, { method: original.method, headers, body, redirect: original.redirect, signal: AbortSignal.any(signals) }),
        );
      } catch (error) {
        // The caller's own abort is not a failure to retry.
        if (original.signal.aborted) throw error;
        if (lastAttempt || !replayableAfterNetworkError) throw new ServiceUnreachableError(original.url, attempt, error);
        await sleep(backoff(attempt, options));
        continue;
      }

      const wait = lastAttempt ? undefined : await retryDelay(response, attempt, options);
      if (wait === undefined) return response;
      await response.body?.cancel();
      await sleep(wait);
    }
  };
}

/** How long to wait before retrying this response, or undefined when it is final. */
async function retryDelay(response: Response, attempt: number, options: Required<RetryOptions>): Promise<number | undefined> {
  if (response.status === 409) {
    const code = await response
      .clone()
      .json()
      .then((body: unknown) => (body as { code?: unknown } | null)?.code)
      .catch(() => undefined);
    if (code !== IN_PROGRESS_CODE) return undefined;
  } else if (response.status !== 503 && response.status !== 429) {
    return undefined;
  }
  const asked = retryAfterMs(response.headers.get('retry-after'));
  if (asked === undefined) return backoff(attempt, options);
  return asked <= options.maxDelayMs ? asked : undefined;
}

/** Exponential: about minDelayMs, 2×, 4×…, each between half and all of it, capped at maxDelayMs. */
export function backoff(attempt: number, { minDelayMs, maxDelayMs }: { minDelayMs: number; maxDelayMs: number }): number {
  const ceiling = Math.min(maxDelayMs, minDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
}

/** `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function retryAfterMs(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
