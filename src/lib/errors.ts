/** Every error the service reports on purpose, and the HTTP status it maps to (one table). */
export const statusByCode = {
  VALIDATION_FAILED: 400,
  MALFORMED_JSON: 400,
  UNKNOWN_EVENT_ID: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  ROUTE_NOT_FOUND: 404,
  SESSION_ARCHIVED: 409,
  INVALID_TRANSITION: 409,
  SESSION_ALREADY_RECOVERED: 409,
  FORK_ALREADY_MERGED: 409,
  CHECKPOINT_CORRUPTED: 409,
  HANDOFF_ALREADY_DECIDED: 409,
  WEBHOOK_DISABLED: 409,
  SPEC_NOT_RUNNING: 409,
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 409,
  EXTERNAL_ID_TAKEN: 409,
  BUDGET_EXHAUSTED: 409,
  RESERVATION_NOT_HELD: 409,
  REQUEST_TIMEOUT: 408,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  CHECKPOINT_TOO_LARGE: 413,
  CONTEXT_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADERS_TOO_LARGE: 431,
  IDEMPOTENCY_KEY_REUSED: 422,
  NOT_A_FORK: 422,
  CHECKPOINT_NOT_IN_SESSION: 422,
  HANDOFF_INVALID: 422,
  WEBHOOK_URL_REFUSED: 422,
  ORCHESTRATION_INVALID: 422,
  RATE_LIMITED: 429,
  TOO_MANY_STREAMS: 429,
  INTERNAL: 500,
  NOT_READY: 503,
} as const satisfies Record<string, number>;

export type ErrorCode = keyof typeof statusByCode;

export const titleByCode: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'Request validation failed',
  MALFORMED_JSON: 'Malformed JSON body',
  UNKNOWN_EVENT_ID: 'Unknown event id',
  UNAUTHORIZED: 'Missing or invalid credentials',
  NOT_FOUND: 'Resource not found',
  ROUTE_NOT_FOUND: 'Route not found',
  SESSION_ARCHIVED: 'Session is archived',
  INVALID_TRANSITION: "Not allowed in the session's current status",
  SESSION_ALREADY_RECOVERED: 'Session was already recovered',
  FORK_ALREADY_MERGED: 'Fork was already merged',
  CHECKPOINT_CORRUPTED: 'Checkpoint snapshot does not match its SHA-256',
  HANDOFF_ALREADY_DECIDED: 'Handoff was already accepted or rejected',
  WEBHOOK_DISABLED: 'Webhook endpoint is disabled',
  SPEC_NOT_RUNNING: 'Spec is not running',
  IDEMPOTENCY_REQUEST_IN_PROGRESS: 'A request with this Idempotency-Key is still in progress',
  EXTERNAL_ID_TAKEN: 'External id already names another session',
  BUDGET_EXHAUSTED: 'Not enough budget available for this reservation',
  RESERVATION_NOT_HELD: 'Reservation is not held',
  REQUEST_TIMEOUT: 'Request not received in time',
  PRECONDITION_FAILED: 'Precondition failed',
  PAYLOAD_TOO_LARGE: 'Payload too large',
  CHECKPOINT_TOO_LARGE: 'Checkpoint snapshot too large',
  CONTEXT_TOO_LARGE: 'Session context too large to checkpoint',
  UNSUPPORTED_MEDIA_TYPE: 'Unsupported media type',
  HEADERS_TOO_LARGE: 'Request headers too large',
  IDEMPOTENCY_KEY_REUSED: 'Idempotency-Key reused with a different request',
  NOT_A_FORK: 'Session is not a fork of this session',
  CHECKPOINT_NOT_IN_SESSION: 'Checkpoint belongs to another session',
  HANDOFF_INVALID: 'Handoff failed validation',
  WEBHOOK_URL_REFUSED: 'Webhook URL refused',
  ORCHESTRATION_INVALID: 'Orchestration graph is invalid',
  RATE_LIMITED: 'Too many requests',
  TOO_MANY_STREAMS: 'Too many open event streams',
  INTERNAL: 'Internal server error',
  NOT_READY: 'Service not ready',
};

/** The media type of every error answer (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** A problem's `type`: `/problems/session-archived`, a page that explains the code (src/plugins/problem-pages.ts). */
export const problemSlugOf = (code: ErrorCode): string => code.toLowerCase().replaceAll('_', '-');
export const problemTypeOf = (code: ErrorCode): string => `/problems/${problemSlugOf(code)}`;

/** The code a `/problems/<slug>` names, or undefined for a slug no code has. */
export function codeOfProblemSlug(slug: string): ErrorCode | undefined {
  const code = slug.toUpperCase().replaceAll('-', '_');
  return Object.hasOwn(statusByCode, code) && problemSlugOf(code as ErrorCode) === slug ? (code as ErrorCode) : undefined;
}

export interface FieldError {
  path: string;
  message: string;
}

/** Members a problem carries besides the standard ones, so a client can act on it (RFC 9457 §3.2). */
export interface ProblemExtensions {
  /** SESSION_ARCHIVED of a session archived by emergency recovery: the session to go on with. */
  recovered_to_session_id?: string;
  /** An unknown model: the models this deployment knows. */
  known_models?: string[];
  /** A handoff naming an agent nobody registered: the project's registered agents. */
  known_agents?: string[];
  /** BUDGET_EXHAUSTED: the tokens available (total - used - reserved) and those reserved when the hold was refused. */
  available?: number;
  reserved?: number;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string> | undefined;
  readonly extensions: ProblemExtensions | undefined;

  constructor(
    code: ErrorCode,
    options: { detail?: string; errors?: FieldError[]; headers?: Record<string, string>; extensions?: ProblemExtensions; cause?: unknown } = {},
  ) {
    super(options.detail ?? titleByCode[code], { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = statusByCode[code];
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }
}

export const notFound = (what: string, id: string) => new AppError('NOT_FOUND', { detail: `${what} ${id} does not exist in this project` });
