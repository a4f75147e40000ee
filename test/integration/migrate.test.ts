import { createHash, randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { IN_MEMORY_DATA_DIR, openDatabase, type Database } from '../../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR, pendingMigrations, type Migration } from '../../src/lib/migrate.js';

const serverUrl = process.env.TEST_DATABASE_URL || undefined;

// Each test gets an empty database of its own: a fresh in-memory PGlite, or a throwaway
// PostgreSQL database created on the TEST_DATABASE_URL server and dropped afterwards.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const url = new URL(serverUrl!);
  url.pathname = '/postgres';
  const admin = new pg.Client({ connectionString: url.toString() });
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.end();
  }
}

/** Returns an opener: every call opens another Database on the same fresh, empty database. */
async function emptyDatabase(kind: Database['kind']): Promise<() => Promise<Database>> {
  const track = async (db: Database) => {
    cleanups.push(() => db.close());
    return db;
  };
  if (kind === 'pglite') {
    const db = await track(await openDatabase({ dataDir: IN_MEMORY_DATA_DIR }));
    return async () => db;
  }
  const name = `sss_migrate_test_${randomUUID().replaceAll('-', '')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name}`));
  cleanups.push(async () => {
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  const url = new URL(serverUrl!);
  url.pathname = `/${name}`;
  return async () => track(await openDatabase({ databaseUrl: url.toString(), dataDir: IN_MEMORY_DATA_DIR }));
}

async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sss-migrations-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  for (const [name, sql] of Object.entries(files)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  applied_steps_count: number;
}

function history(db: Database): Promise<HistoryRow[]> {
  return db.withConnection((conn) =>
    conn.query<HistoryRow>('SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name'),
  );
}

async function tableExists(db: Database, table: string): Promise<boolean> {
  const [row] = await db.withConnection((conn) => conn.query<{ name: string | null }>('SELECT to_regclass($1)::text AS name', [table]));
  return row?.name != null;
}

const kinds: Database['kind'][] = serverUrl ? ['pglite', 'postgres'] : ['pglite'];

describe.each(kinds)('migrations on %s', (kind) => {
  it('applies every migration to an empty database and records it as Prisma does', async () => {
    const db = await (await emptyDatabase(kind))();
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    expect(migrations.map((m) => m.name)).toContain('20261125000000_init');

    const { applied } = await applyMigrations(db, migrations);

    expect(applied).toEqual(migrations.map((m) => m.name));
    const rows = await history(db);
    expect(rows.map((r) => r.migration_name)).toEqual(applied);
    for (const row of rows) {
      const bytes = await readFile(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }
    expect(await tableExists(db, 'sessions')).toBe(true);
  });

  it('applies nothing on a second run', async () => {
    const db = await (await emptyDatabase(kind))();
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    await applyMigrations(db, migrations);

    expect(await applyMigrations(db, migrations)).toEqual({ applied: [] });
    expect(await history(db)).toHaveLength(migrations.length);
  });

  it('applies each migration once when two runners start at the same time', async () => {
    const open = await emptyDatabase(kind);
    // A slow second migration widens the window in which the runners would collide without the lock.
    const real = await loadMigrations(MIGRATIONS_DIR);
    const dir = await migrationsDir({
      ...Object.fromEntries(real.map((m) => [m.name, m.sql])),
      '20991231000000_slow': 'SELECT pg_sleep(0.3);\nCREATE TABLE "slow_marker" ("id" INTEGER);\n',
    });
    const migrations = await loadMigrations(dir);
    // On PostgreSQL two Database objects (two sessions); PGlite is one session shared by both.
    const [a, b] = [await open(), await open()];

    const results = await Promise.all([applyMigrations(a, migrations), applyMigrations(b, migrations)]);

    expect(results.flatMap((r) => r.applied).sort()).toEqual(migrations.map((m) => m.name));
    expect((await history(a)).map((r) => r.migration_name)).toEqual(migrations.map((m) => m.name));
  });

  it('rolls back a broken migration, records nothing for it and names it in the error', async () => {
    const db = await (await emptyDatabase(kind))();
    const dir = await migrationsDir({
      '001_good': 'CREATE TABLE "good" ("id" INTEGER);\n',
      '002_broken': 'CREATE TABLE "half_done" ("id" INTEGER);\nSELECT 1 / 0;\n',
      '003_after': 'CREATE TABLE "after" ("id" INTEGER);\n',
    });

    await expect(applyMigrations(db, await loadMigrations(dir))).rejects.toThrow(/002_broken/);

    expect((await history(db)).map((r) => r.migration_name)).toEqual(['001_good']);
    expect(await tableExists(db, 'good')).toBe(true);
    expect(await tableExists(db, 'half_done')).toBe(false);
    expect(await tableExists(db, 'after')).toBe(false);
  });

  it('lists the migrations not yet applied', async () => {
    const db = await (await emptyDatabase(kind))();
    const dir = await migrationsDir({
      '001_first': 'CREATE TABLE "first" ("id" INTEGER);\n',
      '002_second': 'CREATE TABLE "second" ("id" INTEGER);\n',
    });
    const migrations = await loadMigrations(dir);

    expect(await pendingMigrations(db, migrations)).toEqual(['001_first', '002_second']);
    await applyMigrations(db, migrations.slice(0, 1));
    expect(await pendingMigrations(db, migrations)).toEqual(['002_second']);
    await applyMigrations(db, migrations);
    expect(await pendingMigrations(db, migrations)).toEqual([]);
  });

  it('warns about a modified migration without applying it again', async () => {
    const db = await (await emptyDatabase(kind))();
    const original: Migration = { name: '001_t', sql: 'CREATE TABLE "t" ("id" INTEGER);', checksum: 'a'.repeat(64) };
    await applyMigrations(db, [original]);
    const warnings: object[] = [];
    const log = { info: () => undefined, warn: (obj: object) => warnings.push(obj) };

    const result = await applyMigrations(db, [{ ...original, checksum: 'b'.repeat(64) }], log);

    expect(result.applied).toEqual([]);
    expect(warnings).toEqual([expect.objectContaining({ migration: '001_t' })]);
  });

  it('refuses to run while an earlier attempt is recorded as unfinished', async () => {
    const db = await (await emptyDatabase(kind))();
    const migration: Migration = { name: '001_t', sql: 'CREATE TABLE "t" ("id" INTEGER);', checksum: 'c'.repeat(64) };
    await applyMigrations(db, []); // creates the history table
    await db.withConnection((conn) =>
      conn.query(`INSERT INTO _prisma_migrations (id, checksum, migration_name) VALUES ($1, $2, $3)`, [
        randomUUID(),
        migration.checksum,
        migration.name,
      ]),
    );

    await expect(applyMigrations(db, [migration])).rejects.toThrow(/001_t.*prisma migrate resolve/s);
    expect(await tableExists(db, 't')).toBe(false);
  });

  it('names the successor of sessions recovered before recovered_to_session_id existed', async () => {
    const db = await (await emptyDatabase(kind))();
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    const at = migrations.findIndex((m) => m.name === '20261207140000_recovered_to');
    expect(at).toBeGreaterThan(0);
    await applyMigrations(db, migrations.slice(0, at));
    await db.withConnection(async (conn) => {
      await conn.query(`INSERT INTO projects (id, name) VALUES ('proj_m', 'p')`);
      for (const [id, status, from] of [
        ['sess_original', 'archived', null],
        ['sess_successor', 'active', 'sess_original'],
        ['sess_alone', 'archived', null],
      ]) {
        await conn.query(
          `INSERT INTO sessions (id, project_id, task_id, model, status, total, thresholds, non_critical_keys, recovered_from_session_id)
           VALUES ($1, 'proj_m', 't', 'm', $2, 1000, '{75,85}', '{}', $3)`,
          [id, status, from],
        );
      }
    });
    await applyMigrations(db, migrations);
    const rows = await db.withConnection((conn) =>
      conn.query<{ id: string; recovered_to_session_id: string | null }>('SELECT id, recovered_to_session_id FROM sessions ORDER BY id'),
    );
    expect(rows).toEqual([
      { id: 'sess_alone', recovered_to_session_id: null },
      { id: 'sess_original', recovered_to_session_id: 'sess_successor' },
      { id: 'sess_successor', recovered_to_session_id: null },
    ]);
  });

  it('round-trips a BigInt above 2^53, JSON and arrays through Prisma', async () => {
    const db = await (await emptyDatabase(kind))();
    await applyMigrations(db, await loadMigrations(MIGRATIONS_DIR));
    const projectId = `proj_${randomUUID()}`;
    const sessionId = `sess_${randomUUID()}`;
    const total = 2n ** 53n + 7n;
    const context = { goal: 'ship', nested: { list: [1, 'two', null], flag: true }, quote: 'a"b' };
    await db.prisma.project.create({ data: { id: projectId, name: 'p' } });

    await db.prisma.session.create({
      data: {
        id: sessionId,
        projectId,
        taskId: 't',
        model: 'm',
        status: 'active',
        total,
        thresholds: [75, 85],
        nonCriticalKeys: ['notes', 'with,comma', 'with "quote"'],
        context,
      },
    });

    const session = await db.prisma.session.findUniqueOrThrow({ where: { id: sessionId } });
    expect(session.total).toBe(total);
    expect(session.used).toBe(0n);
    expect(session.context).toEqual(context);
    expect(session.thresholds).toEqual([75, 85]);
    expect(session.nonCriticalKeys).toEqual(['notes', 'with,comma', 'with "quote"']);

    // $queryRaw goes through the adapter's own type mapping, not the model's.
    const [raw] = await db.prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT total, context, thresholds, non_critical_keys FROM sessions WHERE id = ${sessionId}`;
    expect(raw).toEqual({
      total,
      context,
      thresholds: [75, 85],
      non_critical_keys: ['notes', 'with,comma', 'with "quote"'],
    });
  });
});
