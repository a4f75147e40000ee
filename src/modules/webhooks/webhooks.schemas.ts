import { z } from 'zod';
import { ListQuerySchema, TimestampSchema, toOptionalTimestamp, toTimestamp } from '../../lib/wire.js';
import { DELIVERY_STATUSES, type Delivery } from './deliveries.repository.js';
import type { WebhookEndpoint } from './endpoints.repository.js';
import { EVENT_TYPES } from './outbox.repository.js';

const EventTypeFilterSchema = z
  .array(z.enum([...EVENT_TYPES, '*']))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .refine((types) => new Set(types).size === types.length, 'list each event type once')
  .describe('Event types to receive; "*" for all');

const UrlSchema = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }).max(2048);

export const WebhookSchema = z
  .object({
    webhook_id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable().describe('Why the service disabled it (410 Gone, or failing for 5 days)'),
    disabled_at: TimestampSchema.nullable(),
    previous_secret_expires_at: TimestampSchema.nullable().describe('Until then deliveries carry a signature with the previous secret too'),
    created_at: TimestampSchema,
    updated_at: TimestampSchema,
  })
  .meta({ id: 'Webhook' });

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().describe('whsec_…: verify deliveries with it; shown only here'),
}).meta({ id: 'WebhookWithSecret' });

export const CreateWebhookBodySchema = z
  .strictObject({
    url: UrlSchema,
    events: EventTypeFilterSchema,
    description: z.string().max(1024).optional(),
  })
  .meta({ id: 'CreateWebhookRequest' });

export const UpdateWebhookBodySchema = z
  .strictObject({
    url: UrlSchema.optional(),
    events: EventTypeFilterSchema.optional(),
    description: z.string().max(1024).nullable().optional(),
    enabled: z.boolean().optional().describe('true re-enables an endpoint the service disabled'),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'the update changes nothing: give at least one field',
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: 'UpdateWebhookRequest' });

export const WebhookParamsSchema = z.strictObject({ id: z.string().min(1).max(256) });
export const DeliveryParamsSchema = z.strictObject({ id: z.string().min(1).max(256), delivery_id: z.string().min(1).max(256) });
export const ListDeliveriesQuerySchema = ListQuerySchema.extend({ status: z.enum(DELIVERY_STATUSES).optional() });

export const DeliverySchema = z
  .object({
    delivery_id: z.string(),
    webhook_id: z.string(),
    event_id: z.string().describe('Also the webhook-id header of every attempt'),
    event_type: z.string(),
    status: z.enum(DELIVERY_STATUSES),
    attempts: z.int(),
    next_attempt_at: TimestampSchema.nullable(),
    last_status_code: z.int().nullable(),
    last_error: z.string().nullable(),
    created_at: TimestampSchema,
    completed_at: TimestampSchema.nullable(),
    attempt_log: z.array(
      z.object({
        attempt: z.int(),
        started_at: TimestampSchema,
        duration_ms: z.int(),
        status_code: z.int().nullable(),
        error: z.string().nullable(),
        response_snippet: z.string().nullable().describe('The first 1024 bytes of the response body'),
      }),
    ),
  })
  .meta({ id: 'WebhookDelivery' });

export const TestEventSchema = z.object({ event_id: z.string(), delivery_id: z.string() }).meta({ id: 'WebhookTestEvent' });

export function webhookWire(endpoint: WebhookEndpoint): z.infer<typeof WebhookSchema> {
  return {
    webhook_id: endpoint.id,
    url: endpoint.url,
    events: endpoint.eventTypes,
    description: endpoint.description,
    enabled: endpoint.enabled,
    disabled_reason: endpoint.disabledReason,
    disabled_at: toOptionalTimestamp(endpoint.disabledAt),
    previous_secret_expires_at: toOptionalTimestamp(endpoint.previousSecretExpiresAt),
    created_at: toTimestamp(endpoint.createdAt),
    updated_at: toTimestamp(endpoint.updatedAt),
  };
}

export const webhookWithSecretWire = (endpoint: WebhookEndpoint): z.infer<typeof WebhookWithSecretSchema> => ({
  ...webhookWire(endpoint),
  secret: endpoint.secret,
});

export function deliveryWire(delivery: Delivery): z.infer<typeof DeliverySchema> {
  return {
    delivery_id: delivery.id,
    webhook_id: delivery.endpointId,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    next_attempt_at: toOptionalTimestamp(delivery.nextAttemptAt),
    last_status_code: delivery.lastStatusCode,
    last_error: delivery.lastError,
    created_at: toTimestamp(delivery.createdAt),
    completed_at: toOptionalTimestamp(delivery.completedAt),
    attempt_log: delivery.attemptLog.map((entry) => ({
      attempt: entry.attemptNumber,
      started_at: toTimestamp(entry.startedAt),
      duration_ms: entry.durationMs,
      status_code: entry.statusCode,
      error: entry.error,
      response_snippet: entry.responseSnippet,
    })),
  };
}
