import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { databaseUnavailable, isDatabaseUnavailable, isUnstorableText } from '../lib/prisma-errors.js';
import {
  AppError,
  PROBLEM_CONTENT_TYPE,
  problemTypeOf,
  titleByCode,
  type ErrorCode,
  type FieldError,
  type ProblemExtensions,
} from '../lib/errors.js';

export { PROBLEM_CONTENT_TYPE };

/** RFC 9457 problem document, as every error response of this service is shaped. */
export interface Problem extends ProblemExtensions {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  code: ErrorCode;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function problemFor(error: AppError, instance: string): Problem {
  return {
    type: problemTypeOf(error.code),
    title: titleByCode[error.code],
    status: error.status,
    detail: error.detail ?? titleByCode[error.code],
    instance,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...error.extensions,
  };
}

const fastifyCodes: Partial<Record<string, ErrorCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'VALIDATION_FAILED',
  FST_ERR_BAD_URL: 'VALIDATION_FAILED',
  FST_ERR_RATE_LIMIT_EXCEEDED: 'RATE_LIMITED',
};

/** zod's issue paths become `body.token_budget.total`; unknown keys are named one by one. */
function validationErrors(error: FastifyError & { validationContext?: string }): FieldError[] {
  if (!hasZodFastifySchemaValidationErrors(error)) {
    return [{ path: error.validationContext ?? 'request', message: error.message }];
  }
  const location = error.validationContext === 'querystring' ? 'query' : (error.validationContext ?? 'request');
  return error.validation.flatMap((issue) => {
    const base = [location, ...issue.instancePath.split('/').filter(Boolean)].join('.');
    const unknownKeys = issue.keyword === 'unrecognized_keys' ? (issue.params.keys as string[] | undefined) : undefined;
    if (unknownKeys?.length) {
      return unknownKeys.map((key) => ({ path: `${base}.${key}`, message: `unknown field "${key}"` }));
    }
    return [{ path: base, message: issue.message ?? 'is invalid' }];
  });
}

export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as FastifyError & { validationContext?: string };
  if (fastifyError.validation) {
    const errors = validationErrors(fastifyError);
    const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return new AppError('VALIDATION_FAILED', { detail, errors });
  }
  if (isDatabaseUnavailable(error)) return databaseUnavailable(error);
  if (isUnstorableText(error)) {
    return new AppError('VALIDATION_FAILED', { detail: 'text and JSON values may not contain NUL (\\u0000) characters' });
  }
  const mapped = fastifyError.code ? fastifyCodes[fastifyError.code] : undefined;
  if (mapped) return new AppError(mapped, { detail: fastifyError.message });
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return new AppError(status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', { detail: fastifyError.message });
  }
  return new AppError('INTERNAL', { cause: error });
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError) {
  if (error.headers) void reply.headers(error.headers);
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(problemFor(error, request.url));
}

/** Logs what the service must hear about: its own failures (5xx), and the database being away. */
export function logFailure(request: FastifyRequest, error: unknown, appError: AppError): void {
  // 503: the database is away for now (the client retries); a warning, not a defect of ours.
  if (appError.code === 'NOT_READY') {
    request.log.warn({ err: error }, 'service not ready');
  } else if (appError.status >= 500) {
    request.log.error({ err: error }, 'request failed');
  }
}

/**
 * Fastify's clientErrorHandler: what Node's HTTP parser refuses before there is a request (headers
 * or body not received within REQUEST_TIMEOUT_MS, headers too large, not HTTP) is answered with a
 * problem document too, on the raw socket, which is then closed. A reset connection gets nothing.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const appError =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? new AppError('REQUEST_TIMEOUT', { detail: 'the request (headers and body) was not received within REQUEST_TIMEOUT_MS' })
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? new AppError('HEADERS_TOO_LARGE')
          : new AppError('VALIDATION_FAILED', { detail: 'the request is not valid HTTP/1.1' });
    const body = JSON.stringify(problemFor(appError, '/'));
    socket.write(
      `HTTP/1.1 ${appError.status} ${STATUS_CODES[appError.status]}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

/**
 * The client hung up before its request (its body) was received: Node's "aborted", code ECONNRESET
 * like a lost database connection's, but on the request's own stream. Nothing failed here.
 */
export function isClientAbort(request: FastifyRequest, error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return code === 'ECONNRESET' && message === 'aborted' && (request.raw.readableAborted || request.raw.destroyed);
}

export const errorHandlerPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error, request, reply) => {
    if (isClientAbort(request, error)) {
      request.log.info('client closed the connection before the whole request was received');
      // Nobody reads this answer; it completes the request's lifecycle (hooks, logs, metrics).
      return sendProblem(
        reply,
        request,
        new AppError('VALIDATION_FAILED', { detail: 'the connection closed before the whole request was received' }),
      );
    }
    const appError = toAppError(error);
    logFailure(request, error, appError);
    return sendProblem(reply, request, appError);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new AppError('ROUTE_NOT_FOUND', { detail: `No route ${request.method} ${request.url.split('?')[0]}` })),
  );
});
