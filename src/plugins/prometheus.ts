// Prometheus metrics at GET /metrics, on a registry of this app's own (tests build many apps).
// Per request: one histogram observation in onResponse, nothing else; no database work. The gauges
// of the outbox and the pool are read when Prometheus scrapes, with one cheap query.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Clock } from '../lib/clock.js';
import type { Database } from '../lib/db.js';
import type { CountedUsage } from '../modules/otlp/otlp.routes.js';
import type { DeliveryQueueRepository } from '../modules/webhooks/delivery-queue.repository.js';
import type { WebhookDispatcher } from '../modules/webhooks/dispatcher.js';
import { requireStaticToken } from './auth.js';

export interface PrometheusOptions {
  db: Pick<Database, 'poolStats'>;
  deliveries: Pick<DeliveryQueueRepository, 'backlog'>;
  dispatcher: Pick<WebhookDispatcher, 'observe'>;
  clock: Clock;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Node.js process metrics (CPU, memory, event loop lag, GC); off in tests that build many apps. */
  processMetrics?: boolean;
}

/** The operationId of the usage hot path, whose results feed the usage and threshold counters. */
const RECORD_USAGE_OPERATION = 'recordUsage';
/** The route label of requests no route matched (404s): never the raw URL, which is unbounded. */
const UNMATCHED_ROUTE = 'unmatched';
const DURATION_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

interface UsageResultPayload {
  crossed?: unknown;
}

export const prometheusPlugin = fp<PrometheusOptions>(async (app: FastifyInstance, options) => {
  const registry = new Registry();
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'sss_' });

  const httpDuration = new Histogram({
    name: 'sss_http_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const usageUpdates = new Counter({
    name: 'sss_usage_updates_total',
    help: 'Usage updates counted (idempotent replays excluded)',
    registers: [registry],
  });
  const thresholdCrossings = new Counter({
    name: 'sss_threshold_crossings_total',
    help: 'session.threshold_crossed events emitted by usage updates, by threshold percent',
    labelNames: ['threshold'] as const,
    registers: [registry],
  });
  const webhookAttempts = new Counter({
    name: 'sss_webhook_delivery_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), rejected (other status), unreachable (no response)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  const webhookAttemptDuration = new Histogram({
    name: 'sss_webhook_delivery_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts',
    buckets: DURATION_BUCKETS_SECONDS,
    registers: [registry],
  });
  const outboxPending = new Gauge({
    name: 'sss_webhook_outbox_pending_deliveries',
    help: 'Webhook deliveries not yet delivered or given up (due now or waiting for a retry)',
    registers: [registry],
  });
  const outboxDue = new Gauge({
    name: 'sss_webhook_outbox_due_deliveries',
    help: 'Pending webhook deliveries that are due now (a growing number means the dispatchers lag)',
    registers: [registry],
  });
  const outboxOldestAge = new Gauge({
    name: 'sss_webhook_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest pending webhook delivery (0 when none is pending)',
    registers: [registry],
  });
  const pool = options.db.poolStats
    ? new Gauge({
        name: 'sss_db_pool_connections',
        help: 'PostgreSQL pool: connections open (total), idle, and queries waiting for a connection',
        labelNames: ['state'] as const,
        registers: [registry],
      })
    : null;

  for (const outcome of ['delivered', 'rejected', 'unreachable'] as const) webhookAttempts.inc({ outcome }, 0);
  const stopObserving = options.dispatcher.observe((attempt) => {
    webhookAttempts.inc({ outcome: attempt.outcome });
    webhookAttemptDuration.observe(attempt.durationMs / 1000);
  });
  app.addHook('onClose', async () => stopObserving());

  const countUsage = (crossed: readonly unknown[]) => {
    usageUpdates.inc();
    for (const threshold of crossed) thresholdCrossings.inc({ threshold: String(threshold) });
  };

  app.addHook('onResponse', (request, reply, done) => {
    httpDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? UNMATCHED_ROUTE, status_code: reply.statusCode },
      reply.elapsedTime / 1000,
    );
    // OTLP exports count many updates per request, and list them on the request.
    const counted: readonly CountedUsage[] | undefined = request.countedUsage;
    if (counted) for (const update of counted) countUsage(update.crossed);
    done();
  });

  // The usage counters read the route's own result object (preSerialization of that one route),
  // so they cost nothing elsewhere and no extra database work there.
  app.addHook('onRoute', (route) => {
    if (route.schema?.operationId !== RECORD_USAGE_OPERATION) return;
    const hook = async (_request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
      if (reply.statusCode !== 200 || reply.getHeader('idempotent-replayed') === 'true') return payload;
      const crossed = (payload as UsageResultPayload | null)?.crossed;
      countUsage(Array.isArray(crossed) ? crossed : []);
      return payload;
    };
    route.preSerialization = [...(route.preSerialization ? [route.preSerialization].flat() : []), hook];
  });

  async function collectOnScrape(): Promise<void> {
    if (pool && options.db.poolStats) {
      const stats = options.db.poolStats();
      pool.set({ state: 'total' }, stats.total);
      pool.set({ state: 'idle' }, stats.idle);
      pool.set({ state: 'waiting' }, stats.waiting);
    }
    const now = options.clock.now();
    try {
      const backlog = await options.deliveries.backlog(now);
      outboxPending.set(backlog.pending);
      outboxDue.set(backlog.due);
      outboxOldestAge.set(backlog.oldestPendingCreatedAt ? Math.max(0, (now.getTime() - backlog.oldestPendingCreatedAt.getTime()) / 1000) : 0);
    } catch (error) {
      // The database is away: say "unknown" rather than fail the scrape (the process metrics still help).
      app.log.warn({ err: error }, 'reading the webhook backlog for /metrics failed');
      for (const gauge of [outboxPending, outboxDue, outboxOldestAge]) gauge.set(Number.NaN);
    }
  }

  const onRequest = options.token === undefined ? [] : [requireStaticToken(options.token, 'METRICS_TOKEN')];
  app.get('/metrics', { schema: { hide: true }, onRequest }, async (_request, reply) => {
    await collectOnScrape();
    return reply.type(registry.contentType ?? METRICS_CONTENT_TYPE).send(await registry.metrics());
  });
});
