// The migrated PGlite template: fresh embedded databases start as a copy of it (no initdb, no
// migrations to apply); a database that already exists is never touched by it.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR, pendingMigrations } from '../../src/lib/migrate.js';
import { buildPgliteTemplate, pgliteTemplatePath, readPgliteTemplate } from '../../src/lib/pglite-template.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});
const scratch = async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'sss-template-'));
  dirs.push(dir);
  return dir;
};

describe.skipIf(Boolean(process.env.TEST_DATABASE_URL))('the PGlite template', () => {
  it('starts a fresh data directory migrated, and leaves an existing one as it was', async () => {
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    const cache = await scratch();
    await buildPgliteTemplate(migrations, cache);
    const template = await readPgliteTemplate(migrations, cache);
    expect(template).toBeDefined();

    const dataDir = path.join(await scratch(), 'data');
    const fresh = await openDatabase({ dataDir, pgliteTemplate: template });
    try {
      expect(await pendingMigrations(fresh, migrations)).toEqual([]);
      await fresh.prisma.project.create({ data: { id: 'proj_kept', name: 'kept' } });
    } finally {
      await fresh.close();
    }
    // Opened again with the template: the directory holds a database, which stays as it was.
    const again = await openDatabase({ dataDir, pgliteTemplate: template });
    try {
      expect(await again.prisma.project.count({ where: { id: 'proj_kept' } })).toBe(1);
      expect(await applyMigrations(again, migrations)).toEqual({ applied: [] });
    } finally {
      await again.close();
    }
  });

  it('is a template of exactly these migrations: one more migration names another file', async () => {
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    const cache = await scratch();
    const more = [...migrations, { name: '29991231000000_later', sql: 'SELECT 1;', checksum: 'f'.repeat(64) }];
    expect(pgliteTemplatePath(more, cache)).not.toBe(pgliteTemplatePath(migrations, cache));
    await buildPgliteTemplate(migrations, cache);
    expect(await readPgliteTemplate(more, cache)).toBeUndefined();
  });
});
