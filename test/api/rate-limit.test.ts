import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, useTestApp, createTestApp } from '../helpers/app.js';

const MAX = 3;
// Long enough that no window ends during a test: the counts below are exact.
const WINDOW_MS = 600_000;

const t = useTestApp({ config: { rateLimitMax: MAX, rateLimitWindowMs: WINDOW_MS } });

const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('rate limiting per API key', () => {
  it('answers the request over the limit with a 429 problem document and Retry-After, and does not run it', async () => {
    const { auth, projectId } = await t.newProject();
    for (let i = 0; i < MAX; i++) {
      const res = await t.http
        .post('/v1/sessions')
        .set(auth)
        .send({ task_id: `ok-${i}` });
      expect(res.status).toBe(201);
      expect(res.headers['x-ratelimit-remaining']).toBe(String(MAX - i - 1));
    }
    const limited = await t.http.post('/v1/sessions').set(auth).set('x-request-id', 'limited-1').send({ task_id: 'too-many' });

    expect(limited.status).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(limited.body).toMatchObject({ status: 429, code: 'RATE_LIMITED', type: '/problems/rate-limited', instance: '/v1/sessions' });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
    expect(limited.headers['x-request-id']).toBe('limited-1');
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(MAX);
  });

  it('counts each API key on its own, so a rotated-in key starts afresh', async () => {
    const project = await t.newProject();
    for (let i = 0; i < MAX; i++) expect((await t.http.get('/v1/sessions').set(project.auth)).status).toBe(200);
    expect((await t.http.get('/v1/sessions').set(project.auth)).status).toBe(429);

    const issued = await t.http.post(`/v1/admin/projects/${project.projectId}/api-keys`).set(admin);
    expect(issued.status).toBe(201);
    expect((await t.http.get('/v1/sessions').set({ authorization: `Bearer ${issued.body.api_key}` })).status).toBe(200);

    const other = await t.newProject();
    expect((await t.http.get('/v1/sessions').set(other.auth)).status).toBe(200);
  });

  it('does not count requests that fail authentication against anyone', async () => {
    const { auth, apiKey } = await t.newProject();
    for (let i = 0; i < MAX + 2; i++) {
      const res = await t.http.get('/v1/sessions').set({ authorization: `Bearer ${apiKey}x` });
      expect(res.status).toBe(401);
    }
    for (let i = 0; i < MAX; i++) expect((await t.http.get('/v1/sessions').set(auth)).status).toBe(200);
  });

  it('leaves routes outside /v1 alone: health, readiness and metrics', async () => {
    for (let i = 0; i < MAX + 2; i++) {
      expect((await t.http.get('/healthz')).status).toBe(200);
      expect((await t.http.get('/metrics')).status).toBe(200);
    }
  });

  it('applies to the usage hot path too, counting nothing once limited', async () => {
    const { auth, projectId } = await t.newProject();
    const session = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'usage' });
    const url = `/v1/sessions/${session.body.session_id}/usage`;
    const statuses: number[] = [];
    for (let i = 0; i < MAX; i++) statuses.push((await t.http.post(url).set(auth).send({ tokens: 10 })).status);
    expect(statuses).toEqual([200, 200, 429]);
    const stored = await t.db.prisma.session.findFirst({ where: { id: session.body.session_id, projectId } });
    expect(Number(stored?.used)).toBe(20);
  });
});

describe('RATE_LIMIT_MAX=0', () => {
  it('turns limiting off', { timeout: 120_000 }, async () => {
    const unlimited = await createTestApp({ config: { rateLimitMax: 0 } });
    try {
      const { auth } = await unlimited.newProject();
      for (let i = 0; i < 5; i++) {
        const res = await unlimited.http.get('/v1/sessions').set(auth);
        expect(res.status).toBe(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await unlimited.close();
    }
  });
});
