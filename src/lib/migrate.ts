import { createHash, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database, RawConnection } from './db.js';

export interface Migration {
  name: string;
  sql: string;
  /** sha256 hex of the file's bytes, as Prisma computes it. */
  checksum: string;
}

export interface MigrationLog {
  info(obj: object, msg: string): void;
  warn?(obj: object, msg: string): void;
}

export class MigrationError extends Error {
  constructor(
    message: string,
    readonly migrationName?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

// The key Prisma Migrate locks (schema-engine, postgres flavour), so that `prisma migrate deploy`
// and this runner also exclude each other.
const PRISMA_MIGRATE_LOCK_SQL = 'SELECT pg_advisory_lock(72707369)';
const PRISMA_MIGRATE_UNLOCK_SQL = 'SELECT pg_advisory_unlock(72707369)';

// Prisma's own DDL for the history table (schema-engine `create_migrations_table`).
const CREATE_MIGRATIONS_TABLE_SQL = `
CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

export const MIGRATIONS_DIR: string = findMigrationsDir();

/** Walks up from this file (src/lib via tsx, dist/src/lib after tsc) to the folder holding prisma/migrations. */
function findMigrationsDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = path.join(dir, 'prisma', 'migrations');
    if (existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve('prisma', 'migrations');
    dir = parent;
  }
}

export async function loadMigrations(dir: string): Promise<Migration[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, 'migration.sql')))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return Promise.all(
    names.map(async (name) => {
      const bytes = await readFile(path.join(dir, name, 'migration.sql'));
      return { name, sql: bytes.toString('utf8'), checksum: sha256(bytes) };
    }),
  );
}

interface MigrationRecord {
  migration_name: string;
  checksum: string;
  finished_at: Date | string | null;
  rolled_back_at: Date | string | null;
}

export async function applyMigrations(
  db: Pick<Database, 'withConnection'>,
  migrations: Migration[],
  log?: MigrationLog,
): Promise<{ applied: string[] }> {
  return db.withConnection(async (conn) => {
    await conn.query(PRISMA_MIGRATE_LOCK_SQL);
    try {
      await conn.exec(CREATE_MIGRATIONS_TABLE_SQL);
      const records = await conn.query<MigrationRecord>('SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations');
      assertNoFailedMigration(records);

      const applied: string[] = [];
      for (const migration of migrations) {
        const done = records.find((r) => r.migration_name === migration.name && isFinished(r));
        if (done) {
          if (!checksumMatches(migration, done.checksum)) {
            (log?.warn ?? log?.info)?.call(
              log,
              { migration: migration.name, recorded: done.checksum, current: migration.checksum },
              'migration was modified after it was applied; not re-applying it',
            );
          }
          continue;
        }
        await applyOne(conn, migration);
        log?.info({ migration: migration.name }, 'migration applied');
        applied.push(migration.name);
      }
      return { applied };
    } finally {
      await conn.query(PRISMA_MIGRATE_UNLOCK_SQL);
    }
  });
}

/** Names of the migrations not recorded as finished (all of them when there is no history table). */
export async function pendingMigrations(db: Database, migrations: Migration[]): Promise<string[]> {
  // Through the pool rather than withConnection: /readyz calls this often. `::text` because the
  // Prisma adapters reject a regclass column.
  const [table] = await db.prisma.$queryRaw<{ name: string | null }[]>`
    SELECT to_regclass('_prisma_migrations')::text AS name`;
  if (!table?.name) return migrations.map((m) => m.name);
  const rows = await db.prisma.$queryRaw<{ migration_name: string }[]>`
    SELECT migration_name FROM _prisma_migrations
    WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`;
  const finished = new Set(rows.map((r) => r.migration_name));
  return migrations.filter((m) => !finished.has(m.name)).map((m) => m.name);
}

async function applyOne(conn: RawConnection, migration: Migration): Promise<void> {
  await conn.exec('BEGIN');
  try {
    await conn.exec(migration.sql);
    // started_at defaults to now(), the transaction's start; finished_at is the wall clock now.
    await conn.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count)
       VALUES ($1, $2, $3, clock_timestamp(), 1)`,
      [randomUUID(), migration.checksum, migration.name],
    );
    await conn.exec('COMMIT');
  } catch (error) {
    // A failed ROLLBACK means the session is gone, which rolls back too; report the real failure.
    await conn.exec('ROLLBACK').catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    throw new MigrationError(`Migration ${migration.name} failed and was rolled back: ${reason}`, migration.name, {
      cause: error,
    });
  }
}

// A row neither finished nor rolled back is an attempt that died half-way (Prisma's P3009).
// Prisma refuses to go on until an operator resolves it; so do we.
function assertNoFailedMigration(records: MigrationRecord[]): void {
  const failed = records.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (!failed) return;
  throw new MigrationError(
    `Migration ${failed.migration_name} is recorded in _prisma_migrations as started but never finished. ` +
      'Check the database, then mark it resolved with ' +
      `\`prisma migrate resolve --rolled-back ${failed.migration_name}\` (to retry it) or ` +
      `\`--applied ${failed.migration_name}\` (if it was completed by hand).`,
    failed.migration_name,
  );
}

function isFinished(r: MigrationRecord): boolean {
  return r.finished_at !== null && r.rolled_back_at === null;
}

// Prisma accepts the checksum of the script with either line ending, since git may rewrite them.
function checksumMatches(migration: Migration, recorded: string): boolean {
  const variants = [migration.sql.replaceAll('\r\n', '\n'), migration.sql.replaceAll('\n', '\r\n')];
  return recorded === migration.checksum || variants.some((sql) => sha256(sql) === recorded);
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
