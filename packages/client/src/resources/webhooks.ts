// client.webhooks: endpoints, their deliveries, secret rotation and test events.
import type { TypedPaths } from '../http.js';
import type { components } from '../openapi-types.js';
import { requestInit, type QueryOf, type RequestBody, type RequestOptions } from '../operations.js';
import { pagedList, type PagedList } from '../pagination.js';

type Schemas = components['schemas'];

export interface WebhookDeliveriesResource {
  /** GET /v1/webhooks/{id}/deliveries: each delivery with every attempt, newest first. */
  list(webhookId: string, query?: QueryOf<'listWebhookDeliveries'>, options?: RequestOptions): PagedList<Schemas['WebhookDelivery']>;
  /** POST /v1/webhooks/{id}/deliveries/{delivery_id}/retry: makes a delivery due again now. */
  retry(webhookId: string, deliveryId: string, options?: RequestOptions): Promise<Schemas['WebhookDelivery']>;
}

export interface WebhooksResource {
  /** POST /v1/webhooks: the answer carries the signing `secret`, shown this once. */
  create(body: RequestBody<'createWebhook'>, options?: RequestOptions): Promise<Schemas['WebhookWithSecret']>;
  /** GET /v1/webhooks */
  list(query?: QueryOf<'listWebhooks'>, options?: RequestOptions): PagedList<Schemas['Webhook']>;
  /** GET /v1/webhooks/{id} */
  get(webhookId: string, options?: RequestOptions): Promise<Schemas['Webhook']>;
  /** PATCH /v1/webhooks/{id} */
  update(webhookId: string, body: RequestBody<'updateWebhook'>, options?: RequestOptions): Promise<Schemas['Webhook']>;
  /** DELETE /v1/webhooks/{id} */
  delete(webhookId: string, options?: RequestOptions): Promise<void>;
  /** POST /v1/webhooks/{id}/rotate-secret: a new secret; the old one keeps signing for 24 hours. Never retried after a network error. */
  rotateSecret(webhookId: string, options?: RequestOptions): Promise<Schemas['WebhookWithSecret']>;
  /** POST /v1/webhooks/{id}/test: sends a `webhook.test` event to the endpoint. */
  test(webhookId: string, options?: RequestOptions): Promise<Schemas['WebhookTestEvent']>;
  deliveries: WebhookDeliveriesResource;
}

export function createWebhooksResource(api: TypedPaths): WebhooksResource {
  const path = (id: string) => ({ path: { id } });
  return {
    create: async (body, options) => (await api.POST('/v1/webhooks', { body, ...requestInit(options) })).data,
    list: (query = {}, options) =>
      pagedList(query, async (q) => (await api.GET('/v1/webhooks', { params: { query: q }, ...requestInit(options) })).data),
    get: async (id, options) => (await api.GET('/v1/webhooks/{id}', { params: path(id), ...requestInit(options) })).data,
    update: async (id, body, options) => (await api.PATCH('/v1/webhooks/{id}', { params: path(id), body, ...requestInit(options) })).data,
    async delete(id, options) {
      await api.DELETE('/v1/webhooks/{id}', { params: path(id), ...requestInit(options) });
    },
    rotateSecret: async (id, options) =>
      (await api.POST('/v1/webhooks/{id}/rotate-secret', { params: path(id), body: {}, ...requestInit(options) })).data,
    test: async (id, options) => (await api.POST('/v1/webhooks/{id}/test', { params: path(id), body: {}, ...requestInit(options) })).data,
    deliveries: {
      list: (id, query = {}, options) =>
        pagedList(
          query,
          async (q) => (await api.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id }, query: q }, ...requestInit(options) })).data,
        ),
      retry: async (id, deliveryId, options) =>
        (
          await api.POST('/v1/webhooks/{id}/deliveries/{delivery_id}/retry', {
            params: { path: { id, delivery_id: deliveryId } },
            body: {},
            ...requestInit(options),
          })
        ).data,
    },
  };
}
