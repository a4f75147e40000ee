import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Container } from './container.js';
import type { DestinationStream } from 'pino';
import { loggerOptions, REQUEST_ID_HEADER, requestIdOf } from './lib/logger.js';
import { API_KEYS_CHANNEL } from './modules/admin/projects.repository.js';
import { adminRoutes } from './modules/admin/admin.routes.js';
import { agentsRoutes } from './modules/agents/agents.routes.js';
import { checkpointsRoutes } from './modules/checkpoints/checkpoints.routes.js';
import { contextRoutes } from './modules/context/context.routes.js';
import { eventsRoutes } from './modules/events/events.routes.js';
import { exportRoutes } from './modules/export/export.routes.js';
import { handoffsRoutes } from './modules/handoffs/handoffs.routes.js';
import { summaryRoutes } from './modules/summary/summary.routes.js';
import { modelsRoutes } from './modules/models/models.routes.js';
import { orchestrationsRoutes } from './modules/orchestrations/orchestrations.routes.js';
import { otlpRoutes } from './modules/otlp/otlp.routes.js';
import { lifecycleRoutes } from './modules/lifecycle/lifecycle.routes.js';
import { reservationsRoutes } from './modules/reservations/reservations.routes.js';
import { sessionsRoutes } from './modules/sessions/sessions.routes.js';
import { usageRoutes } from './modules/usage/usage.routes.js';
import { webhooksRoutes } from './modules/webhooks/webhooks.routes.js';
import { forgetRevokedKeys, requireApiKey, requireStaticToken } from './plugins/auth.js';
import { bodyLimits } from './plugins/body-limits.js';
import { jsonBodies } from './plugins/json-bodies.js';
import { prometheusPlugin } from './plugins/prometheus.js';
import { failedAuthLimiter, limitPerApiKey } from './plugins/rate-limit.js';
import { answerClientError, errorHandlerPlugin, sendProblem, toAppError } from './plugins/error-handler.js';
import { healthRoutes } from './plugins/health.js';
import { mcpPlugin } from './plugins/mcp.js';
import { problemPagesRoutes } from './plugins/problem-pages.js';
import { idempotencyHooks } from './plugins/idempotency.js';
import { otlpErrors } from './plugins/otlp-errors.js';
import { swaggerPlugin } from './plugins/swagger.js';

export interface BuildAppOptions {
  config: Config;
  container: Container;
  /** Overrides for the logger, e.g. a stream that tests read. */
  logger?: FastifyServerOptions['logger'];
  /** Where the request logger writes, with the service's own settings (redaction); default stdout. */
  logStream?: DestinationStream;
  /** Node.js process metrics on /metrics (the server turns them on; tests build many apps). */
  processMetrics?: boolean;
}

const MAX_PATH_PARAM_LENGTH = 256 * 12;

export async function buildApp({ config, container, logger, logStream, processMetrics = false }: BuildAppOptions) {
  const app = Fastify({
    logger: logger ?? { ...loggerOptions(config), ...(logStream ? { stream: logStream } : {}) },
    bodyLimit: config.bodyLimitBytes,
    // The client's X-Request-ID when well-formed (bounded length and charset), else a new UUID.
    requestIdHeader: false,
    genReqId: requestIdOf,
    trustProxy: trustProxyOption(config.trustProxy),
    requestTimeout: config.requestTimeoutMs,
    http: requestTimeouts(config.requestTimeoutMs),
    clientErrorHandler: answerClientError,
    connectionTimeout: config.connectionTimeoutMs,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    // Path parameters carry client-supplied names of up to 256 characters (agent names); percent-
    // encoded, each character takes up to 12 (4 UTF-8 bytes as %XX). The schemas check the length.
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // A URL the router cannot decode, or a parameter past maxParamLength, is a problem document too.
    frameworkErrors: (error, request, reply) => sendProblem(reply.header(REQUEST_ID_HEADER, request.id), request, toAppError(error)),
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON bodies only, UTF-8 and uncompressed, with nothing PostgreSQL or RFC 8785 cannot store.
  jsonBodies(app);

  // A POST without a body is a POST of `{}`: the schema then names the fields that are missing.
  // A JSON `null` is a body, and not an object: the schema refuses it.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'POST' && request.body === undefined) request.body = {};
  });

  // Every answer carries its request id, problem documents included (those of URLs the router
  // refuses, which run no onRequest hook, too), to match it with the logs.
  app.addHook('onSend', (request, reply, payload, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    done(null, payload);
  });
  bodyLimits(app, { checkpointMaxBytes: config.checkpointMaxBytes });

  const { services } = container;
  await app.register(errorHandlerPlugin);
  await app.register(prometheusPlugin, {
    db: container.db,
    deliveries: container.repositories.webhookDeliveryQueue,
    dispatcher: container.webhookDispatcher,
    clock: container.clock,
    token: config.metricsToken,
    processMetrics,
  });
  await forgetRevokedKeys(app, {
    listen: (onNotify) => container.db.listen(API_KEYS_CHANNEL, onNotify),
    forgetVerifiedKeys: services.projects.forgetVerifiedKeys,
    authCacheTtlMs: config.authCacheTtlMs,
  });
  // Open event streams would hold app.close() (and so shutdown) until their clients left: end them
  // first; EventSource clients reconnect, to another replica, with Last-Event-ID.
  app.addHook('preClose', async () => container.eventHub.endAll());
  app.addHook('onClose', async () => container.eventHub.stop());
  await app.register(swaggerPlugin);
  await app.register(healthRoutes, { readiness: container.readiness });
  await app.register(problemPagesRoutes);
  // One count of failed authentications per client address, for every route that takes API keys.
  const failedAuth = await failedAuthLimiter(app, { max: config.rateLimitUnauthenticatedMax, windowMs: config.rateLimitWindowMs });

  await app.register(
    async (v1) => {
      requireApiKey(v1, services.projects, failedAuth);
      await limitPerApiKey(v1, { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs });
      idempotencyHooks(v1, { idempotency: services.idempotency });
      await v1.register(sessionsRoutes, { sessions: services.sessions });
      await v1.register(usageRoutes, { usage: services.usage });
      await v1.register(reservationsRoutes, { reservations: services.reservations });
      await v1.register(checkpointsRoutes, { checkpoints: services.checkpoints });
      await v1.register(lifecycleRoutes, { lifecycle: services.lifecycle, lineage: services.lineage });
      await v1.register(exportRoutes, { exports: services.exports });
      await v1.register(webhooksRoutes, { webhooks: services.webhooks });
      await v1.register(modelsRoutes, { models: container.services.models });
      await v1.register(agentsRoutes, { agents: services.agents });
      await v1.register(handoffsRoutes, { handoffs: services.handoffs });
      await v1.register(contextRoutes, { context: services.context });
      await v1.register(summaryRoutes, { summary: services.summary });
      await v1.register(orchestrationsRoutes, { orchestrations: services.orchestrations });
      await v1.register(eventsRoutes, { events: services.events });
    },
    { prefix: '/v1' },
  );

  // OTLP/HTTP ingestion, outside /v1: exporters append /v1/traces and /v1/logs to OTEL_EXPORTER_OTLP_ENDPOINT.
  await app.register(
    async (otlp) => {
      otlpErrors(otlp);
      requireApiKey(otlp, services.projects, failedAuth);
      await limitPerApiKey(otlp, { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs });
      await otlp.register(otlpRoutes, { otlp: services.otlp, bodyLimitBytes: config.otlpBodyLimitBytes });
    },
    { prefix: '/otlp' },
  );

  await app.register(mcpPlugin, {
    services,
    keys: services.projects,
    failedAuth,
    rateLimit: { max: config.rateLimitMax, windowMs: config.rateLimitWindowMs },
    bodyLimitBytes: Math.max(config.bodyLimitBytes, config.checkpointMaxBytes + 65_536),
  });

  if (config.adminToken) {
    const adminToken = config.adminToken;
    await app.register(
      async (admin) => {
        admin.addHook('onRequest', requireStaticToken(adminToken, 'ADMIN_TOKEN'));
        await admin.register(adminRoutes, { projects: services.projects });
      },
      { prefix: '/v1/admin' },
    );
  }

  return app;
}

/**
 * REQUEST_TIMEOUT_MS bounds the whole request, headers and body (a body sent a byte a second
 * included). Node checks it every connectionsCheckingInterval (30 s by default: a 1 s limit then
 * fired after up to 31 s) and cuts headers at headersTimeout (60 s by default, whatever
 * requestTimeout is): check often enough for the limit to hold within a quarter of it (at most
 * every second), and give the headers the same limit.
 */
function requestTimeouts(requestTimeoutMs: number) {
  if (requestTimeoutMs === 0) return { requestTimeout: 0, headersTimeout: 0 };
  const connectionsCheckingInterval = Math.min(1000, Math.max(10, Math.floor(requestTimeoutMs / 4)));
  return { requestTimeout: requestTimeoutMs, headersTimeout: requestTimeoutMs, connectionsCheckingInterval };
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count trusts that many proxies nearest the server, whoever
 * they are (as Express does; Fastify alone refuses bare numbers): safe only when clients cannot
 * reach the service but through those proxies. Prefer addresses or CIDR ranges.
 */
function trustProxyOption(trustProxy: Config['trustProxy']): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trustProxy === 'number' ? (_address, hop) => hop < trustProxy : trustProxy;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
