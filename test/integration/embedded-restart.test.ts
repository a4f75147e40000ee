import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import supertest from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { openDatabase } from '../../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

/** Starts the service the way server.ts does, on the embedded database in `dataDir`. */
async function start(dataDir: string) {
  const config = testConfig({ dataDir });
  const db = await openDatabase({ dataDir });
  const migrations = await loadMigrations(MIGRATIONS_DIR);
  await applyMigrations(db, migrations);
  const container = createContainer({ config, db, migrations });
  const app = await buildApp({ config, container });
  await app.ready();
  return { container, http: supertest(app.server), stop: async () => (await app.close(), await db.close()) };
}

describe('the embedded database', () => {
  it('keeps sessions, usage and keys across a restart', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sss-data-'));
    dirs.push(dataDir);

    const first = await start(dataDir);
    const issued = await first.container.services.projects.bootstrap(undefined);
    expect(issued?.apiKey).toMatch(/^sss_/);
    const auth = { authorization: `Bearer ${issued!.apiKey}` };
    const session = await first.http.post('/v1/sessions').set(auth).send({ task_id: 'persist' });
    await first.http.post(`/v1/sessions/${session.body.session_id}/usage`).set(auth).send({ tokens: 1234 });
    await first.stop();

    const second = await start(dataDir);
    try {
      // A database that has a key gets no new one printed.
      expect(await second.container.services.projects.bootstrap(undefined)).toBeNull();
      const res = await second.http.get(`/v1/sessions/${session.body.session_id}`).set(auth);
      expect(res.status).toBe(200);
      expect(res.body.token_budget.used).toBe(1234);
    } finally {
      await second.stop();
    }
  });

  it('lets BOOTSTRAP_API_KEY open the default project, idempotently', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'sss-data-'));
    dirs.push(dataDir);
    const key = 'bootstrap-key-0123456789abcdef';
    const service = await start(dataDir);
    try {
      expect(await service.container.services.projects.bootstrap(key)).toBeNull();
      expect(await service.container.services.projects.bootstrap(key)).toBeNull();
      const res = await service.http.get('/v1/models').set({ authorization: `Bearer ${key}` });
      expect(res.status).toBe(200);
    } finally {
      await service.stop();
    }
  });
});
