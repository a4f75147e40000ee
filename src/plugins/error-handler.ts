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

export const errorHandlerPlugin = fp(async (app: FastifyInstance) => {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    logFailure(request, error, appError);
    return sendProblem(reply, request, appError);
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, request, new AppError('ROUTE_NOT_FOUND', { detail: `No route ${request.method} ${request.url.split('?')[0]}` })),
  );
});
