/**
 * The client of the Session State Service: resource methods in the manner of the Stripe, OpenAI
 * and Anthropic SDKs, over typed paths (`openapi-fetch` over the types `openapi-typescript`
 * generates from openapi.yaml into openapi-types.ts, rewritten by `npm run openapi`), so every
 * path, parameter, body and response is checked by the compiler against the contract.
 *
 * ```ts
 * const client = createClient(); // SESSION_STATE_URL and SESSION_STATE_API_KEY, or { baseUrl, apiKey }
 * const session = await client.sessions.create({ task_id: 'SPEC-001', token_budget: { total: 100_000 } });
 * const { crossed } = await client.sessions.usage.create(session.session_id, { input_tokens: 12_000, output_tokens: 3_000 });
 * for await (const s of client.sessions.list({ status: 'active' })) console.log(s.session_id);
 * for await (const event of client.events.stream({ sessionId: session.session_id })) console.log(event.type);
 * await client.POST('/v1/sessions/{id}/usage', { params: { path: { id: session.session_id } }, body: { tokens: 500 } }); // the typed paths
 * ```
 *
 * Non-2xx responses throw `ProblemError`; no response at all throws `ServiceUnreachableError`.
 */
import { createTypedPaths, resolveConnection, type ClientOptions, type TypedPaths } from './http.js';
import type { components } from './openapi-types.js';
import { createResources, type Resources } from './resources/index.js';

export { ProblemError, ServiceUnreachableError, type ProblemDocument, type ProblemFieldError } from './errors.js';
export { verifyWebhook, WebhookVerificationError, type WebhookEvent, type WebhookHeaders } from './webhooks.js';
export type { RetryOptions } from './retry.js';
export { isStreamReset, streamEvents, type EventStreamConfig, type EventStreamOptions, type StreamedEvent, type StreamReset } from './events.js';
export type { ApiMethod, ClientOptions, TypedPaths } from './http.js';
export type { OperationId, QueryOf, RequestBody, RequestOptions } from './operations.js';
export { PagedList, type Page } from './pagination.js';
export { RESOURCE_METHODS, type Resources } from './resources/index.js';
export type * from './resources/index.js';
export type { components, operations, paths } from './openapi-types.js';

type Schemas = components['schemas'];
export type Session = Schemas['Session'];
export type TokenBudget = Schemas['TokenBudget'];
export type UsageResult = Schemas['UsageResult'];
export type UsageEntry = Schemas['UsageEntry'];
export type Budget = Schemas['Budget'];
export type Checkpoint = Schemas['Checkpoint'];
export type Handoff = Schemas['Handoff'];
export type EmergencyRecovery = Schemas['EmergencyRecovery'];
export type Webhook = Schemas['Webhook'];
export type WebhookWithSecret = Schemas['WebhookWithSecret'];
export type WebhookDelivery = Schemas['WebhookDelivery'];
export type Orchestration = Schemas['Orchestration'];
export type Agent = Schemas['Agent'];
export type Model = Schemas['Model'];

/** The resource methods (`client.sessions.create()`, `client.events.stream()`…) and the typed paths (`client.GET('/v1/…')`). */
export interface SessionStateClient extends TypedPaths, Resources {}

/**
 * A client of the service at `baseUrl` (default `$SESSION_STATE_URL`) with the project key `apiKey`
 * (default `$SESSION_STATE_API_KEY`).
 */
export function createClient(options: ClientOptions = {}): SessionStateClient {
  const connection = { ...options, ...resolveConnection(options) };
  const api = createTypedPaths(connection);
  return { ...api, ...createResources(api, connection) };
}
