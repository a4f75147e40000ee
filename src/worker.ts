// Process entry for the webhook dispatcher alone (WEBHOOK_DISPATCHER=off in the API processes):
// config → database → migrations → container → dispatcher, and a graceful exit. No API; with
// WORKER_METRICS_PORT, GET /metrics (the dispatcher's attempts, the outbox, the pool) on that port.
import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import { loadConfig } from './config.js';
import { createContainer } from './container.js';
import { openDatabase } from './lib/db.js';
import { createLogger } from './lib/logger.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from './lib/migrate.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { prometheusPlugin } from './plugins/prometheus.js';

// On SIGTERM: the dispatcher lets its attempts in flight finish for DISPATCHER_STOP_GRACE_MS, then
// cuts them off and releases their deliveries to the other dispatchers; the exit follows within
// SHUTDOWN_GRACE_MS (after which close-with-grace exits with code 1 regardless).
const SHUTDOWN_GRACE_MS = 10_000;
const DISPATCHER_STOP_GRACE_MS = 5000;

const config = loadConfig();
const logger = createLogger(config, 'webhooks');
if (!config.databaseUrl) {
  // PGlite's files belong to one process: the API process must run the dispatcher itself.
  logger.fatal('npm run worker needs DATABASE_URL; with the embedded database keep WEBHOOK_DISPATCHER=on in the API process');
  process.exit(1);
}
const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolMax: config.databasePoolMax });
const migrations = await loadMigrations(MIGRATIONS_DIR);
try {
  await applyMigrations(db, migrations, logger);
} catch (error) {
  logger.fatal({ err: error }, 'start-up failed');
  await db.close();
  process.exit(1);
}
const container = createContainer({ config, db, migrations, logger });

const metricsServer = config.workerMetricsPort === undefined ? null : Fastify({ logger: false });
if (metricsServer) {
  await metricsServer.register(errorHandlerPlugin);
  await metricsServer.register(prometheusPlugin, {
    db,
    deliveries: container.repositories.webhookDeliveryQueue,
    dispatcher: container.webhookDispatcher,
    clock: container.clock,
    token: config.metricsToken,
    processMetrics: true,
  });
}

closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'closing after an error');
  else logger.info({ signal }, 'shutting down');
  await Promise.all([metricsServer?.close(), container.webhookDispatcher.stop({ graceMs: DISPATCHER_STOP_GRACE_MS })]);
  await db.close();
  logger.info('shut down');
});

await container.webhookDispatcher.start();
if (metricsServer) {
  const address = await metricsServer.listen({ port: config.workerMetricsPort, host: config.host });
  logger.info({ metrics: `${address}/metrics` }, 'worker metrics listening');
}
logger.info({ database: db.kind }, 'webhook dispatcher running');
