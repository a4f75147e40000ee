/** One HTTP attempt at delivering a webhook; every outcome, failures included, is a result to record. */
import { performance } from 'node:perf_hooks';
import { request, type Dispatcher } from 'undici';

/** How much of the response body an attempt keeps for the delivery log. */
export const RESPONSE_SNIPPET_MAX_BYTES = 1024;

export interface DeliveryRequest {
  url: string;
  /** The signature headers and any others; content-type is set here. */
  headers: Readonly<Record<string, string>>;
  body: string;
  /** Bounds the whole attempt: connecting, the response headers and reading the body. */
  timeoutMs: number;
  /** Normally the guarded dispatcher, so the address is checked when connecting. */
  dispatcher: Dispatcher;
}

export interface DeliveryAttempt {
  /** Only a 2xx response whose body was read in time counts as delivered. */
  ok: boolean;
  /** Null when no response arrived. */
  status: number | null;
  durationMs: number;
  /** The first RESPONSE_SNIPPET_MAX_BYTES bytes of the response body, as UTF-8. */
  responseSnippet: string | null;
  error: string | null;
  /** The response's Retry-After header, if any, as sent. */
  retryAfter: string | null;
}

/**
 * POSTs `body` once. Never throws for network trouble: refused connections, refused addresses
 * and timeouts come back as `error`. Redirects are not followed (undici's `request` only follows
 * them through the redirect interceptor), so a 3xx is a failed attempt.
 */
export async function deliverOnce({ url, headers, body, timeoutMs, dispatcher }: DeliveryRequest): Promise<DeliveryAttempt> {
  const startedAt = performance.now();
  const elapsedMs = () => Math.round(performance.now() - startedAt);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const failure = (status: number | null, responseSnippet: string | null, error: unknown): DeliveryAttempt => ({
    ok: false,
    status,
    durationMs: elapsedMs(),
    responseSnippet,
    error: controller.signal.aborted ? `timed out after ${timeoutMs} ms` : describeError(error),
    retryAfter: null,
  });

  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      dispatcher,
      signal: controller.signal,
    });
  } catch (error) {
    clearTimeout(timer);
    return failure(null, null, error);
  }

  try {
    const snippet = await readSnippet(response.body, RESPONSE_SNIPPET_MAX_BYTES);
    const ok = response.statusCode >= 200 && response.statusCode < 300;
    const retryAfter = response.headers['retry-after'];
    return {
      ok,
      status: response.statusCode,
      durationMs: elapsedMs(),
      responseSnippet: snippet,
      error: null,
      retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
    };
  } catch (error) {
    return failure(response.statusCode, null, error);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads up to `maxBytes` and destroys the stream, so a huge or endless body costs nothing more. */
async function readSnippet(body: Dispatcher.ResponseData['body'], maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of body) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buffer);
      length += buffer.length;
      if (length >= maxBytes) break;
    }
  } finally {
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8');
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // Node's happy-eyeballs connect fails with an AggregateError whose own message is empty.
  const message =
    error.message !== '' || !(error instanceof AggregateError)
      ? error.message
      : error.errors.map((inner: unknown) => describeError(inner)).join('; ');
  const code = 'code' in error && typeof error.code === 'string' ? error.code : null;
  return code === null || message.includes(code) ? message : `${message} (${code})`;
}
