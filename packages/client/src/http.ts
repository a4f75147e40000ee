// The low-level typed client: openapi-fetch over the generated paths, with retries, a deadline per
// attempt, the API key, and every non-2xx response thrown as a ProblemError. The resource methods
// (resources/) are written on top of it; `client.GET('/v1/…')` and friends expose it as is.
import createFetchClient, { type Client, type FetchResponse, type MaybeOptionalInit, type Middleware } from 'openapi-fetch';
import { ProblemError } from './errors.js';
import type { paths } from './openapi-types.js';
import { createRetryingFetch, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, type RetryOptions } from './retry.js';

export interface ClientOptions {
  /** Where the service listens, e.g. `http://localhost:3000` (no `/v1`). Default: `$SESSION_STATE_URL`. */
  baseUrl?: string;
  /** A project's API key, sent as `Authorization: Bearer <apiKey>`. Default: `$SESSION_STATE_API_KEY`. */
  apiKey?: string;
  /** The fetch to send requests with (default: the global one). */
  fetch?: typeof globalThis.fetch;
  /** A number is the retry count; `0` or `false` never retries. */
  retries?: number | false | RetryOptions;
  /** Deadline of one attempt in milliseconds (default 30,000; 0: none). */
  timeoutMs?: number;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
}

type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type Media = `${string}/${string}`;
type PathsWith<M extends HttpMethod> = { [P in keyof paths]: paths[P] extends { [K in M]: unknown } ? P : never }[keyof paths];
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];
type KeysOfUnion<T> = T extends unknown ? keyof T : never;
type BodyOf<O> = O extends { requestBody?: { content: { 'application/json': infer B } } } ? B : never;
/**
 * The body fields the operation does not have, typed `never`: `body: { tokenz: 1 }` fails to compile.
 * (openapi-fetch infers the init from the argument, which skips TypeScript's excess-property check.)
 */
type NoUnknownBodyFields<I, O> = I extends { body: infer B extends object }
  ? { body: { [K in Exclude<keyof B, KeysOfUnion<BodyOf<O>>>]: never } }
  : unknown;
type InitArgs<I, O> =
  RequiredKeys<I> extends never
    ? [init?: I & NoUnknownBodyFields<I, O> & Record<string, unknown>]
    : [init: I & NoUnknownBodyFields<I, O> & Record<string, unknown>];
type Operation<P extends keyof paths, M extends HttpMethod> = paths[P][M];
/** The success branch of openapi-fetch's result: errors are thrown, so `data` is always there. */
type Success<R> = Extract<R, { data: unknown }>;

/** One typed method: the path picks the parameters, body and response types from the contract. */
export type ApiMethod<M extends HttpMethod> = <P extends PathsWith<M>, I extends MaybeOptionalInit<paths[P], M>>(
  path: P,
  ...init: InitArgs<I, Operation<P, M>>
) => Promise<Success<Operation<P, M> extends infer O extends Record<string, unknown> ? FetchResponse<O, I, Media> : never>>;

/** The typed paths: `client.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body })`. */
export interface TypedPaths {
  GET: ApiMethod<'get'>;
  POST: ApiMethod<'post'>;
  PUT: ApiMethod<'put'>;
  PATCH: ApiMethod<'patch'>;
  DELETE: ApiMethod<'delete'>;
  /** The underlying openapi-fetch client (same middleware, same retries), e.g. to `use()` more middleware. */
  raw: Client<paths, Media>;
}

/** Turns every non-2xx response into a thrown ProblemError. */
const throwProblems: Middleware = {
  async onResponse({ response }) {
    if (!response.ok) throw await ProblemError.fromResponse(response);
    return undefined;
  },
};

function retryOptions(retries: ClientOptions['retries']): Required<RetryOptions> {
  if (retries === false) return { ...DEFAULT_RETRY, retries: 0 };
  if (typeof retries === 'number') return { ...DEFAULT_RETRY, retries };
  return { ...DEFAULT_RETRY, ...retries };
}

/** The environment, where there is one (Node, Deno, Bun); nothing in a browser. */
function environment(): Record<string, string | undefined> {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
}

/** `baseUrl` and `apiKey` from the options, else from SESSION_STATE_URL and SESSION_STATE_API_KEY. */
export function resolveConnection(options: Pick<ClientOptions, 'baseUrl' | 'apiKey'>): { baseUrl: string; apiKey: string } {
  const env = environment();
  const baseUrl = options.baseUrl || env.SESSION_STATE_URL;
  const apiKey = options.apiKey || env.SESSION_STATE_API_KEY;
  if (!baseUrl) throw new TypeError('createClient: no baseUrl: pass { baseUrl } or set SESSION_STATE_URL (e.g. http://localhost:3000)');
  if (!apiKey) throw new TypeError('createClient: no apiKey: pass { apiKey } or set SESSION_STATE_API_KEY');
  return { baseUrl: baseUrl.replace(/\/+$/, ''), apiKey };
}

export function createTypedPaths(options: ClientOptions): TypedPaths {
  const { baseUrl, apiKey } = resolveConnection(options);
  const raw = createFetchClient<paths, Media>({
    baseUrl,
    headers: { ...options.headers, authorization: `Bearer ${apiKey}` },
    // The API never redirects; following one could carry the key elsewhere, so a 3xx is an error.
    redirect: 'manual',
    fetch: createRetryingFetch({
      fetch: options.fetch ?? globalThis.fetch,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...retryOptions(options.retries),
    }),
  });
  raw.use(throwProblems);
  // The casts only narrow the result: throwProblems guarantees the error branch never returns.
  return {
    GET: raw.GET as ApiMethod<'get'>,
    POST: raw.POST as ApiMethod<'post'>,
    PUT: raw.PUT as ApiMethod<'put'>,
    PATCH: raw.PATCH as ApiMethod<'patch'>,
    DELETE: raw.DELETE as ApiMethod<'delete'>,
    raw,
  };
}
