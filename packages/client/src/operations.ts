// Types of the contract's operations, by operationId, for the resource methods: the JSON body an
// operation takes and the query it reads, straight from the generated openapi-types.ts. And the
// per-call options every resource method accepts.
import type { operations } from './openapi-types.js';

export type OperationId = keyof operations;

type JsonOf<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON body of an operation, e.g. `RequestBody<'recordUsage'>` is `{ tokens?, input_tokens?, … }`. */
export type RequestBody<Id extends OperationId> = JsonOf<NonNullable<operations[Id]['requestBody']>>;

/** The query parameters of an operation, e.g. `QueryOf<'listSessions'>` is `{ status?, task_id?, limit?, cursor?, … }`. */
export type QueryOf<Id extends OperationId> = NonNullable<operations[Id]['parameters']['query']>;

/** Options of one call, the last argument of every resource method. */
export interface RequestOptions {
  /**
   * Sent as `Idempotency-Key`. Without it every POST gets a key of its own, kept across that call's
   * retries; give one to make a call you may repeat later (after a crash, say) count once.
   */
  idempotencyKey?: string;
  /** Aborts the call, retries included. */
  signal?: AbortSignal;
  /** Extra headers for this call. */
  headers?: Record<string, string>;
}

/** `RequestOptions` as openapi-fetch init fields. */
export function requestInit(options: RequestOptions | undefined, extraHeaders: Record<string, string> = {}) {
  const headers: Record<string, string> = { ...options?.headers, ...extraHeaders };
  if (options?.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
  return {
    ...(Object.keys(headers).length > 0 ? { headers } : {}),
    ...(options?.signal ? { signal: options.signal } : {}),
  };
}
