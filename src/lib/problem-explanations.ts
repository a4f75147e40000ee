// What each error code means and what to do about it: the text of the page a problem's `type`
// URL names (GET /problems/<code>, src/plugins/problem-pages.ts). One entry per code of
// statusByCode; the type makes a code without one a compile error.
import type { ErrorCode } from './errors.js';

export interface ProblemExplanation {
  /** What happened, in a sentence or two. */
  meaning: string;
  /** What the client (or its operator) can do. */
  action: string;
}

export const explanationByCode: Readonly<Record<ErrorCode, ProblemExplanation>> = {
  VALIDATION_FAILED: {
    meaning: 'A path parameter, the query, a header or the body does not match what the operation takes (the OpenAPI document at /openapi.json).',
    action:
      'Fix the fields `errors` lists (each with its `path`, e.g. `body.token_budget.total`) and send the request again. An unknown model lists the known ones in `known_models`.',
  },
  MALFORMED_JSON: {
    meaning: 'The body is not valid JSON, or it is empty where the operation needs one.',
    action: 'Send a JSON document with `Content-Type: application/json`.',
  },
  UNKNOWN_EVENT_ID: {
    meaning: 'The event stream was asked to replay after an event id this project never had.',
    action: 'Reconnect without `Last-Event-ID` / `after`, or with the id of an event the stream sent you.',
  },
  UNAUTHORIZED: {
    meaning: 'The request has no `Authorization: Bearer` credentials, or they are unknown, revoked or expired.',
    action:
      'Send a current API key of the project (or ADMIN_TOKEN for /v1/admin). An operator issues keys with POST /v1/admin/projects/{id}/api-keys.',
  },
  NOT_FOUND: {
    meaning: 'Nothing of that id exists in the project of the API key (objects of other projects are never visible).',
    action: 'Check the id, and that the key belongs to the project that created the object.',
  },
  ROUTE_NOT_FOUND: {
    meaning: 'No operation has this method and path.',
    action: 'See the operations at /docs (Swagger UI) or /openapi.json.',
  },
  SESSION_ARCHIVED: {
    meaning: 'The session is archived: it keeps its data but takes no more usage, checkpoints or changes.',
    action:
      'Carry on in another session: after an emergency recovery, the one the problem names in `recovered_to_session_id` (the session says it too); otherwise fork the archived one.',
  },
  INVALID_TRANSITION: {
    meaning: "The operation is not allowed in the session's current status (e.g. resuming a session in emergency_recovery).",
    action: 'GET the session for its status; recover it (POST …/emergency-recovery) or restore a checkpoint first.',
  },
  SESSION_ALREADY_RECOVERED: {
    meaning: 'The session was already recovered into a new one; a session is recovered once.',
    action: 'Use the session the first recovery created: `recovered_to_session_id` of the problem names it.',
  },
  FORK_ALREADY_MERGED: {
    meaning: 'The fork was already merged into its parent, and archived.',
    action: 'Nothing to do: its context is in the parent already. Fork again for another line of work.',
  },
  CHECKPOINT_CORRUPTED: {
    meaning: 'The stored snapshot no longer matches the SHA-256 taken when it was checkpointed, so it is not restored.',
    action: 'Restore an older checkpoint of the session, and tell the operator: stored data changed outside the service.',
  },
  HANDOFF_ALREADY_DECIDED: {
    meaning: 'The handoff was already accepted or rejected; a handoff is decided once.',
    action: 'GET the handoff for its status. Create a new handoff to hand the session over again.',
  },
  WEBHOOK_DISABLED: {
    meaning: 'The webhook endpoint is disabled (by you, or by the service after 410 Gone or failing for 5 days), so nothing is sent to it.',
    action: 'Fix the receiver, then PATCH the webhook with `{"enabled": true}`.',
  },
  SPEC_NOT_RUNNING: {
    meaning: 'The spec is not running: it is still pending, already finished or blocked (or, to explore, it has no session yet).',
    action: 'GET the orchestration for the status of each spec.',
  },
  IDEMPOTENCY_REQUEST_IN_PROGRESS: {
    meaning: 'A request with the same Idempotency-Key is still being processed.',
    action: 'Retry after a moment with the same key: you then get the first request’s answer.',
  },
  EXTERNAL_ID_TAKEN: {
    meaning: 'Another session of the project already has this external_id.',
    action: 'Find it with GET /v1/sessions?external_id=…, or choose another external_id.',
  },
  BUDGET_EXHAUSTED: {
    meaning: 'The reservation does not fit: used + reserved + tokens would pass the session total. Nothing was held.',
    action:
      'Wait for holds to be committed, released or to expire (`reserved`), ask for fewer tokens (`available` says how many fit), or raise token_budget.total.',
  },
  RESERVATION_NOT_HELD: {
    meaning: 'The reservation was released (by the client, or when its session was archived, recovered or merged), or committed with another body.',
    action: 'Record the usage with POST /v1/sessions/{id}/usage if the call was made, or reserve afresh before the next call.',
  },
  REQUEST_TIMEOUT: {
    meaning: 'The request, its headers and its body, did not arrive within REQUEST_TIMEOUT_MS; the connection was closed.',
    action: 'Send the whole request promptly (a slow or stalled upload is cut off), on a new connection.',
  },
  PRECONDITION_FAILED: {
    meaning: 'The If-Match header names another version of the resource than the current one: it changed since you read it.',
    action: 'GET it again (for its new ETag), reapply your change and send it with that ETag.',
  },
  PAYLOAD_TOO_LARGE: {
    meaning: 'The body is larger than the service accepts for this operation.',
    action: 'Send less (an operator sets the limits: BODY_LIMIT_BYTES, CHECKPOINT_MAX_BYTES).',
  },
  CHECKPOINT_TOO_LARGE: {
    meaning: 'The snapshot is larger than CHECKPOINT_MAX_BYTES once stored as canonical JSON.',
    action: 'Checkpoint a smaller context: move bulky data elsewhere and keep references to it.',
  },
  CONTEXT_TOO_LARGE: {
    meaning: "The session's context is larger than a checkpoint may be, so it cannot be checkpointed as it is.",
    action: 'PATCH the context smaller (merge patch: null removes a key), then checkpoint.',
  },
  UNSUPPORTED_MEDIA_TYPE: {
    meaning:
      'The body is not `application/json` (or `application/merge-patch+json` for PATCH), it declares a charset other than utf-8, or it has a `Content-Encoding` (such as gzip).',
    action: 'Send uncompressed UTF-8 JSON with `Content-Type: application/json` (no charset, or `charset=utf-8`).',
  },
  HEADERS_TOO_LARGE: {
    meaning: "The request's headers are larger than Node's HTTP parser accepts (16 KiB by default).",
    action: 'Send fewer or shorter headers.',
  },
  IDEMPOTENCY_KEY_REUSED: {
    meaning: 'The Idempotency-Key was used before for a different request (another route or body). Keys are per project.',
    action: 'Use a new key for each distinct request; reuse a key only to retry the very same request.',
  },
  NOT_A_FORK: {
    meaning: 'The session to merge is not a fork of this session.',
    action: 'Merge a session whose parent_session_id is this session.',
  },
  CHECKPOINT_NOT_IN_SESSION: {
    meaning: 'The checkpoint belongs to another session than the one in the path.',
    action: 'Name a checkpoint of this session (GET …/checkpoints lists them).',
  },
  HANDOFF_INVALID: {
    meaning:
      'The handoff failed its checks (too few available tokens, a session that is not live, a receiver that does not accept the sender); nothing was stored.',
    action:
      'Fix what `errors` lists: e.g. recover the session for a fresh budget, register the receiver to accept the sender, or name one of `known_agents`.',
  },
  WEBHOOK_URL_REFUSED: {
    meaning: 'The webhook URL points at a loopback, private or otherwise non-public address, which the service does not deliver to.',
    action: 'Use a public http(s) URL (an operator may allow private networks with WEBHOOK_ALLOW_PRIVATE_NETWORKS).',
  },
  ORCHESTRATION_INVALID: {
    meaning: 'The graph of specs is not valid: an unknown dependency, a duplicate spec id, a self-dependency or a cycle; nothing was stored.',
    action: 'Fix every problem `errors` lists (a cycle is spelled out, `a → b → a`) and create it again.',
  },
  RATE_LIMITED: {
    meaning:
      'The API key sent more requests than the rate limit allows in the current window, or the client address failed authentication too often in it (RATE_LIMIT_UNAUTHENTICATED_MAX).',
    action: 'Wait the `Retry-After` seconds, then retry; spread requests out.',
  },
  TOO_MANY_STREAMS: {
    meaning: 'The API key holds as many open event streams on this server as EVENT_STREAMS_PER_KEY allows.',
    action: 'Close a stream you no longer read, or share one stream between consumers.',
  },
  INTERNAL: {
    meaning: 'The service failed on its side; the request may or may not have taken effect.',
    action: 'Retry (with the same Idempotency-Key, so it takes effect once); if it persists, give the operator the X-Request-ID of the answer.',
  },
  NOT_READY: {
    meaning: 'The service cannot reach its database, or migrations are not applied yet.',
    action: 'Retry after `Retry-After` seconds; an operator checks the database and /readyz.',
  },
};
