import type { FastifyInstance } from 'fastify';
import { titleByCode } from '../lib/errors.js';
import { encodingOf, statusAnswer } from '../modules/otlp/otlp-wire.js';
import { logFailure, toAppError } from './error-handler.js';

/**
 * Failures on the OTLP routes answered as OTLP/HTTP says: the same status codes and headers as the
 * rest of the service (401, 413, 415, 429 and 503 with Retry-After, ...), but the body is a
 * google.rpc.Status in the request's encoding (JSON when it names none OTLP knows) rather than a
 * problem document, since that is what exporters read.
 */
export function otlpErrors(scope: FastifyInstance): void {
  scope.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    logFailure(request, error, appError);
    const answer = statusAnswer(
      encodingOf(request.headers['content-type']) ?? 'json',
      appError.status,
      appError.detail ?? titleByCode[appError.code],
    );
    if (appError.headers) void reply.headers(appError.headers);
    return reply.code(appError.status).type(answer.contentType).send(answer.body);
  });
}
