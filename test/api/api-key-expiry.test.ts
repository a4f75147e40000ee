import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';

// POST /v1/admin/projects/{id}/api-keys takes `expires_at`: the key stops authenticating at that
// instant, on a cached verification too (AUTH_CACHE_TTL_MS is on here).
const clock = createTestClock(new Date('2026-06-01T12:00:00.000Z'));
const t = useTestApp({ clock, config: { authCacheTtlMs: 600_000 } });

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

async function issue(projectId: string, body?: Record<string, unknown>) {
  const req = t.http.post(`/v1/admin/projects/${projectId}/api-keys`).set(admin);
  return body === undefined ? req : req.send(body);
}

describe('API keys that expire', () => {
  it('authenticates until expires_at, shows it in the answer, and answers 401 from that instant', async () => {
    const { projectId } = await t.newProject();
    const expiresAt = new Date(clock.now().getTime() + 60_000);
    const issued = await issue(projectId, { expires_at: expiresAt.toISOString() });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body).toMatchObject({ project_id: projectId, expires_at: expiresAt.toISOString() });
    const auth = bearer(issued.body.api_key);

    expect((await t.http.get('/v1/sessions').set(auth)).status).toBe(200); // verified, and now cached
    clock.advance(59_999);
    expect((await t.http.get('/v1/sessions').set(auth)).status).toBe(200);
    clock.advance(1);
    const expired = await t.http.get('/v1/sessions').set(auth);
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(expired.body.detail).toMatch(/expired/);
    expect(expired.headers['www-authenticate']).toBe('Bearer');

    const row = await t.db.prisma.apiKey.findUnique({ where: { id: issued.body.api_key_id } });
    expect(row?.expiresAt?.toISOString()).toBe(expiresAt.toISOString());
  });

  it('takes an offset and answers in UTC; without expires_at the key never expires (expires_at null)', async () => {
    const { projectId } = await t.newProject();
    const inAYear = new Date(clock.now().getTime() + 365 * 86_400_000);
    // The same instant written in UTC+02:00.
    const withOffset = new Date(inAYear.getTime() + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    const issued = await issue(projectId, { expires_at: withOffset });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    expect(issued.body.expires_at).toBe(inAYear.toISOString());

    for (const body of [undefined, {}]) {
      const forever = await issue(projectId, body);
      expect(forever.status).toBe(201);
      expect(forever.body.expires_at).toBeNull();
      clock.advance(10 * 365 * 86_400_000);
      expect((await t.http.get('/v1/sessions').set(bearer(forever.body.api_key))).status).toBe(200);
    }
  });

  it.each([
    ['a past instant', () => new Date(clock.now().getTime() - 1000).toISOString(), /future/],
    ['this very instant', () => clock.now().toISOString(), /future/],
    ['not a timestamp', () => 'tomorrow', /./],
    ['a date without a time', () => '2030-01-01', /./],
    ['a number', () => 1_900_000_000, /./],
  ])('answers expires_at of %s with 400 naming the field, issuing no key', async (_name, value, message) => {
    const { projectId } = await t.newProject();
    const res = await issue(projectId, { expires_at: value() });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    const error = res.body.errors.find((e: { path: string }) => e.path === 'body.expires_at');
    expect(error, JSON.stringify(res.body)).toBeDefined();
    expect(error.message).toMatch(message);
    expect(await t.db.prisma.apiKey.count({ where: { projectId } })).toBe(1);
  });

  it('refuses fields it does not know, and bodies that are not an object', async () => {
    const { projectId } = await t.newProject();
    const unknown = await issue(projectId, { expires: '2030-01-01T00:00:00Z' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'body.expires', message: 'unknown field "expires"' }]);
    for (const body of ['[1,2,3]', '"x"']) {
      const res = await t.http.post(`/v1/admin/projects/${projectId}/api-keys`).set(admin).set('content-type', 'application/json').send(body);
      expect(res.status, body).toBe(400);
    }
    expect(await t.db.prisma.apiKey.count({ where: { projectId } })).toBe(1);
  });
});
