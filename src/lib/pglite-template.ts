// A migrated embedded database, made once and copied: PGlite's initdb, in WebAssembly, takes most of
// a first start (seconds; many more on a busy machine), and every test file on PGlite paid it too.
// `npm install` builds the template (scripts/build-pglite-template.ts); a fresh data directory and
// every in-memory test database start from a copy of it. Its name carries the PGlite version and
// the migrations it holds, so a template for other migrations is never used (the service then
// initialises the directory as before).
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { applyMigrations, MIGRATIONS_DIR, type Migration } from './migrate.js';

/** The installed PGlite's version (its package.json is not exported: found from its entry point). */
function installedPgliteVersion(): string {
  for (let dir = path.dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite')); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version: string };
    if (name === '@electric-sql/pglite') return version;
  }
  throw new Error('cannot find the version of @electric-sql/pglite');
}

const pgliteVersion = installedPgliteVersion();

/** node_modules/.cache of the project these migrations belong to. */
const CACHE_DIR = path.join(path.dirname(path.dirname(MIGRATIONS_DIR)), 'node_modules', '.cache', 'session-state-service');

export function pgliteTemplatePath(migrations: readonly Migration[], cacheDir = CACHE_DIR): string {
  const key = createHash('sha256').update(pgliteVersion);
  for (const migration of migrations) key.update(`\n${migration.name} ${migration.checksum}`);
  return path.join(cacheDir, `pglite-${pgliteVersion}-${key.digest('hex').slice(0, 16)}.tar.gz`);
}

/** The template for exactly these migrations, if it was built. */
export async function readPgliteTemplate(migrations: readonly Migration[], cacheDir?: string): Promise<Blob | undefined> {
  const file = pgliteTemplatePath(migrations, cacheDir);
  return existsSync(file) ? new Blob([await readFile(file)]) : undefined;
}

/** Builds the template unless it exists; returns its path. Safe to run from several processes at once. */
export async function buildPgliteTemplate(migrations: readonly Migration[], cacheDir = CACHE_DIR): Promise<string> {
  const file = pgliteTemplatePath(migrations, cacheDir);
  if (existsSync(file)) return file;
  const pglite = await PGlite.create();
  try {
    await applyMigrations(
      {
        withConnection: (fn) =>
          fn({
            query: async (sql, params) => (await pglite.query(sql, params)).rows as never[],
            exec: async (script) => void (await pglite.exec(script)),
          }),
      },
      [...migrations],
    );
    const dump = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    await mkdir(cacheDir, { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, dump);
    await rename(partial, file);
    return file;
  } finally {
    await pglite.close();
  }
}
