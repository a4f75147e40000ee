// The whole dependency graph on one screen: database → repositories → services.
import type { Config } from './config.js';
import { systemClock, type Clock } from './lib/clock.js';
import type { Database } from './lib/db.js';
import { pendingMigrations, type Migration } from './lib/migrate.js';
import { createAgentsRepository } from './modules/agents/agents.repository.js';
import { createAgentsService } from './modules/agents/agents.service.js';
import { createCheckpointsRepository } from './modules/checkpoints/checkpoints.repository.js';
import { createCheckpointsService } from './modules/checkpoints/checkpoints.service.js';
import { createContextRepository } from './modules/context/context.repository.js';
import { createContextService } from './modules/context/context.service.js';
import { createExportService } from './modules/export/export.service.js';
import { createHandoffsRepository } from './modules/handoffs/handoffs.repository.js';
import { createHandoffsService } from './modules/handoffs/handoffs.service.js';
import { createProjectsRepository } from './modules/admin/projects.repository.js';
import { createProjectsService } from './modules/admin/projects.service.js';
import { createIdempotencyRepository } from './modules/idempotency/idempotency.repository.js';
import { createIdempotencyService } from './modules/idempotency/idempotency.service.js';
import { createHousekeeping } from './modules/maintenance/housekeeping.js';
import { createSummaryRepository } from './modules/summary/summary.repository.js';
import { createSummaryService } from './modules/summary/summary.service.js';
import { createModelCatalog } from './modules/models/models.js';
import { createModelsService } from './modules/models/models.service.js';
import { createPricesRepository } from './modules/models/prices.repository.js';
import { createOrchestrationsRepository } from './modules/orchestrations/orchestrations.repository.js';
import { createOrchestrationsService } from './modules/orchestrations/orchestrations.service.js';
import { createOtlpService } from './modules/otlp/otlp.service.js';
import { createLifecycleService } from './modules/lifecycle/lifecycle.service.js';
import { createLineageRepository } from './modules/lifecycle/lineage.repository.js';
import { createLineageService } from './modules/lifecycle/lineage.service.js';
import { createEventHub, EVENTS_CHANNEL } from './modules/events/event-hub.js';
import { createEventStreamRepository } from './modules/events/events.repository.js';
import { createEventsService } from './modules/events/events.service.js';
import { createReservationsRepository } from './modules/reservations/reservations.repository.js';
import { createReservationsService } from './modules/reservations/reservations.service.js';
import { createSessionsRepository } from './modules/sessions/sessions.repository.js';
import { createSessionsService } from './modules/sessions/sessions.service.js';
import { createUsageRepository } from './modules/usage/usage.repository.js';
import { createUsageService } from './modules/usage/usage.service.js';
import { createDeliveriesRepository } from './modules/webhooks/deliveries.repository.js';
import { createDeliveryQueueRepository, WAKE_CHANNEL } from './modules/webhooks/delivery-queue.repository.js';
import { createDispatcher, type DispatcherLogger } from './modules/webhooks/dispatcher.js';
import { createEndpointsRepository } from './modules/webhooks/endpoints.repository.js';
import { createOutboxRepository } from './modules/webhooks/outbox.repository.js';
import { createGuardedHttpAgent } from './modules/webhooks/url-guard.js';
import { createWebhooksService } from './modules/webhooks/webhooks.service.js';

export interface ContainerOptions {
  config: Config;
  db: Database;
  /** The migrations this build ships, for /readyz. */
  migrations: Migration[];
  clock?: Clock;
  /** Where background work (the webhook dispatcher) logs; silent by default. */
  logger?: DispatcherLogger;
}

const silentLogger: DispatcherLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

export function createContainer({ config, db, migrations, clock = systemClock, logger = silentLogger }: ContainerOptions) {
  const models = createModelCatalog(config.models, { allowUnknown: config.allowUnknownModels });
  const repositories = {
    projects: createProjectsRepository(db.prisma),
    sessions: createSessionsRepository(db.prisma, clock),
    usage: createUsageRepository(db.prisma, db.hotQuery, models),
    idempotency: createIdempotencyRepository(db.prisma),
    reservations: createReservationsRepository(db.prisma, db.hotQuery),
    checkpoints: createCheckpointsRepository(db.prisma, db.hotQuery),
    lineage: createLineageRepository(db.prisma),
    outbox: createOutboxRepository(db.prisma),
    eventStream: createEventStreamRepository(db.prisma),
    webhookEndpoints: createEndpointsRepository(db.prisma),
    webhookDeliveries: createDeliveriesRepository(db.prisma),
    webhookDeliveryQueue: createDeliveryQueueRepository(db.prisma),
    agents: createAgentsRepository(db.prisma),
    handoffs: createHandoffsRepository(db.prisma),
    context: createContextRepository(db.prisma),
    summary: createSummaryRepository(db.prisma),
    orchestrations: createOrchestrationsRepository(db.prisma),
    prices: createPricesRepository(db.prisma),
  };
  const idempotency = createIdempotencyService({ idempotency: repositories.idempotency, clock, ttlHours: config.idempotencyTtlHours });
  const checkpoints = createCheckpointsService({
    checkpoints: repositories.checkpoints,
    sessions: repositories.sessions,
    clock,
    maxSnapshotBytes: config.checkpointMaxBytes,
  });
  const lifecycle = createLifecycleService({
    sessions: repositories.sessions,
    checkpoints: repositories.checkpoints,
    takeCheckpoint: checkpoints.take,
    holds: repositories.reservations,
    clock,
    maxContextBytes: config.checkpointMaxBytes,
  });
  const sessions = createSessionsService({
    sessions: repositories.sessions,
    models,
    projectModels: async (projectId) => (await repositories.prices.latest(projectId)).map((price) => price.model),
    clock,
    maxContextBytes: config.checkpointMaxBytes,
  });
  const usage = createUsageService({
    usage: repositories.usage,
    sessions: repositories.sessions,
    idempotency,
    clock,
  });
  // The process's live event streams: one LISTEN connection for all of them.
  const eventHub = createEventHub({
    events: repositories.eventStream,
    lineage: repositories.lineage,
    listen: (onNotify) => db.listen(EVENTS_CHANNEL, onNotify),
    heartbeatMs: config.eventStreamHeartbeatMs,
    maxStreamsPerKey: config.eventStreamsPerKey,
    logger,
  });
  const services = {
    models: createModelsService({ catalog: models, prices: repositories.prices, clock }),
    idempotency,
    checkpoints,
    events: createEventsService({
      events: repositories.eventStream,
      sessions: repositories.sessions,
      hub: eventHub,
      clock,
      eventRetentionDays: config.eventRetentionDays,
    }),
    lifecycle,
    agents: createAgentsService({ agents: repositories.agents, clock }),
    handoffs: createHandoffsService({
      handoffs: repositories.handoffs,
      agents: repositories.agents,
      sessions: repositories.sessions,
      checkpoints: repositories.checkpoints,
      clock,
    }),
    orchestrations: createOrchestrationsService({
      orchestrations: repositories.orchestrations,
      sessions: repositories.sessions,
      forkWithin: lifecycle.forkWithin,
      models,
      clock,
    }),
    context: createContextService({ context: repositories.context, sessions: repositories.sessions, clock }),
    summary: createSummaryService({ summary: repositories.summary, clock }),
    lineage: createLineageService({ sessions: repositories.sessions, lineage: repositories.lineage }),
    exports: createExportService({
      sessions: repositories.sessions,
      checkpoints: repositories.checkpoints,
      usage: repositories.usage,
      events: repositories.outbox,
      handoffs: repositories.handoffs,
      clock,
    }),
    webhooks: createWebhooksService({
      endpoints: repositories.webhookEndpoints,
      deliveries: repositories.webhookDeliveries,
      clock,
      allowPrivateNetworks: config.webhookAllowPrivateNetworks,
    }),
    projects: createProjectsService({ projects: repositories.projects, clock, authCacheTtlMs: config.authCacheTtlMs }),
    sessions,
    usage,
    reservations: createReservationsService({ reservations: repositories.reservations, sessions: repositories.sessions, usage, clock }),
    otlp: createOtlpService({ usage, sessions, createSessions: config.otlpCreateSessions }),
  };
  const housekeeping = createHousekeeping({
    idempotency: repositories.idempotency,
    usage: repositories.usage,
    checkpoints: repositories.checkpoints,
    events: repositories.outbox,
    reservations: repositories.reservations,
    clock,
    idempotencyTtlHours: config.idempotencyTtlHours,
    usageRetentionDays: config.usageRetentionDays,
    checkpointRetentionDays: config.checkpointRetentionDays,
    eventRetentionDays: config.eventRetentionDays,
  });
  const webhookDispatcher = createDispatcher({
    deliveries: repositories.webhookDeliveryQueue,
    clock,
    http: createGuardedHttpAgent({ allowPrivateNetworks: config.webhookAllowPrivateNetworks, timeoutMs: config.webhookTimeoutMs }),
    retryDelaysSeconds: config.webhookRetryDelaysSeconds,
    timeoutMs: config.webhookTimeoutMs,
    logger,
    subscribe: (onWake) => db.listen(WAKE_CHANNEL, onWake),
  });
  return {
    db,
    clock,
    models,
    repositories,
    services,
    housekeeping,
    webhookDispatcher,
    eventHub,
    readiness: { pendingMigrations: () => pendingMigrations(db, migrations) },
  };
}

export type Container = ReturnType<typeof createContainer>;
