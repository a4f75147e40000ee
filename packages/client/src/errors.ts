/** One failed check of a validation problem: where (`body.token_budget.total`) and what. */
export interface ProblemFieldError {
  path: string;
  message: string;
}

/** The RFC 9457 problem document every error response of the service carries. */
export interface ProblemDocument {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  /** Machine-readable, e.g. `SESSION_ARCHIVED`, `HANDOFF_INVALID`. */
  code: string;
  errors?: ProblemFieldError[];
}

/**
 * The service answered with a non-2xx status. Carries the problem document's fields; a response
 * that is not a problem document (a proxy's HTML error page, say) still gives `status` and a
 * `title`, with `code` `UNKNOWN`.
 */
export class ProblemError extends Error implements ProblemDocument {
  override readonly name = 'ProblemError';
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly instance?: string;
  readonly code: string;
  readonly errors?: ProblemFieldError[];
  /** The response, for its headers (`retry-after`, `x-request-id`). Its body has been read. */
  readonly response?: Response;

  constructor(problem: ProblemDocument, response?: Response) {
    super(`${problem.status} ${problem.title}: ${problem.detail}`);
    this.type = problem.type;
    this.title = problem.title;
    this.status = problem.status;
    this.detail = problem.detail;
    this.instance = problem.instance;
    this.code = problem.code;
    this.errors = problem.errors;
    this.response = response;
  }

  /** The problem document as the service sent it (without the response). */
  toJSON(): ProblemDocument {
    return {
      type: this.type,
      title: this.title,
      status: this.status,
      detail: this.detail,
      ...(this.instance === undefined ? {} : { instance: this.instance }),
      code: this.code,
      ...(this.errors === undefined ? {} : { errors: this.errors }),
    };
  }

  /** Reads a non-2xx response into a ProblemError, whatever its body. */
  static async fromResponse(response: Response): Promise<ProblemError> {
    const text = await response.text().catch(() => '');
    return new ProblemError(parseProblem(response.status, response.statusText, text), response);
  }
}

function parseProblem(status: number, statusText: string, text: string): ProblemDocument {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const fallbackTitle = statusText || `HTTP ${status}`;
  if (typeof body !== 'object' || body === null) {
    return { type: 'about:blank', title: fallbackTitle, status, detail: text.slice(0, 500) || fallbackTitle, code: 'UNKNOWN' };
  }
  const fields = body as Record<string, unknown>;
  const str = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : undefined);
  const errors = Array.isArray(fields.errors)
    ? fields.errors.filter(
        (e): e is ProblemFieldError => typeof e === 'object' && e !== null && typeof e.path === 'string' && typeof e.message === 'string',
      )
    : undefined;
  return {
    type: str('type') ?? 'about:blank',
    title: str('title') ?? fallbackTitle,
    status: typeof fields.status === 'number' ? fields.status : status,
    detail: str('detail') ?? str('title') ?? fallbackTitle,
    ...(str('instance') === undefined ? {} : { instance: str('instance') }),
    code: str('code') ?? 'UNKNOWN',
    ...(errors === undefined ? {} : { errors }),
  };
}

/**
 * No HTTP response at all, after every retry: connection refused or reset, DNS failure, or the
 * per-attempt timeout. `cause` is the last underlying error.
 */
export class ServiceUnreachableError extends Error {
  override readonly name = 'ServiceUnreachableError';
  readonly url: string;
  readonly attempts: number;

  constructor(url: string, attempts: number, cause: unknown) {
    super(`cannot reach ${url} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${describeCause(cause)}`, { cause });
    this.url = url;
    this.attempts = attempts;
  }
}

function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  // undici's "fetch failed" hides the useful part (ECONNREFUSED 127.0.0.1:1) in its cause.
  const inner = cause.cause instanceof Error ? cause.cause : undefined;
  const code = inner && 'code' in inner ? String(inner.code) : undefined;
  if (inner) return code && !inner.message.includes(code) ? `${code} ${inner.message}` : inner.message;
  return cause.message;
}
