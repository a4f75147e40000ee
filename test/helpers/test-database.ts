import { IN_MEMORY_DATA_DIR, openDatabase, type Database } from '../../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';

/**
 * A migrated database: the PostgreSQL at TEST_DATABASE_URL when set (vitest workers migrate it at
 * once; the advisory lock serializes them), otherwise a fresh in-memory PGlite.
 * Tests isolate their data by creating their own project, so nothing is truncated.
 */
export async function createTestDatabase(options: { onQuery?: (sql: string) => void; poolMax?: number } = {}): Promise<Database> {
  const databaseUrl = process.env.TEST_DATABASE_URL || undefined;
  const db = await openDatabase({ databaseUrl, dataDir: IN_MEMORY_DATA_DIR, poolMax: options.poolMax ?? 5, onQuery: options.onQuery });
  try {
    await applyMigrations(db, await loadMigrations(MIGRATIONS_DIR));
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
