// The resource methods of the client, grouped as the API is (sessions, checkpoints, webhooks…),
// and which method calls which operation of openapi.yaml.
import type { EventStreamConfig } from '../events.js';
import type { TypedPaths } from '../http.js';
import type { OperationId } from '../operations.js';
import {
  createAgentsResource,
  createHandoffsResource,
  createOrchestrationsResource,
  type AgentsResource,
  type HandoffsResource,
  type OrchestrationsResource,
} from './agents.js';
import { createEventsResource, type EventsResource } from './events.js';
import {
  createAdminResource,
  createContextResource,
  createHealthResource,
  createProblemsResource,
  createMetricsResource,
  createModelsResource,
  type AdminResource,
  type ContextResource,
  type HealthResource,
  type ProblemsResource,
  type MetricsResource,
  type ModelsResource,
} from './project.js';
import { createReservationsResource, type ReservationsResource } from './reservations.js';
import { createCheckpointsResource, createSessionsResource, type CheckpointsResource, type SessionsResource } from './sessions.js';
import { createWebhooksResource, type WebhooksResource } from './webhooks.js';

export type * from './agents.js';
export type * from './events.js';
export type * from './project.js';
export type * from './reservations.js';
export type * from './sessions.js';
export type * from './webhooks.js';

export interface Resources {
  sessions: SessionsResource;
  reservations: ReservationsResource;
  checkpoints: CheckpointsResource;
  handoffs: HandoffsResource;
  agents: AgentsResource;
  orchestrations: OrchestrationsResource;
  webhooks: WebhooksResource;
  events: EventsResource;
  models: ModelsResource;
  context: ContextResource;
  metrics: MetricsResource;
  admin: AdminResource;
  health: HealthResource;
  problems: ProblemsResource;
}

/** The resources over `api`; the event stream opens its own connections with `connection`. */
export function createResources(api: TypedPaths, connection: EventStreamConfig): Resources {
  return {
    sessions: createSessionsResource(api),
    reservations: createReservationsResource(api),
    checkpoints: createCheckpointsResource(api),
    handoffs: createHandoffsResource(api),
    agents: createAgentsResource(api),
    orchestrations: createOrchestrationsResource(api),
    webhooks: createWebhooksResource(api),
    events: createEventsResource(connection),
    models: createModelsResource(api),
    context: createContextResource(api),
    metrics: createMetricsResource(api),
    admin: createAdminResource(api),
    health: createHealthResource(api),
    problems: createProblemsResource(api),
  };
}

/** `'sessions.usage.create'` and every other method of the resources, as a dotted path. */
type MethodPath<T, Prefix extends string = ''> = {
  [K in keyof T & string]: T[K] extends (...args: never[]) => unknown ? `${Prefix}${K}` : MethodPath<T[K], `${Prefix}${K}.`>;
}[keyof T & string];

/**
 * The resource method of every operation of openapi.yaml. Its type names every operationId of the
 * generated types, so an operation added to the contract without a method fails to compile here;
 * test/clients/client-resources.test.ts calls each one and checks the request it sends. Methods
 * take the path parameters in path order, then the body or the query, then RequestOptions.
 */
export const RESOURCE_METHODS = {
  getHealth: 'health.live',
  getReadiness: 'health.ready',
  getProblemType: 'problems.get',
  createSession: 'sessions.create',
  listSessions: 'sessions.list',
  getSession: 'sessions.get',
  updateSession: 'sessions.update',
  recordUsage: 'sessions.usage.create',
  listUsage: 'sessions.usage.list',
  getBudget: 'sessions.budget',
  createReservation: 'reservations.create',
  listReservations: 'reservations.list',
  getReservation: 'reservations.get',
  commitReservation: 'reservations.commit',
  releaseReservation: 'reservations.release',
  resumeSession: 'sessions.resume',
  archiveSession: 'sessions.archive',
  forkSession: 'sessions.fork',
  mergeFork: 'sessions.merge',
  recoverSession: 'sessions.emergencyRecovery',
  getLineage: 'sessions.lineage',
  exportSession: 'sessions.export',
  createCheckpoint: 'checkpoints.create',
  createCheckpointBatch: 'checkpoints.createBatch',
  listCheckpoints: 'checkpoints.list',
  getCheckpoint: 'checkpoints.get',
  restoreCheckpoint: 'checkpoints.restore',
  createWebhook: 'webhooks.create',
  listWebhooks: 'webhooks.list',
  getWebhook: 'webhooks.get',
  updateWebhook: 'webhooks.update',
  deleteWebhook: 'webhooks.delete',
  rotateWebhookSecret: 'webhooks.rotateSecret',
  testWebhook: 'webhooks.test',
  listWebhookDeliveries: 'webhooks.deliveries.list',
  retryWebhookDelivery: 'webhooks.deliveries.retry',
  streamEvents: 'events.stream',
  listModels: 'models.list',
  setModelPrices: 'models.setPrices',
  putAgent: 'agents.put',
  getAgent: 'agents.get',
  deleteAgent: 'agents.delete',
  listAgents: 'agents.list',
  createHandoff: 'handoffs.create',
  listHandoffs: 'handoffs.list',
  getHandoff: 'handoffs.get',
  acceptHandoff: 'handoffs.accept',
  rejectHandoff: 'handoffs.reject',
  analyzeMcpServers: 'context.analyzeMcpServers',
  listMcpServers: 'context.mcpServers.list',
  putMcpServer: 'context.mcpServers.put',
  deleteMcpServer: 'context.mcpServers.delete',
  getMetricsSummary: 'metrics.summary',
  createOrchestration: 'orchestrations.create',
  listOrchestrations: 'orchestrations.list',
  getOrchestration: 'orchestrations.get',
  completeSpec: 'orchestrations.specs.complete',
  failSpec: 'orchestrations.specs.fail',
  exploreSpec: 'orchestrations.specs.explore',
  createProject: 'admin.projects.create',
  createApiKey: 'admin.projects.createApiKey',
  revokeApiKey: 'admin.apiKeys.revoke',
} as const satisfies Record<OperationId, MethodPath<Resources>>;
