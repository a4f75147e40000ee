// Once per `vitest run`, before any test file: the migrated PGlite template every in-memory test
// database starts from (so no file pays PGlite's initdb, seconds each).
import { loadMigrations, MIGRATIONS_DIR } from '../src/lib/migrate.js';
import { buildPgliteTemplate } from '../src/lib/pglite-template.js';

export default async function setup(): Promise<void> {
  await buildPgliteTemplate(await loadMigrations(MIGRATIONS_DIR));
}
