import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, useTestApp, createTestApp } from '../helpers/app.js';
import { buildApp } from '../../src/app.js';
import { createContainer } from '../../src/container.js';
import { sha256Hex } from '../../src/lib/hash.js';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';

const t = useTestApp();

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('API keys', () => {
  it.each([
    ['no Authorization header', {}],
    ['an unknown key', { authorization: 'Bearer sss_unknown' }],
    ['another scheme', { authorization: 'Basic dXNlcjpwYXNz' }],
  ])('answers 401 with a problem document for %s', async (_name, headers) => {
    const res = await t.http.get('/v1/models').set(headers);
    expect(res.status).toBe(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toBe('Bearer');
    expect(res.body).toMatchObject({ status: 401, code: 'UNAUTHORIZED', instance: '/v1/models' });
  });

  it('stores only the SHA-256 of a key', async () => {
    const { apiKey, projectId } = await t.newProject();
    const keys = await t.db.prisma.apiKey.findMany({ where: { projectId } });
    expect(keys.map((k) => k.keyHash)).toEqual([sha256Hex(apiKey)]);
  });
});

describe('/v1/admin', () => {
  it('needs the admin token', async () => {
    expect((await t.http.post('/v1/admin/projects').send({ name: 'x' })).status).toBe(401);
    const { auth } = await t.newProject();
    expect((await t.http.post('/v1/admin/projects').set(auth).send({ name: 'x' })).status).toBe(401);
  });

  it('creates a project whose key works at once, issues more keys, and revokes them at once', async () => {
    const created = await t.http.post('/v1/admin/projects').set(admin).send({ name: 'team-a' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'team-a', project_id: expect.stringMatching(/^proj_/), api_key: expect.stringMatching(/^sss_/) });
    const auth = { authorization: `Bearer ${created.body.api_key}` };
    expect((await t.http.get('/v1/models').set(auth)).status).toBe(200);

    const second = await t.http.post(`/v1/admin/projects/${created.body.project_id}/api-keys`).set(admin);
    expect(second.status).toBe(201);
    expect(second.body.project_id).toBe(created.body.project_id);
    const secondAuth = { authorization: `Bearer ${second.body.api_key}` };
    expect((await t.http.get('/v1/models').set(secondAuth)).status).toBe(200);

    const revoked = await t.http.delete(`/v1/admin/api-keys/${created.body.api_key_id}`).set(admin);
    expect(revoked.status).toBe(204);
    expect((await t.http.get('/v1/models').set(auth)).status).toBe(401);
    expect((await t.http.get('/v1/models').set(secondAuth)).status).toBe(200);
  });

  it('answers 404 for an unknown project or key and 400 for a bad body', async () => {
    expect((await t.http.post('/v1/admin/projects/proj_nope/api-keys').set(admin)).status).toBe(404);
    expect((await t.http.delete('/v1/admin/api-keys/key_nope').set(admin)).status).toBe(404);
    const bad = await t.http.post('/v1/admin/projects').set(admin).send({ name: '', extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['body.extra', 'body.name']);
  });
});

describe('a project', () => {
  it("sees none of another project's sessions", async () => {
    const a = await t.newProject();
    const b = await t.newProject();
    await t.http.post('/v1/sessions').set(a.auth).send({ task_id: 'secret' });
    expect((await t.http.get('/v1/sessions').set(b.auth)).body.data).toEqual([]);
  });
});

describe('GET /v1/models', () => {
  it('lists the models with their context windows', async () => {
    const { auth } = await t.newProject();
    const res = await t.http.get('/v1/models').set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toContainEqual({
      model: 'claude-sonnet-4-5-20250929',
      context_window: 200000,
      prices_usd_per_mtok: { input: '3', output: '15', cache_read: '0.3', cache_write: '3.75', cache_write_1h: '6' },
      prices_as_of: '2025-12-01',
      price_version: 'catalog:2025-12-01',
    });
  });
});

describe('operations', () => {
  it('reports health and readiness', async () => {
    expect((await t.http.get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await t.http.get('/readyz')).body).toEqual({ status: 'ok' });
  });

  it('is not ready while a migration this build ships is not applied', async () => {
    const migrations = [...(await loadMigrations(MIGRATIONS_DIR)), { name: '29991231000000_future', sql: '', checksum: '' }];
    const app = await buildApp({ config: t.config, container: createContainer({ config: t.config, db: t.db, migrations }) });
    try {
      const res = await app.inject({ method: 'GET', url: '/readyz' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json()).toMatchObject({ code: 'NOT_READY', detail: 'migrations not applied: 29991231000000_future' });
    } finally {
      await app.close();
    }
  });

  it('answers unknown routes with a 404 problem document', async () => {
    const res = await t.http.get('/v1/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'ROUTE_NOT_FOUND', status: 404 });
  });
});

describe('without ADMIN_TOKEN', () => {
  it('has no admin routes', async () => {
    const bare = await createTestApp({ config: { adminToken: undefined } });
    try {
      expect((await bare.http.post('/v1/admin/projects').set(admin).send({ name: 'x' })).status).toBe(404);
    } finally {
      await bare.close();
    }
  });
});
