import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import { EventStreamBodySchema, EventStreamHeadersSchema, EventStreamQuerySchema } from './events.schemas.js';
import type { EventsService } from './events.service.js';
import { sendEventStream } from './sse.js';

export const eventsRoutes: FastifyPluginAsyncZod<{ events: EventsService }> = async (app, { events }) => {
  app.get(
    '/events/stream',
    {
      schema: {
        operationId: 'streamEvents',
        tags: ['events'],
        summary: "The project's events, live, as Server-Sent Events",
        description:
          'Every event of the project as it commits (the same events webhooks deliver), for clients that cannot receive webhooks. ' +
          'Filter with `session_id` (and `descendants=true` for its forks and recoveries) and `types`. ' +
          'Reconnect with `Last-Event-ID` (EventSource does) or `after`: the stream first replays, in order, every matching event ' +
          'after that one, then goes on live, with no gap and no duplicate. An id the project never had is a 400 `UNKNOWN_EVENT_ID`; ' +
          'one pruned by `EVENT_RETENTION_DAYS` starts the stream with `event: reset` (reload what you follow), then goes on from now. ' +
          'Each API key may hold `EVENT_STREAMS_PER_KEY` open streams per server (429 `TOO_MANY_STREAMS` past it). ' +
          'Works across replicas: an event committed through any of them reaches every stream.',
        querystring: EventStreamQuerySchema,
        headers: EventStreamHeadersSchema,
        response: {
          200: { description: 'The event stream', content: { 'text/event-stream': { schema: EventStreamBodySchema } } },
          ...problems(400, 401, 404, 429),
        },
      },
    },
    async (request, reply) => {
      const { session_id, descendants, types, after } = request.query;
      const prepared = await events.prepare({
        projectId: request.auth.projectId,
        apiKeyId: request.auth.apiKeyId,
        sessionId: session_id,
        descendants,
        types,
        afterEventId: request.headers['last-event-id'] ?? after,
      });
      sendEventStream(request, reply, prepared);
      return reply;
    },
  );
};
