import { z } from 'zod';
import { EXAMPLE } from '../../lib/examples.js';
import { JsonObjectSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import type { StoredEvent } from './outbox.repository.js';

/** An event as webhooks deliver it and exports list it. */
export const EventSchema = z
  .object({
    id: z.string().meta({ description: 'The event id, also `webhook-id` of its deliveries', examples: [EXAMPLE.eventId] }),
    type: z.string().meta({ description: 'The event type', examples: ['session.threshold_crossed'] }),
    created_at: TimestampSchema.describe('When the event happened'),
    data: JsonObjectSchema.meta({
      description: 'What happened, by type',
      examples: [{ session_id: EXAMPLE.sessionId, threshold: 75 }],
    }),
  })
  .meta({ id: 'Event', description: 'An event as webhooks deliver it and event streams and exports carry it' });

export function eventWire(event: StoredEvent): z.infer<typeof EventSchema> {
  return { id: event.id, type: event.type, created_at: toTimestamp(event.createdAt), data: event.data };
}
