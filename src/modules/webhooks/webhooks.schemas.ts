import { z } from 'zod';
import { ListQuerySchema, TimestampSchema, toOptionalTimestamp, toTimestamp } from '../../lib/wire.js';
import { EXAMPLE } from '../../lib/examples.js';
import { DELIVERY_STATUSES, type Delivery } from './deliveries.repository.js';
import type { WebhookEndpoint } from './endpoints.repository.js';
import { EVENT_TYPES } from './outbox.repository.js';

const EventTypeFilterSchema = z
  .array(z.enum([...EVENT_TYPES, '*']))
  .min(1)
  .max(EVENT_TYPES.length + 1)
  .refine((types) => new Set(types).size === types.length, 'list each event type once')
  .meta({ description: 'Event types to receive, each once; ["*"] for all', examples: [['session.threshold_crossed', 'handoff.created']] });

const UrlSchema = z
  .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' })
  .max(2048)
  .meta({ description: 'Where deliveries are POSTed: an http:// or https:// URL', examples: ['https://hooks.example.com/session-state'] });

export const WebhookSchema = z
  .object({
    webhook_id: z.string().meta({ description: 'The webhook id (`wh_` and 32 hex digits)', examples: [EXAMPLE.webhookId] }),
    url: z.string().meta({ description: 'Where deliveries are POSTed', examples: ['https://hooks.example.com/session-state'] }),
    events: z
      .array(z.string())
      .meta({ description: 'The event types it receives; ["*"] for all', examples: [['session.threshold_crossed', 'handoff.created']] }),
    description: z.string().nullable().describe('Your note about it; null when none'),
    enabled: z.boolean().describe('false: no deliveries (disabled by you, or by the service, see disabled_reason)'),
    disabled_reason: z.string().nullable().describe('Why the service disabled it (410 Gone, or failing for 5 days)'),
    disabled_at: TimestampSchema.nullable().describe('When it was disabled; null while enabled'),
    previous_secret_expires_at: TimestampSchema.nullable().describe('Until then deliveries carry a signature with the previous secret too'),
    created_at: TimestampSchema.describe('When it was created'),
    updated_at: TimestampSchema.describe('When it last changed'),
  })
  .meta({ id: 'Webhook', description: 'A webhook subscription: a URL and the event types delivered to it' });

export const WebhookWithSecretSchema = WebhookSchema.extend({
  secret: z.string().describe('whsec_…: verify deliveries with it; shown only here'),
}).meta({ id: 'WebhookWithSecret', description: 'A webhook subscription with its signing secret' });

export const CreateWebhookBodySchema = z
  .strictObject({
    url: UrlSchema,
    events: EventTypeFilterSchema,
    description: z
      .string()
      .max(1024)
      .optional()
      .meta({ description: 'Your note about it (up to 1024 characters)', examples: ['Alerts for the on-call channel'] }),
  })
  .meta({
    id: 'CreateWebhookRequest',
    examples: [
      {
        url: 'https://hooks.example.com/session-state',
        events: ['session.threshold_crossed', 'handoff.created'],
        description: 'Alerts for the on-call channel',
      },
    ],
  });

export const UpdateWebhookBodySchema = z
  .strictObject({
    url: UrlSchema.optional(),
    events: EventTypeFilterSchema.optional(),
    description: z.string().max(1024).nullable().optional().describe('A new note; null removes it'),
    enabled: z.boolean().optional().describe('true re-enables an endpoint the service disabled'),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'the update changes nothing: give at least one field',
    when: (payload) => payload.issues.length === 0,
  })
  .meta({ id: 'UpdateWebhookRequest', description: 'At least one field', examples: [{ events: ['*'], enabled: true }] });

const WebhookIdSchema = z
  .string()
  .min(1)
  .max(256)
  .meta({ description: 'The webhook id', examples: [EXAMPLE.webhookId] });
export const WebhookParamsSchema = z.strictObject({ id: WebhookIdSchema });
export const DeliveryParamsSchema = z.strictObject({
  id: WebhookIdSchema,
  delivery_id: z
    .string()
    .min(1)
    .max(256)
    .meta({ description: 'A delivery to that webhook', examples: [EXAMPLE.deliveryId] }),
});
export const ListDeliveriesQuerySchema = ListQuerySchema.extend({
  status: z.enum(DELIVERY_STATUSES).optional().describe('Only deliveries in this status'),
});

export const DeliverySchema = z
  .object({
    delivery_id: z.string().meta({ description: 'The delivery id (`dlv_` and 32 hex digits)', examples: [EXAMPLE.deliveryId] }),
    webhook_id: z.string().meta({ description: 'The webhook it goes to', examples: [EXAMPLE.webhookId] }),
    event_id: z.string().meta({ description: 'Also the webhook-id header of every attempt', examples: [EXAMPLE.eventId] }),
    event_type: z.string().meta({ description: 'The type of the event delivered', examples: ['session.threshold_crossed'] }),
    status: z.enum(DELIVERY_STATUSES).describe('Where the delivery stands'),
    attempts: z.int().meta({ description: 'Attempts made so far', examples: [1] }),
    next_attempt_at: TimestampSchema.nullable().describe('When the next attempt is due; null when none is'),
    last_status_code: z.int().nullable().describe("The HTTP status of the last attempt's answer; null without one"),
    last_error: z.string().nullable().describe('Why the last attempt failed; null when it did not'),
    created_at: TimestampSchema.describe('When the delivery was queued'),
    completed_at: TimestampSchema.nullable().describe('When it succeeded or failed for good; null until then'),
    attempt_log: z
      .array(
        z.object({
          attempt: z.int().meta({ description: 'Its number, from 1', examples: [1] }),
          started_at: TimestampSchema.describe('When it started'),
          duration_ms: z.int().meta({ description: 'How long it took', examples: [84] }),
          status_code: z.int().nullable().describe('The HTTP status answered; null without an answer'),
          error: z.string().nullable().describe('Why it failed; null when it did not'),
          response_snippet: z.string().nullable().describe('The first 1024 bytes of the response body'),
        }),
      )
      .describe('Every attempt, oldest first'),
  })
  .meta({ id: 'WebhookDelivery', description: 'The delivery of one event to one webhook, with every attempt' });

export const TestEventSchema = z
  .object({
    event_id: z.string().meta({ description: 'The webhook.test event', examples: [EXAMPLE.eventId] }),
    delivery_id: z
      .string()
      .meta({ description: 'Its delivery to this webhook (GET …/deliveries shows its attempts)', examples: [EXAMPLE.deliveryId] }),
  })
  .meta({ id: 'WebhookTestEvent', description: 'The test event queued for delivery' });

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
