import pg from 'pg';

/**
 * Runs `fn` with the URL of a throwaway database next to TEST_DATABASE_URL's, dropped afterwards.
 * For a server process whose webhook dispatcher must not deliver other test files' due webhooks
 * while they count them, as it would on the shared test database.
 */
export async function withScratchDatabase<T>(prefix: string, fn: (url: string) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  const name = `sss_${prefix}_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  try {
    const url = new URL(process.env.TEST_DATABASE_URL!);
    url.pathname = `/${name}`;
    return await fn(url.toString());
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}
