// `npx tsx bench/statement-cost.ts`: what one usage statement costs, sent three ways, on a fresh
// database of the local PostgreSQL: through Prisma ($queryRaw, as the service sends it today),
// through `pg` as an unnamed statement, and through `pg` as a named prepared
// statement. For each: CPU of this Node process and of the PostgreSQL backend per statement (CPU
// time from /proc, so steady on a busy machine), and wall time, one statement at a time.
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { openDatabase } from '../src/lib/db.js';
import { newId } from '../src/lib/ids.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../src/lib/migrate.js';
import { RECORD_USAGE_STATEMENT, recordUsageSql, type UsageWrite } from '../src/modules/usage/usage-statements.repository.js';
import { createBenchDatabase } from './database.js';
import { DEFAULT_MODELS } from '../src/domain/model-catalog.js';
import { createModelCatalog } from '../src/modules/models/models.js';
import { catalogPricesSql } from '../src/modules/usage/usage-cost.repository.js';

const catalogPrices = catalogPricesSql(createModelCatalog(DEFAULT_MODELS));

const STATEMENTS = Number(process.env.STATEMENTS ?? 2000);
const ROUNDS = 2;

function backendCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const bench = await createBenchDatabase(process.env.BENCH_ADMIN_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres');
// Prisma over a pool of one connection, so that its backend is the one measured.
const db = await openDatabase({ databaseUrl: bench.url, dataDir: '', poolMax: 1 });
const client = new pg.Client({ connectionString: bench.url });
try {
  await applyMigrations(db, await loadMigrations(MIGRATIONS_DIR));
  await client.connect();
  await client.query(`INSERT INTO projects (id, name, created_at) VALUES ('proj_bench', 'bench', now())`);
  await client.query(
    `INSERT INTO sessions (id, project_id, task_id, model, status, total, thresholds, non_critical_keys, created_at, updated_at)
     VALUES ('sess_bench', 'proj_bench', 'bench', 'bench', 'active', 1000000000000, '{75,85}', '{}', now(), now())`,
  );
  const write = (): UsageWrite => ({
    usageId: newId('use'),
    projectId: 'proj_bench',
    sessionId: 'sess_bench',
    tokens: 1,
    billableTokens: 1,
    classes: null,
    provider: null,
    model: null,
    source: 'bench',
    idempotency: null,
    now: new Date(),
  });
  const prismaPid = Number((await db.prisma.$queryRaw<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`)[0]!.pid);
  const clientPid = Number((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);

  const ways: [string, number, () => Promise<unknown>][] = [
    ['Prisma $queryRaw (the service today)', prismaPid, () => db.prisma.$queryRaw(recordUsageSql(write(), catalogPrices))],
    [
      'pg, unnamed statement',
      clientPid,
      () => {
        const statement = recordUsageSql(write(), catalogPrices);
        return client.query(statement.text, statement.values);
      },
    ],
    [
      'pg, named prepared statement',
      clientPid,
      () => {
        const statement = recordUsageSql(write(), catalogPrices);
        return client.query({ name: RECORD_USAGE_STATEMENT, text: statement.text, values: statement.values });
      },
    ],
  ];
  process.stdout.write(`${STATEMENTS} statements each, one at a time (after ${STATEMENTS / 10} to warm up):\n`);
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, pid, send] of ways) {
      for (let i = 0; i < STATEMENTS / 10; i++) await send();
      const node = process.cpuUsage();
      const backend = backendCpuMs(pid);
      const started = performance.now();
      for (let i = 0; i < STATEMENTS; i++) await send();
      const nodeUs = process.cpuUsage(node);
      const perStatement = (value: number) => ((value * 1000) / STATEMENTS).toFixed(0).padStart(5);
      process.stdout.write(
        `${name.padEnd(38)} Node CPU ${perStatement((nodeUs.user + nodeUs.system) / 1000)} µs  ` +
          `PostgreSQL CPU ${perStatement(backendCpuMs(pid) - backend)} µs  wall ${perStatement(performance.now() - started)} µs\n`,
      );
    }
  }
} finally {
  await client.end().catch(() => undefined);
  await db.close();
  await bench.drop();
}
