// `npm install` (postinstall) and the test run (test/global-setup.ts): builds the migrated PGlite
// template that fresh embedded databases start from (src/lib/pglite-template.ts), unless it exists.
import { loadMigrations, MIGRATIONS_DIR } from '../src/lib/migrate.js';
import { buildPgliteTemplate } from '../src/lib/pglite-template.js';

const started = performance.now();
const file = await buildPgliteTemplate(await loadMigrations(MIGRATIONS_DIR));
process.stdout.write(`PGlite template: ${file} (${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
