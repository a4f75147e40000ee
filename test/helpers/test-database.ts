import { IN_MEMORY_DATA_DIR, openDatabase, type Database } from '../../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { readPgliteTemplate } from '../../src/lib/pglite-template.js';

/** The migrated PGlite template (test/global-setup.ts builds it), read once per test process. */
let template: Promise<Blob | undefined> | undefined;

/**
 * A migrated database: the PostgreSQL at TEST_DATABASE_URL when set (vitest workers migrate it at
 * once; the advisory lock serializes them), otherwise a fresh in-memory PGlite, a copy of the
 * migrated template (the migrations then find nothing to apply).
 * Tests isolate their data by creating their own project, so nothing is truncated.
 */
export async function createTestDatabase(options: { onQuery?: (sql: string) => void; poolMax?: number } = {}): Promise<Database> {
  const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
  const migrations = await loadMigrations(MIGRATIONS_DIR);
  const pgliteTemplate = databaseUrl ? undefined : await (template ??= readPgliteTemplate(migrations));
  const db = await openDatabase({
    databaseUrl,
    dataDir: IN_MEMORY_DATA_DIR,
    poolMax: options.poolMax ?? 5,
    onQuery: options.onQuery,
    pgliteTemplate,
  });
  try {
    await applyMigrations(db, migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
