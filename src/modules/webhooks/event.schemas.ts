import { z } from 'zod';
import { JsonObjectSchema, TimestampSchema, toTimestamp } from '../../lib/wire.js';
import type { StoredEvent } from './outbox.repository.js';

/** An event as webhooks deliver it and exports list it. */
export const EventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    created_at: TimestampSchema,
    data: JsonObjectSchema,
  })
  .meta({ id: 'Event' });

export function eventWire(event: StoredEvent): z.infer<typeof EventSchema> {
  return { id: event.id, type: event.type, created_at: toTimestamp(event.createdAt), data: event.data };
}
