// The benchmark's own database on the local PostgreSQL: created fresh, filled, dropped at the end.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface BenchDatabase {
  name: string;
  url: string;
  serverVersion: string;
  /** Adds rows of usage history, spread over `sessionIds`, until the table holds `rows` rows. */
  growHistory(sessionIds: string[], rows: number): Promise<number>;
  historyRows(): Promise<number>;
  /** Empties the usage history (what earlier scenarios wrote). */
  clearHistory(): Promise<void>;
  drop(): Promise<void>;
}

/** `adminUrl` points at an existing database of the server (its `postgres` database). */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `sss_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  const serverVersion = ((await admin.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version ?? '?').split(' ')[0]!;
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;

  const withClient = async <T>(fn: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  const historyRows = () =>
    withClient(async (client) => Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM usage_records')).rows[0]!.n));

  return {
    name,
    url: url.toString(),
    serverVersion,
    historyRows,
    clearHistory: () => withClient(async (client) => void (await client.query('TRUNCATE usage_records'))),
    async growHistory(sessionIds, rows) {
      const missing = rows - (await historyRows());
      if (missing <= 0) return 0;
      await withClient(async (client) => {
        // One INSERT … SELECT over generate_series: rows as the service writes them, spread
        // round-robin over the sessions, dated over the past 30 days.
        await client.query(
          `INSERT INTO usage_records (id, project_id, session_id, tokens, input_tokens, output_tokens,
             used_after, total_after, crossed, status_after, model, source, created_at)
           SELECT new_id('use_'), s.project_id, s.id, 10, NULL, NULL, 10 * g, s.total, '{}', 'active', NULL, 'bench-history',
             now() - (($2::int - g) * interval '30 days' / $2::int)
           FROM generate_series(1, $2::int) AS g
           JOIN sessions s ON s.id = ($1::text[])[1 + g % array_length($1::text[], 1)]`,
          [sessionIds, missing],
        );
        // What autovacuum would do after such a load, done now so it does not run during a measurement.
        await client.query('VACUUM ANALYZE usage_records');
      });
      return missing;
    },
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
