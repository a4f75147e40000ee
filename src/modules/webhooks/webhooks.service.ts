import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { takePage } from '../../lib/wire.js';
import type { DeliveriesRepository, DeliveryStatus } from './deliveries.repository.js';
import type { EndpointsRepository, WebhookEndpoint } from './endpoints.repository.js';
import { newWebhookSecret } from './signing.js';
import { checkWebhookUrl } from './url-guard.js';

/** After a rotation, deliveries carry the previous secret's signature too for this long. */
export const SECRET_ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;

export interface NewWebhook {
  url: string;
  eventTypes: string[];
  description?: string;
}

export interface WebhookPatch {
  url?: string;
  eventTypes?: string[];
  description?: string | null;
  enabled?: boolean;
}

export interface WebhooksServiceDeps {
  endpoints: EndpointsRepository;
  deliveries: Pick<DeliveriesRepository, 'list' | 'find' | 'retryNow' | 'insertTest'>;
  clock: Clock;
  allowPrivateNetworks: boolean;
}

export function createWebhooksService({ endpoints, deliveries, clock, allowPrivateNetworks }: WebhooksServiceDeps) {
  /**
   * Literal addresses are judged now; names are judged at every connection (see url-guard.ts),
   * so a name that later resolves somewhere private still never receives a delivery.
   */
  async function assertAcceptableUrl(url: string): Promise<void> {
    const check = await checkWebhookUrl(url, { allowPrivateNetworks, resolve: null });
    if (!check.ok) {
      throw new AppError('WEBHOOK_URL_REFUSED', {
        detail: `the webhook URL ${check.reason}; set WEBHOOK_ALLOW_PRIVATE_NETWORKS=true to allow private destinations`,
        errors: [{ path: 'body.url', message: check.reason }],
      });
    }
  }

  async function get(projectId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = await endpoints.find(projectId, id);
    if (!endpoint) throw notFound('webhook', id);
    return endpoint;
  }

  return {
    get,

    async create(projectId: string, input: NewWebhook): Promise<WebhookEndpoint> {
      await assertAcceptableUrl(input.url);
      const now = clock.now();
      return endpoints.insert({
        id: newId('wh'),
        projectId,
        url: input.url,
        eventTypes: input.eventTypes,
        description: input.description ?? null,
        secret: newWebhookSecret(),
        previousSecret: null,
        previousSecretExpiresAt: null,
        enabled: true,
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        createdAt: now,
        updatedAt: now,
      });
    },

    async list(projectId: string, limit: number, beforeId?: string) {
      return takePage(await endpoints.list(projectId, limit + 1, beforeId), limit);
    },

    /** Re-enabling forgets why the service disabled it and the failure streak. */
    async update(projectId: string, id: string, patch: WebhookPatch): Promise<WebhookEndpoint> {
      const endpoint = await get(projectId, id);
      if (patch.url !== undefined) await assertAcceptableUrl(patch.url);
      const reenabled = patch.enabled === true && !endpoint.enabled;
      const disabled = patch.enabled === false && endpoint.enabled;
      return endpoints.update(endpoint.id, {
        url: patch.url,
        eventTypes: patch.eventTypes,
        description: patch.description,
        enabled: patch.enabled,
        ...(reenabled ? { disabledReason: null, disabledAt: null, failingSince: null } : {}),
        ...(disabled ? { disabledReason: 'disabled by the client', disabledAt: clock.now() } : {}),
        updatedAt: clock.now(),
      });
    },

    async remove(projectId: string, id: string): Promise<void> {
      if (!(await endpoints.delete(projectId, id))) throw notFound('webhook', id);
    },

    /** A new secret; the old one keeps signing alongside it for 24 hours. */
    async rotateSecret(projectId: string, id: string): Promise<WebhookEndpoint> {
      const endpoint = await get(projectId, id);
      const now = clock.now();
      return endpoints.update(endpoint.id, {
        secret: newWebhookSecret(),
        previousSecret: endpoint.secret,
        previousSecretExpiresAt: new Date(now.getTime() + SECRET_ROTATION_GRACE_MS),
        updatedAt: now,
      });
    },

    async sendTest(projectId: string, id: string): Promise<{ eventId: string; deliveryId: string }> {
      const endpoint = await get(projectId, id);
      if (!endpoint.enabled) {
        throw new AppError('WEBHOOK_DISABLED', { detail: `webhook ${id} is disabled (${endpoint.disabledReason}); enable it first` });
      }
      return deliveries.insertTest(endpoint, { webhook_id: endpoint.id, message: 'A test event from the Session State Service' }, clock.now());
    },

    async listDeliveries(projectId: string, id: string, options: { limit: number; beforeId?: string; status?: DeliveryStatus }) {
      await get(projectId, id);
      return takePage(await deliveries.list(projectId, id, { ...options, limit: options.limit + 1 }), options.limit);
    },

    /** Makes the delivery due now (again, for one that succeeded or failed for good). */
    async retryDelivery(projectId: string, id: string, deliveryId: string) {
      const endpoint = await get(projectId, id);
      if (!endpoint.enabled) {
        throw new AppError('WEBHOOK_DISABLED', { detail: `webhook ${id} is disabled (${endpoint.disabledReason}); enable it first` });
      }
      if (!(await deliveries.retryNow(projectId, id, deliveryId, clock.now()))) throw notFound('delivery', deliveryId);
      const delivery = await deliveries.find(projectId, id, deliveryId);
      if (!delivery) throw notFound('delivery', deliveryId);
      return delivery;
    },
  };
}

export type WebhooksService = ReturnType<typeof createWebhooksService>;
