// Process entry for the webhook dispatcher alone (WEBHOOK_DISPATCHER=off in the API processes):
// config → database → migrations → container → dispatcher, and a graceful exit. No HTTP.
import closeWithGrace from 'close-with-grace';
import { loadConfig } from './config.js';
import { createContainer } from './container.js';
import { openDatabase } from './lib/db.js';
import { createLogger } from './lib/logger.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from './lib/migrate.js';

const SHUTDOWN_GRACE_MS = 30_000;

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

closeWithGrace({ delay: SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
  if (err) logger.error({ err }, 'closing after an error');
  else logger.info({ signal }, 'shutting down');
  await container.webhookDispatcher.stop();
  await db.close();
});

await container.webhookDispatcher.start();
logger.info({ database: db.kind }, 'webhook dispatcher running');
