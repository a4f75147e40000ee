// OTLP/HTTP on the wire: which encoding a request is in, its gzip, and the answers in that
// encoding (Export<Signal>ServiceResponse on success, google.rpc.Status on failure).
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { AppError } from '../../lib/errors.js';
import { decodeJson, encodeJsonResponse, encodeJsonStatus } from './otlp-json.js';
import { OtlpDecodeError, type DecodedExport, type OtlpSignal } from './otlp-model.js';
import { decodeProtobuf, encodeProtobufResponse, encodeProtobufStatus } from './otlp-protobuf.js';

export type OtlpEncoding = 'protobuf' | 'json';

export const OTLP_CONTENT_TYPES: Readonly<Record<OtlpEncoding, string>> = { protobuf: 'application/x-protobuf', json: 'application/json' };

/** The encoding a Content-Type names; undefined for any other type (and for JSON in a charset other than UTF-8). */
export function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  if (!contentType) return undefined;
  const [type = '', ...parameters] = contentType.split(';').map((part) => part.trim().toLowerCase());
  if (type === OTLP_CONTENT_TYPES.protobuf) return 'protobuf';
  if (type !== OTLP_CONTENT_TYPES.json) return undefined;
  const charset = parameters.find((parameter) => parameter.startsWith('charset='))?.slice('charset='.length);
  return charset === undefined || charset === 'utf-8' || charset === '"utf-8"' ? 'json' : undefined;
}

const gunzipAsync = promisify(gunzip);

/**
 * The body as sent (identity) or gunzipped, at most `limitBytes` either way: decompression stops at
 * the limit (a gzip bomb is a 413, never more memory than the limit).
 */
export async function decodedBody(body: Buffer, contentEncoding: string | undefined, limitBytes: number): Promise<Buffer> {
  const encoding = (contentEncoding ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  if (encoding !== 'gzip' && encoding !== 'x-gzip') {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
      detail: `Content-Encoding ${JSON.stringify(contentEncoding)} is not supported: send gzip or identity`,
    });
  }
  try {
    return await gunzipAsync(body, { maxOutputLength: limitBytes });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new AppError('PAYLOAD_TOO_LARGE', { detail: `the body decompresses to more than ${limitBytes} bytes (OTLP_BODY_LIMIT_BYTES)` });
    }
    throw new AppError('VALIDATION_FAILED', { detail: `the body is not valid gzip: ${(error as Error).message}` });
  }
}

/** The export request in the body; an empty body is an empty request (nothing to export). 400 when undecodable. */
export function decodeExport(signal: OtlpSignal, encoding: OtlpEncoding, bytes: Buffer): DecodedExport {
  if (bytes.length === 0) return signal === 'traces' ? { signal, spans: [] } : { signal, logRecords: [] };
  try {
    return encoding === 'protobuf' ? decodeProtobuf(signal, bytes) : decodeJson(signal, bytes.toString('utf8'));
  } catch (error) {
    if (error instanceof OtlpDecodeError) throw new AppError(encoding === 'json' ? 'MALFORMED_JSON' : 'VALIDATION_FAILED', { detail: error.message });
    // Nesting deep enough to exhaust the stack is undecodable too.
    if (error instanceof RangeError) throw new AppError('VALIDATION_FAILED', { detail: `the body cannot be decoded: ${error.message}` });
    throw error;
  }
}

export interface OtlpAnswer {
  contentType: string;
  body: Buffer | string;
}

export function exportAnswer(signal: OtlpSignal, encoding: OtlpEncoding, partial?: { rejected: number; message: string }): OtlpAnswer {
  return encoding === 'protobuf'
    ? { contentType: OTLP_CONTENT_TYPES.protobuf, body: Buffer.from(encodeProtobufResponse(signal, partial)) }
    : { contentType: OTLP_CONTENT_TYPES.json, body: encodeJsonResponse(signal, partial) };
}

/** gRPC status codes for Status.code (OTLP/HTTP clients go by the HTTP status; this is for their logs). */
const GRPC_CODE_BY_HTTP_STATUS: Readonly<Record<number, number>> = { 400: 3, 401: 16, 404: 5, 413: 8, 415: 3, 429: 8, 500: 13, 503: 14 };

/** A failure as google.rpc.Status in `encoding`. */
export function statusAnswer(encoding: OtlpEncoding, httpStatus: number, message: string): OtlpAnswer {
  const status = { code: GRPC_CODE_BY_HTTP_STATUS[httpStatus] ?? (httpStatus >= 500 ? 13 : 3), message };
  return encoding === 'protobuf'
    ? { contentType: OTLP_CONTENT_TYPES.protobuf, body: Buffer.from(encodeProtobufStatus(status)) }
    : { contentType: OTLP_CONTENT_TYPES.json, body: encodeJsonStatus(status) };
}
