import { newId } from '../../lib/ids.js';
import type { PrismaClient } from '../../lib/prisma.js';
import type { JsonObject } from '../../lib/wire.js';
import { notifyDispatchers, type AttemptRecord, type DeliveryStatus } from './delivery-queue.repository.js';

// The clients' side of webhook deliveries: listing and reading them, retrying one now, and the
// test delivery. What dispatchers claim and record is in delivery-queue.repository.ts.

export { DELIVERY_STATUSES, type DeliveryStatus } from './delivery-queue.repository.js';

export interface Delivery {
  id: string;
  projectId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Date | null;
  lastStatusCode: number | null;
  lastError: string | null;
  createdAt: Date;
  completedAt: Date | null;
  attemptLog: AttemptRecord[];
}

export function createDeliveriesRepository(prisma: PrismaClient) {
  /** Newest first, each with its attempt log; `beforeId` is the last id of the previous page. */
  async function listDeliveries(
    projectId: string,
    endpointId: string,
    options: { limit: number; beforeId?: string; status?: DeliveryStatus; id?: string },
  ): Promise<Delivery[]> {
    const rows = await prisma.webhookDelivery.findMany({
      where: {
        projectId,
        endpointId,
        status: options.status,
        ...(options.id !== undefined ? { id: options.id } : options.beforeId !== undefined ? { id: { lt: options.beforeId } } : {}),
      },
      orderBy: { id: 'desc' },
      take: options.limit,
      include: { attemptLog: { orderBy: { attemptNumber: 'asc' } } },
    });
    const types = new Map(
      (await prisma.event.findMany({ where: { id: { in: rows.map((row) => row.eventId) } }, select: { id: true, type: true } })).map((event) => [
        event.id,
        event.type,
      ]),
    );
    return rows.map((row) => ({
      id: row.id,
      projectId: row.projectId,
      endpointId: row.endpointId,
      eventId: row.eventId,
      eventType: types.get(row.eventId) ?? 'unknown',
      status: row.status as DeliveryStatus,
      attempts: row.attempts,
      nextAttemptAt: row.status === 'pending' ? row.nextAttemptAt : null,
      lastStatusCode: row.lastStatusCode,
      lastError: row.lastError,
      createdAt: row.createdAt,
      completedAt: row.completedAt,
      attemptLog: row.attemptLog.map((entry) => ({
        attemptNumber: entry.attemptNumber,
        startedAt: entry.startedAt,
        durationMs: entry.durationMs,
        statusCode: entry.statusCode,
        error: entry.error,
        responseSnippet: entry.responseSnippet,
      })),
    }));
  }

  return {
    find: async (projectId: string, endpointId: string, id: string): Promise<Delivery | null> =>
      (await listDeliveries(projectId, endpointId, { limit: 1, id }))[0] ?? null,

    list: listDeliveries,

    /** Makes a delivery due now, whatever its state; false when it does not exist. */
    async retryNow(projectId: string, endpointId: string, id: string, now: Date): Promise<boolean> {
      return prisma.$transaction(async (tx) => {
        const { count } = await tx.webhookDelivery.updateMany({
          where: { id, projectId, endpointId },
          data: { status: 'pending', nextAttemptAt: now, leaseToken: null, completedAt: null, updatedAt: now },
        });
        if (count > 0) await notifyDispatchers(tx);
        return count > 0;
      });
    },

    /** A `webhook.test` event and its delivery to one endpoint only, whatever its event filter. */
    async insertTest(endpoint: { id: string; projectId: string }, data: JsonObject, now: Date): Promise<{ eventId: string; deliveryId: string }> {
      const eventId = newId('evt');
      const deliveryId = newId('dlv');
      await prisma.$transaction([
        prisma.event.create({ data: { id: eventId, projectId: endpoint.projectId, type: 'webhook.test', data: data as object, createdAt: now } }),
        prisma.webhookDelivery.create({
          data: {
            id: deliveryId,
            projectId: endpoint.projectId,
            endpointId: endpoint.id,
            eventId,
            status: 'pending',
            nextAttemptAt: now,
            createdAt: now,
            updatedAt: now,
          },
        }),
      ]);
      return { eventId, deliveryId };
    },
  };
}

export type DeliveriesRepository = ReturnType<typeof createDeliveriesRepository>;
