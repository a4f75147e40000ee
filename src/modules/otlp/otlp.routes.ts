import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../lib/errors.js';
import { logItems, spanItems } from './otlp-items.js';
import type { OtlpSignal } from './otlp-model.js';
import { decodedBody, decodeExport, encodingOf, exportAnswer, OTLP_CONTENT_TYPES } from './otlp-wire.js';
import type { OtlpService } from './otlp.service.js';

/** A usage update a request counted, as the metrics read it. */
export interface CountedUsage {
  crossed: readonly number[];
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The usage updates an OTLP export counted (replays excluded): the usage metrics count them. */
    countedUsage?: readonly CountedUsage[];
  }
}

export const OTLP_OPERATIONS: Readonly<Record<OtlpSignal, string>> = { traces: 'exportTraces', logs: 'exportLogs' };

export interface OtlpRoutesOptions {
  otlp: OtlpService;
  /** OTLP_BODY_LIMIT_BYTES: the largest body, as sent and after decompression. */
  bodyLimitBytes: number;
}

/**
 * POST /v1/traces and /v1/logs under the /otlp prefix, as OTLP/HTTP exporters build their URLs from
 * OTEL_EXPORTER_OTLP_ENDPOINT. They speak OTLP, not this API's JSON: hidden from openapi.yaml.
 */
export const otlpRoutes: FastifyPluginAsync<OtlpRoutesOptions> = async (app, { otlp, bodyLimitBytes }) => {
  // The bodies are read raw (still gzipped, maybe) and decoded by the route: only OTLP's two types.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(Object.values(OTLP_CONTENT_TYPES), { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  for (const signal of ['traces', 'logs'] as const) {
    app.post(`/v1/${signal}`, { bodyLimit: bodyLimitBytes, schema: { hide: true, operationId: OTLP_OPERATIONS[signal] } }, async (request, reply) => {
      const encoding = encodingOf(request.headers['content-type']);
      if (!encoding) {
        throw new AppError('UNSUPPORTED_MEDIA_TYPE', {
          detail: `Content-Type ${JSON.stringify(request.headers['content-type'] ?? '')} is not OTLP: send application/x-protobuf or application/json`,
        });
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const decoded = decodeExport(signal, encoding, await decodedBody(raw, request.headers['content-encoding'], bodyLimitBytes));
      const items = decoded.signal === 'traces' ? spanItems(decoded) : logItems(decoded);
      const result = await otlp.ingest(request.auth.projectId, items);
      request.countedUsage = result.counted;
      const answer = exportAnswer(
        signal,
        encoding,
        result.message === undefined ? undefined : { rejected: result.rejected, message: result.message },
      );
      return reply.code(200).type(answer.contentType).send(answer.body);
    });
  }
};
