import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import { SessionParamsSchema } from '../sessions/sessions.schemas.js';
import { SessionExportSchema, sessionExportWire } from './export.schemas.js';
import type { ExportService } from './export.service.js';

export const exportRoutes: FastifyPluginAsyncZod<{ exports: ExportService }> = async (app, { exports }) => {
  app.get(
    '/sessions/:id/export',
    {
      schema: {
        operationId: 'exportSession',
        tags: ['lifecycle'],
        summary: 'The session, its checkpoints, usage, handoffs and events as one JSON document',
        description: 'Everything the service keeps about one session, oldest first, as a download (`Content-Disposition: attachment`).',
        params: SessionParamsSchema,
        response: { 200: SessionExportSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The export document' },
      },
    },
    async (request, reply) => {
      const exported = await exports.exportSession(request.auth.projectId, request.params.id);
      return reply.header('content-disposition', `attachment; filename="${exported.session.id}.json"`).send(sessionExportWire(exported));
    },
  );
};
