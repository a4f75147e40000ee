// API key rotation and revocation across replicas: each replica caches verified keys (here for a
// minute, far longer than any test), and a revocation on one must end the key on all at once.
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import type { Database } from '../../src/lib/db.js';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { TEST_ADMIN_TOKEN } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/test-database.js';

const AUTH_CACHE_TTL_MS = 60_000;
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/** One replica: its own app, container and key cache. */
async function replica(db: Database) {
  const config = testConfig({ adminToken: TEST_ADMIN_TOKEN, authCacheTtlMs: AUTH_CACHE_TTL_MS });
  const container = createContainer({ config, db, migrations: await loadMigrations(MIGRATIONS_DIR) });
  const app = await buildApp({ config, container });
  await app.ready();
  return { app, http: supertest(app.server) };
}

type Replica = Awaited<ReturnType<typeof replica>>;

const databases: Database[] = [];
let a: Replica;
let b: Replica;
beforeAll(async () => {
  // On PostgreSQL each replica has its own pool and LISTEN connection, as separate processes would.
  // PGlite is one in-process database: both replicas share it (and its notifications).
  const first = await createTestDatabase();
  databases.push(first);
  const second = onPostgres ? await createTestDatabase() : first;
  if (second !== first) databases.push(second);
  a = await replica(first);
  b = await replica(second);
});
afterAll(async () => {
  await a?.app.close();
  await b?.app.close();
  for (const db of databases) await db.close();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const statusOn = async (r: Replica, key: string) => (await r.http.get('/v1/sessions').set(bearer(key))).status;

/** The notification arrives asynchronously, in milliseconds; without it the cache would answer 200 for a minute. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return check();
}

describe('API key rotation and revocation across replicas', () => {
  it('ends a revoked key on every replica at once, though each had it cached', async () => {
    const project = await a.http.post('/v1/admin/projects').set(admin).send({ name: 'revocation' });
    expect(project.status).toBe(201);
    const key: string = project.body.api_key;
    // Both replicas verify the key and cache it.
    expect(await statusOn(a, key)).toBe(200);
    expect(await statusOn(b, key)).toBe(200);

    expect((await a.http.delete(`/v1/admin/api-keys/${project.body.api_key_id}`).set(admin)).status).toBe(204);

    expect(await statusOn(a, key)).toBe(401);
    expect(await eventually(async () => (await statusOn(b, key)) === 401)).toBe(true);
  });

  it('rotates: a new key works beside the old one until the old one is revoked on another replica', async () => {
    const project = await a.http.post('/v1/admin/projects').set(admin).send({ name: 'rotation' });
    const oldKey: string = project.body.api_key;
    expect(await statusOn(a, oldKey)).toBe(200);
    expect(await statusOn(b, oldKey)).toBe(200);

    const issued = await b.http.post(`/v1/admin/projects/${project.body.project_id}/api-keys`).set(admin);
    expect(issued.status).toBe(201);
    const newKey: string = issued.body.api_key;
    expect(issued.body.project_id).toBe(project.body.project_id);
    for (const r of [a, b]) {
      expect(await statusOn(r, oldKey)).toBe(200);
      expect(await statusOn(r, newKey)).toBe(200);
    }
    // Both keys see the same project's data.
    const created = await a.http.post('/v1/sessions').set(bearer(oldKey)).send({ task_id: 'rotation' });
    expect((await b.http.get(`/v1/sessions/${created.body.session_id}`).set(bearer(newKey))).status).toBe(200);

    expect((await b.http.delete(`/v1/admin/api-keys/${project.body.api_key_id}`).set(admin)).status).toBe(204);
    expect(await eventually(async () => (await statusOn(a, oldKey)) === 401)).toBe(true);
    expect(await statusOn(b, oldKey)).toBe(401);
    for (const r of [a, b]) expect(await statusOn(r, newKey)).toBe(200);
  });

  it('answers 404 for revoking an unknown key, and revoking twice is harmless', async () => {
    const project = await a.http.post('/v1/admin/projects').set(admin).send({ name: 'twice' });
    expect((await a.http.delete('/v1/admin/api-keys/key_unknown').set(admin)).status).toBe(404);
    expect((await a.http.delete(`/v1/admin/api-keys/${project.body.api_key_id}`).set(admin)).status).toBe(204);
    expect((await b.http.delete(`/v1/admin/api-keys/${project.body.api_key_id}`).set(admin)).status).toBe(204);
    expect(await statusOn(b, project.body.api_key)).toBe(401);
  });
});
