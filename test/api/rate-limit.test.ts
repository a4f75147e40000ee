import { describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, useTestApp, createTestApp } from '../helpers/app.js';

const MAX = 3;
// Long enough that no window ends during a test: the counts below are exact.
const WINDOW_MS = 600_000;

// Requests that fail authentication are limited per client address (X-Forwarded-For, trusted
// here so that each test can be its own client).
const t = useTestApp({ config: { rateLimitMax: MAX, rateLimitWindowMs: WINDOW_MS, trustProxy: true, rateLimitUnauthenticatedMax: 100 } });

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

  it('does not count requests that fail authentication against any key', async () => {
    const { auth, apiKey } = await t.newProject();
    for (let i = 0; i < MAX + 2; i++) {
      const res = await t.http.get('/v1/sessions').set({ authorization: `Bearer ${apiKey}x` });
      expect(res.status).toBe(401);
    }
    for (let i = 0; i < MAX; i++) expect((await t.http.get('/v1/sessions').set(auth)).status).toBe(200);
  });

  it('leaves routes outside /v1 alone: health, readiness and metrics', async () => {
    for (let i = 0; i < MAX + 2; i++) {
      for (const url of ['/healthz', '/readyz', '/metrics']) {
        const res = await t.http.get(url);
        expect(res.status, `${url} #${i + 1}`).toBe(200);
        expect(res.headers['x-ratelimit-limit'], url).toBeUndefined();
      }
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

describe('requests that fail authentication, limited per client address (RATE_LIMIT_UNAUTHENTICATED_MAX)', () => {
  const FAILURES = 4;
  let keyLookups = 0;
  const u = useTestApp({
    config: { rateLimitMax: 1000, rateLimitWindowMs: WINDOW_MS, rateLimitUnauthenticatedMax: FAILURES, trustProxy: true, authCacheTtlMs: WINDOW_MS },
    onQuery: (sql) => {
      if (/from "public"\."api_keys"/i.test(sql)) keyLookups += 1;
    },
  });
  const from = (address: string) => ({ 'x-forwarded-for': address });

  it('answers the failure over the limit with 429 and Retry-After, without looking the key up, while valid keys keep working', async () => {
    const { auth } = await u.newProject();
    const other = await u.newProject();
    // A valid key used from the address before its failures: verified, and cached.
    expect((await u.http.get('/v1/sessions').set(from('203.0.113.7')).set(auth)).status).toBe(200);

    for (let i = 0; i < FAILURES; i++) {
      const res = await u.http
        .get('/v1/sessions')
        .set(from('203.0.113.7'))
        .set({ authorization: `Bearer sss_wrong_${i}` });
      expect(res.status, `failure ${i + 1}`).toBe(401);
    }
    const lookupsBefore = keyLookups;
    expect(lookupsBefore).toBeGreaterThanOrEqual(FAILURES); // each failure above was looked up
    for (const headers of [{ authorization: 'Bearer sss_wrong_again' }, {}, { authorization: `Bearer ${other.apiKey}` }]) {
      const limited = await u.http.get('/v1/sessions').set(from('203.0.113.7')).set(headers).set('x-request-id', 'unauth-limited');
      expect(limited.status).toBe(429);
      expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(limited.body).toMatchObject({ code: 'RATE_LIMITED', status: 429, instance: '/v1/sessions' });
      expect(limited.body.detail).toMatch(/failed authentication/);
      const retryAfter = Number(limited.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(WINDOW_MS / 1000);
      expect(limited.headers['x-request-id']).toBe('unauth-limited');
    }
    // Refused before any database work: the point is that bad keys cannot load the database.
    expect(keyLookups).toBe(lookupsBefore);

    // The key verified before keeps working from that address; any valid key from another one.
    expect((await u.http.get('/v1/sessions').set(from('203.0.113.7')).set(auth)).status).toBe(200);
    expect(
      (
        await u.http
          .get('/v1/sessions')
          .set(from('198.51.100.1'))
          .set({ authorization: `Bearer ${other.apiKey}` })
      ).status,
    ).toBe(200);
    // Another address has its own count.
    expect((await u.http.get('/v1/sessions').set(from('198.51.100.2')).set({ authorization: 'Bearer sss_wrong' })).status).toBe(401);
  });

  it('counts a missing Authorization header as a failure, on /otlp too', async () => {
    for (let i = 0; i < FAILURES; i++) expect((await u.http.get('/v1/models').set(from('203.0.113.8'))).status).toBe(401);
    expect((await u.http.get('/v1/models').set(from('203.0.113.8'))).status).toBe(429);
    const otlp = await u.http.post('/otlp/v1/traces').set(from('203.0.113.8')).set('content-type', 'application/json').send('{}');
    expect(otlp.status).toBe(429);
  });

  it('leaves health, readiness and metrics alone for a limited address', async () => {
    for (let i = 0; i <= FAILURES; i++) await u.http.get('/v1/models').set(from('203.0.113.9'));
    expect((await u.http.get('/v1/models').set(from('203.0.113.9'))).status).toBe(429);
    for (const url of ['/healthz', '/readyz', '/metrics']) expect((await u.http.get(url).set(from('203.0.113.9'))).status, url).toBe(200);
  });
});

describe('RATE_LIMIT_UNAUTHENTICATED_MAX=0', () => {
  it('turns the limit on failed authentication off', { timeout: 120_000 }, async () => {
    const unlimited = await createTestApp({ config: { rateLimitUnauthenticatedMax: 0, rateLimitWindowMs: WINDOW_MS } });
    try {
      for (let i = 0; i < 5; i++) expect((await unlimited.http.get('/v1/models').set({ authorization: 'Bearer sss_wrong' })).status).toBe(401);
    } finally {
      await unlimited.close();
    }
  });
});
