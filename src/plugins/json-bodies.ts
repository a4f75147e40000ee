import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../lib/errors.js';
import { mayHoldUnstorable, unstorableValues } from '../lib/storable-json.js';

/** The media types this API reads as JSON; PATCH bodies are JSON merge patches (RFC 7396). */
export const JSON_MEDIA_TYPES = ['application/json', 'application/merge-patch+json'];

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;
const UTF8 = new Set(['utf-8', 'utf8']);

/** 415 for a body this service would decode as something other than what was sent. */
function unsupportedEncoding(request: FastifyRequest): AppError | undefined {
  const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1];
  if (charset !== undefined && !UTF8.has(charset.toLowerCase())) {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: `charset ${JSON.stringify(charset)} is not supported: JSON bodies are utf-8` });
  }
  const contentEncoding = request.headers['content-encoding'];
  if (contentEncoding !== undefined && contentEncoding.trim().toLowerCase() !== 'identity') {
    return new AppError('UNSUPPORTED_MEDIA_TYPE', {
      detail: `Content-Encoding ${JSON.stringify(contentEncoding)} is not supported: send the JSON body uncompressed`,
    });
  }
  return undefined;
}

/**
 * The JSON body parser of every route but OTLP's (which reads its own, gzip included). It refuses,
 * before any handler runs:
 * - a charset other than utf-8, or any Content-Encoding but identity: 415;
 * - bytes that are not UTF-8, JSON syntax errors, `__proto__`/`constructor.prototype` keys: 400
 *   MALFORMED_JSON;
 * - values PostgreSQL or RFC 8785 cannot take (lone surrogates, NUL, ±1e400): 400 naming each field.
 * An empty body counts as none: lifecycle POSTs take no fields, and many HTTP clients send
 * `content-type: application/json` anyway (routes that need a body still say so, 400).
 *
 * Cost on the hot paths: isUtf8 (SIMD) and a scan for `\u` escapes and huge exponents; the tree is
 * walked only when the scan finds one.
 */
export function jsonBodies(app: FastifyInstance): void {
  // The API speaks JSON only: anything else is 415 rather than a string the schemas then refuse.
  app.removeContentTypeParser('text/plain');
  app.removeContentTypeParser('application/json');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(JSON_MEDIA_TYPES, { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    const refused = unsupportedEncoding(request);
    if (refused) return done(refused, undefined);
    if (body.length === 0) return done(null, undefined);
    if (!isUtf8(body)) return done(new AppError('MALFORMED_JSON', { detail: 'the body is not valid UTF-8' }), undefined);
    const text = body.toString('utf8');
    parseJson(request, text, (error, value) => {
      if (error) return done(error, undefined);
      if (mayHoldUnstorable(text)) {
        const errors = unstorableValues(value, 'body');
        if (errors.length > 0) {
          const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
          return done(new AppError('VALIDATION_FAILED', { detail, errors }), undefined);
        }
      }
      return done(null, value);
    });
  });
}
