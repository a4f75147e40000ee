// `npm run db:migrate`: applies pending migrations to DATABASE_URL, or to the PGlite database
// under DATA_DIR (default ./data) when DATABASE_URL is unset.
import { openDatabase } from '../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../src/lib/migrate.js';

async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL || undefined;
  const dataDir = process.env.DATA_DIR || './data';
  const db = await openDatabase({ databaseUrl, dataDir, poolMax: 1 });
  try {
    const { applied } = await applyMigrations(db, await loadMigrations(MIGRATIONS_DIR));
    const target = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite at ${dataDir}`;
    if (applied.length === 0) console.log(`${target}: already up to date.`);
    else console.log(`${target}: applied ${applied.length} migration(s):\n  ${applied.join('\n  ')}`);
  } finally {
    await db.close();
  }
}

main().catch((error: unknown) => {
  console.error(`db:migrate failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
