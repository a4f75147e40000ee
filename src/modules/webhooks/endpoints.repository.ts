import type { WebhookEndpoint as EndpointRow } from '../../generated/prisma/client.js';
import type { PrismaClient, Tx } from '../../lib/prisma.js';

export interface WebhookEndpoint {
  id: string;
  projectId: string;
  url: string;
  /** Event types, or `*` for all. */
  eventTypes: string[];
  description: string | null;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  enabled: boolean;
  disabledReason: string | null;
  disabledAt: Date | null;
  failingSince: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const toEndpoint = (row: EndpointRow): WebhookEndpoint => ({ ...row });

export type EndpointChanges = Partial<
  Pick<
    WebhookEndpoint,
    | 'url'
    | 'eventTypes'
    | 'description'
    | 'secret'
    | 'previousSecret'
    | 'previousSecretExpiresAt'
    | 'enabled'
    | 'disabledReason'
    | 'disabledAt'
    | 'failingSince'
  >
> & { updatedAt: Date };

export function createEndpointsRepository(prisma: PrismaClient) {
  return {
    async insert(endpoint: WebhookEndpoint): Promise<WebhookEndpoint> {
      return toEndpoint(await prisma.webhookEndpoint.create({ data: endpoint }));
    },

    async find(projectId: string, id: string, db: Tx | PrismaClient = prisma): Promise<WebhookEndpoint | null> {
      const row = await db.webhookEndpoint.findFirst({ where: { id, projectId } });
      return row ? toEndpoint(row) : null;
    },

    /** Newest first; `beforeId` is the last id of the previous page. */
    async list(projectId: string, limit: number, beforeId?: string): Promise<WebhookEndpoint[]> {
      const rows = await prisma.webhookEndpoint.findMany({
        where: { projectId, ...(beforeId !== undefined ? { id: { lt: beforeId } } : {}) },
        orderBy: { id: 'desc' },
        take: limit,
      });
      return rows.map(toEndpoint);
    },

    async update(id: string, changes: EndpointChanges, db: Tx | PrismaClient = prisma): Promise<WebhookEndpoint> {
      return toEndpoint(await db.webhookEndpoint.update({ where: { id }, data: changes }));
    },

    /** Deletes the endpoint with its deliveries and their attempts; false when it did not exist. */
    async delete(projectId: string, id: string): Promise<boolean> {
      const { count } = await prisma.webhookEndpoint.deleteMany({ where: { id, projectId } });
      return count > 0;
    },
  };
}

export type EndpointsRepository = ReturnType<typeof createEndpointsRepository>;
