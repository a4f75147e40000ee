import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EmptyBodySchema, ListQuerySchema, decodeCursor, pageOf, pageWire, problems } from '../../lib/wire.js';
import {
  CreateWebhookBodySchema,
  DeliveryParamsSchema,
  DeliverySchema,
  ListDeliveriesQuerySchema,
  TestEventSchema,
  UpdateWebhookBodySchema,
  WebhookParamsSchema,
  WebhookSchema,
  WebhookWithSecretSchema,
  deliveryWire,
  webhookWire,
  webhookWithSecretWire,
} from './webhooks.schemas.js';
import type { WebhooksService } from './webhooks.service.js';

const SIGNING =
  'Deliveries follow the Standard Webhooks specification: `webhook-id` (the event id, the same on every retry), `webhook-timestamp` ' +
  'and `webhook-signature` (`v1,<base64 HMAC-SHA256>`, two of them for 24 hours after a rotation).';

export const webhooksRoutes: FastifyPluginAsyncZod<{ webhooks: WebhooksService }> = async (app, { webhooks }) => {
  app.post(
    '/webhooks',
    {
      config: { idempotent: true },
      schema: {
        operationId: 'createWebhook',
        tags: ['webhooks'],
        summary: 'Subscribe a URL to events',
        description: `The response holds the signing secret; it is shown only here and on rotation. ${SIGNING}`,
        body: CreateWebhookBodySchema,
        response: { 201: WebhookWithSecretSchema, ...problems(400, 401, 409, 415, 422) },
        responseDescriptions: { 201: 'The new subscription with its signing secret; `Location` is its URL' },
      },
    },
    async (request, reply) => {
      const endpoint = await webhooks.create(request.auth.projectId, {
        url: request.body.url,
        eventTypes: request.body.events,
        description: request.body.description,
      });
      void reply.code(201).header('location', `/v1/webhooks/${endpoint.id}`);
      return webhookWithSecretWire(endpoint);
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        operationId: 'listWebhooks',
        tags: ['webhooks'],
        summary: 'List webhook subscriptions, newest first',
        description: 'The subscriptions of the project, without their secrets; `next_cursor` pages on.',
        querystring: ListQuerySchema,
        response: { 200: pageOf(WebhookSchema), ...problems(400, 401) },
        responseDescriptions: { 200: 'A page of webhook subscriptions' },
      },
    },
    async (request) => {
      const page = await webhooks.list(request.auth.projectId, request.query.limit, decodeCursor(request.query.cursor, 'wh'));
      return pageWire(page, webhookWire);
    },
  );

  app.get(
    '/webhooks/:id',
    {
      schema: {
        operationId: 'getWebhook',
        tags: ['webhooks'],
        summary: 'Get a webhook subscription',
        description: 'Its URL, event types and whether it is enabled (and why not). The secret is shown only on create and rotation.',
        params: WebhookParamsSchema,
        response: { 200: WebhookSchema, ...problems(401, 404) },
        responseDescriptions: { 200: 'The webhook subscription (without its secret)' },
      },
    },
    async (request) => webhookWire(await webhooks.get(request.auth.projectId, request.params.id)),
  );

  app.patch(
    '/webhooks/:id',
    {
      schema: {
        operationId: 'updateWebhook',
        tags: ['webhooks'],
        summary: 'Change the URL, the event types or the description; enable or disable',
        description: '`enabled: true` re-enables an endpoint the service disabled (after 410 Gone, or failing for 5 days).',
        params: WebhookParamsSchema,
        body: UpdateWebhookBodySchema,
        response: { 200: WebhookSchema, ...problems(400, 401, 404, 415, 422) },
        responseDescriptions: { 200: 'The changed subscription' },
      },
    },
    async (request) => {
      const { url, events, description, enabled } = request.body;
      return webhookWire(await webhooks.update(request.auth.projectId, request.params.id, { url, eventTypes: events, description, enabled }));
    },
  );

  app.delete(
    '/webhooks/:id',
    {
      schema: {
        operationId: 'deleteWebhook',
        tags: ['webhooks'],
        summary: 'Delete a webhook subscription and its delivery log',
        description: 'No more deliveries are attempted to it.',
        params: WebhookParamsSchema,
        response: { 204: z.null().describe('Deleted'), ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      await webhooks.remove(request.auth.projectId, request.params.id);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/webhooks/:id/rotate-secret',
    {
      schema: {
        operationId: 'rotateWebhookSecret',
        tags: ['webhooks'],
        summary: 'Replace the signing secret',
        description: 'For 24 hours deliveries are signed with both the new and the previous secret.',
        params: WebhookParamsSchema,
        body: EmptyBodySchema,
        response: { 200: WebhookWithSecretSchema, ...problems(400, 401, 404) },
        responseDescriptions: { 200: 'The subscription with its new secret' },
      },
    },
    async (request) => webhookWithSecretWire(await webhooks.rotateSecret(request.auth.projectId, request.params.id)),
  );

  app.post(
    '/webhooks/:id/test',
    {
      schema: {
        operationId: 'testWebhook',
        tags: ['webhooks'],
        summary: 'Send a webhook.test event to this endpoint',
        description: `Queues a \`webhook.test\` event for this endpoint only (409 \`WEBHOOK_DISABLED\` when it is disabled). ${SIGNING}`,
        params: WebhookParamsSchema,
        body: EmptyBodySchema,
        response: { 202: TestEventSchema, ...problems(400, 401, 404, 409) },
        responseDescriptions: { 202: 'Queued: the event and its delivery' },
      },
    },
    async (request, reply) => {
      const test = await webhooks.sendTest(request.auth.projectId, request.params.id);
      void reply.code(202);
      return { event_id: test.eventId, delivery_id: test.deliveryId };
    },
  );

  app.get(
    '/webhooks/:id/deliveries',
    {
      schema: {
        operationId: 'listWebhookDeliveries',
        tags: ['webhooks'],
        summary: 'Deliveries to this endpoint with every attempt, newest first',
        description: 'Each delivery with its status, the next attempt due and the log of attempts; filter by `status`.',
        params: WebhookParamsSchema,
        querystring: ListDeliveriesQuerySchema,
        response: { 200: pageOf(DeliverySchema), ...problems(400, 401, 404) },
        responseDescriptions: { 200: 'A page of deliveries' },
      },
    },
    async (request) => {
      const { limit, cursor, status } = request.query;
      const page = await webhooks.listDeliveries(request.auth.projectId, request.params.id, { limit, status, beforeId: decodeCursor(cursor, 'dlv') });
      return pageWire(page, deliveryWire);
    },
  );

  app.post(
    '/webhooks/:id/deliveries/:delivery_id/retry',
    {
      schema: {
        operationId: 'retryWebhookDelivery',
        tags: ['webhooks'],
        summary: 'Attempt a delivery again now',
        description: 'Also for a delivery that failed for good or already succeeded (a redelivery, with the same webhook-id).',
        params: DeliveryParamsSchema,
        body: EmptyBodySchema,
        response: { 202: DeliverySchema, ...problems(400, 401, 404, 409) },
        responseDescriptions: { 202: 'Queued for an attempt now' },
      },
    },
    async (request, reply) => {
      const delivery = await webhooks.retryDelivery(request.auth.projectId, request.params.id, request.params.delivery_id);
      void reply.code(202);
      return deliveryWire(delivery);
    },
  );
};
