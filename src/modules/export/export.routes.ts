import { Readable } from 'node:stream';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import { SessionParamsSchema } from '../sessions/sessions.schemas.js';
import { SessionExportSchema, sessionExportJson } from './export.schemas.js';
import type { ExportService } from './export.service.js';

export const exportRoutes: FastifyPluginAsyncZod<{ exports: ExportService }> = async (app, { exports }) => {
  app.get(
    '/sessions/:id/export',
    {
      schema: {
        operationId: 'exportSession',
        tags: ['lifecycle'],
        summary: 'The session, its checkpoints, usage, handoffs and events as one JSON document',
        description:
          'Everything the service keeps about one session, oldest first, as a download (`Content-Disposition: attachment`). ' +
          'Streamed as it is read (chunked, no Content-Length), a few checkpoints at a time, so that a session of any size exports ' +
          'in bounded memory. Rows written while the export runs may or may not be in it. A failure after the first bytes ' +
          'ends the connection without the closing brace: a document that does not parse is an incomplete export.',
        params: SessionParamsSchema,
        response: { 200: SessionExportSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The export document' },
      },
    },
    async (request, reply) => {
      const exported = await exports.exportSession(request.auth.projectId, request.params.id);
      // A byte stream (not object mode): it reads the next rows only once the client has taken what came before.
      const body = Readable.from(sessionExportJson(exported), { objectMode: false });
      return (
        reply
          .type('application/json; charset=utf-8')
          .header('content-disposition', `attachment; filename="${exported.session.id}.json"`)
          // The document SessionExportSchema describes, as a stream: the typed reply cannot say so.
          .send(body as never)
      );
    },
  );
};
