import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import { MetricsSummaryQuerySchema, MetricsSummarySchema, metricsSummaryWire } from './summary.schemas.js';
import type { SummaryService } from './summary.service.js';

export const summaryRoutes: FastifyPluginAsyncZod<{ summary: SummaryService }> = async (app, { summary }) => {
  app.get(
    '/metrics/summary',
    {
      schema: {
        operationId: 'getMetricsSummary',
        tags: ['metrics'],
        summary: "The health of the project's sessions against the reference targets",
        description:
          'Sessions by status, tokens used, handoff success, recovery times and session durations of the calling project, ' +
          'computed in the database, and which targets of the reference "Key Metrics to Monitor" table are missed. ' +
          'Recovery time runs from the first usage update that brought a session to 85% of its budget or more to its emergency recovery ' +
          '(the creation of the new session). Live sessions are those not archived; their duration is their age now.',
        querystring: MetricsSummaryQuerySchema,
        response: { 200: MetricsSummarySchema, ...problems(400, 401) },
        responseDescriptions: { 200: 'The summary' },
      },
    },
    async (request) => {
      const { since } = request.query;
      return metricsSummaryWire(await summary.summary(request.auth.projectId, { since: since === undefined ? undefined : new Date(since) }));
    },
  );
};
