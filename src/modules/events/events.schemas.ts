import { z } from 'zod';
import { EXAMPLE } from '../../lib/examples.js';
import { NameSchema } from '../../lib/wire.js';
import { EVENT_TYPES } from '../webhooks/outbox.repository.js';

const EventIdSchema = z.string().min(1).max(256);

export const EventStreamQuerySchema = z
  .strictObject({
    session_id: NameSchema.optional().meta({
      description: "Only this session's events (404 when the project has no such session)",
      examples: [EXAMPLE.sessionId],
    }),
    descendants: z
      .enum(['true', 'false'])
      .default('false')
      .transform((value) => value === 'true')
      .meta({ description: "With session_id: also the events of the session's forks and recoveries, and theirs, including those created later" }),
    types: z
      .string()
      .max(1024)
      .transform((value) => value.split(',').map((type) => type.trim()))
      .pipe(z.array(z.enum(EVENT_TYPES, { error: `each type must be one of ${EVENT_TYPES.join(', ')}` })).min(1))
      .optional()
      .meta({ description: 'Comma-separated event types to receive; default all', examples: ['session.threshold_crossed,checkpoint.created'] }),
    after: EventIdSchema.optional().meta({
      description: `Replay every matching event after this one first (as \`Last-Event-ID\` does, which wins when both are sent), e.g. \`${EXAMPLE.eventId}\``,
    }),
  })
  .refine((query) => !query.descendants || query.session_id !== undefined, {
    path: ['descendants'],
    message: 'descendants needs a session_id',
  });

export const EventStreamHeadersSchema = z.object({
  'last-event-id': EventIdSchema.optional().describe('The id of the last event received: the stream replays every matching event after it'),
});

export const EventStreamBodySchema = z.string().meta({
  description:
    'Server-Sent Events. Each event: `id:` the event id, `event:` its type, `data:` the JSON body a webhook delivery of it carries ' +
    '(`{ id, type, created_at, data }`). A comment line every 15 seconds keeps idle connections open. ' +
    'When the event to replay after was pruned, the first message is `event: reset` (see the description).',
  example:
    'id: evt_01a2114b280b764ebfa1ae39232131df\nevent: session.threshold_crossed\n' +
    'data: {"id":"evt_01a2114b280b764ebfa1ae39232131df","type":"session.threshold_crossed","created_at":"2026-12-04T14:00:00.000Z",' +
    '"data":{"session_id":"sess_01a211081b717d72a20052ec5ba6250e","threshold":75}}\n\n',
});
