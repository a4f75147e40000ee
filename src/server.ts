// Process entry: config → database → migrations → container → app → listen, and a graceful exit.
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { createContainer } from './container.js';
import { openDatabase } from './lib/db.js';
import { createLogger } from './lib/logger.js';
import { HOUSEKEEPING_INTERVAL_MS } from './modules/maintenance/housekeeping.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from './lib/migrate.js';
import { readPgliteTemplate } from './lib/pglite-template.js';

// On SIGTERM: stop taking requests, finish those in flight, stop the webhook dispatcher (releasing
// what it cannot finish), close the pool, exit 0 — all within SHUTDOWN_GRACE_MS, after which
// close-with-grace exits with code 1 regardless.
const SHUTDOWN_GRACE_MS = 10_000;
/** How long webhook attempts in flight may finish before they are cut off and released. */
const DISPATCHER_STOP_GRACE_MS = 5000;
/** When requests still in flight (a client that never finishes its upload) are cut off. */
const FORCE_CLOSE_AFTER_MS = 8000;

const config = loadConfig();
const migrations = await loadMigrations(MIGRATIONS_DIR);
const db = await openDatabase({
  databaseUrl: config.databaseUrl,
  dataDir: config.dataDir,
  poolMax: config.databasePoolMax,
  // A fresh embedded database starts as a copy of the migrated template that npm install built.
  pgliteTemplate: config.databaseUrl ? undefined : await readPgliteTemplate(migrations),
});
const container = createContainer({ config, db, migrations, logger: createLogger(config, 'webhooks') });
const app = await buildApp({ config, container, processMetrics: true });

try {
  await applyMigrations(db, migrations, app.log);
  const issued = await container.services.projects.bootstrap(config.bootstrapApiKey);
  if (issued) {
    // Printed once, straight to stdout and never through the logger: logs must not hold keys.
    process.stdout.write(
      `\nCreated project "default" (${issued.projectId}). Its API key, shown only this once:\n\n    ${issued.apiKey}\n\n` +
        'Send it as "Authorization: Bearer <key>". Set BOOTSTRAP_API_KEY or use /v1/admin to manage keys.\n\n',
    );
  }
} catch (error) {
  app.log.fatal({ err: error }, 'start-up failed');
  await db.close();
  process.exit(1);
}

if (config.webhookDispatcher === 'on') await container.webhookDispatcher.start();

const housekeepingTimer = setInterval(() => {
  container.housekeeping.tick().catch((err: unknown) => app.log.warn({ err }, 'housekeeping failed'));
}, HOUSEKEEPING_INTERVAL_MS);
housekeepingTimer.unref();

closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) app.log.error({ err }, 'closing after an error');
  else app.log.info({ signal }, 'shutting down');
  clearInterval(housekeepingTimer);
  const forceClose = setTimeout(() => {
    app.log.warn('requests still in flight at the shutdown deadline: closing their connections');
    app.server.closeAllConnections();
  }, FORCE_CLOSE_AFTER_MS);
  forceClose.unref();
  // app.close() stops listening, answers 503 on kept-alive connections and waits for the requests
  // in flight; meanwhile the dispatcher finishes or releases its attempts.
  await Promise.all([app.close(), container.webhookDispatcher.stop({ graceMs: DISPATCHER_STOP_GRACE_MS })]);
  clearTimeout(forceClose);
  await db.close();
  app.log.info('shut down');
});

await app.listen({ port: config.port, host: config.host });
app.log.info({ database: db.kind, docs: '/docs' }, 'session state service ready');
