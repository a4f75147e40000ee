// Request ids, logs that never hold a secret, Prometheus metrics, per-route body limits and the
// HTTP server settings, through the real app on a real database.
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import type { Database } from '../../src/lib/db.js';
import { createLogger } from '../../src/lib/logger.js';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { CHECKPOINT_ENVELOPE_BYTES, SMALL_BODY_LIMIT_BYTES, SMALL_BODY_OPERATIONS } from '../../src/plugins/body-limits.js';
import { TEST_ADMIN_TOKEN, useTestApp, createTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { createTestDatabase } from '../helpers/test-database.js';
import { createWebhookReceiver } from '../helpers/webhook-receiver.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** Every line an app (requests) and its container (webhook dispatcher) log, as text. */
function logCapture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { stream, lines, text: () => lines.join('\n') };
}

/** Tests that build their own apps (a fresh PGlite database each) take a while on a busy machine. */
const OWN_APP_TIMEOUT_MS = 120_000;

/** The app with its logs captured at the most verbose level (on its own database unless given one). */
async function appWithLogs(overrides: Partial<Config> = {}, clock = createTestClock(new Date()), shared?: Database) {
  const logs = logCapture();
  const db = shared ?? (await createTestDatabase());
  const config = testConfig({ adminToken: TEST_ADMIN_TOKEN, logLevel: 'trace', ...overrides });
  const container = createContainer({
    config,
    db,
    migrations: await loadMigrations(MIGRATIONS_DIR),
    clock,
    logger: createLogger(config, 'webhooks', logs.stream),
  });
  const app = await buildApp({ config, container, logStream: logs.stream });
  await app.ready();
  return {
    logs,
    container,
    clock,
    http: supertest(app.server),
    async close() {
      await app.close();
      await container.webhookDispatcher.stop();
      if (!shared) await db.close();
    },
  };
}

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text format, one sample per line (comments skipped). */
function samplesOf(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

/** The value of the one sample with this name and these labels (0 when absent: counters start there). */
function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
  expect(found.length, `${name} ${JSON.stringify(labels)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

/** How much a counter grew between two scrapes (other tests in this file use the same app). */
const increase = (before: Sample[], after: Sample[], name: string, labels: Record<string, string> = {}) =>
  valueOf(after, name, labels) - valueOf(before, name, labels);

const t = useTestApp();

async function scrape(http = t.http): Promise<Sample[]> {
  const res = await http.get('/metrics');
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/^text\/plain/);
  return samplesOf(res.text);
}

describe('request ids', () => {
  it('generates one when the client sends none and returns it on the answer', async () => {
    const res = await t.http.get('/healthz');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const again = await t.http.get('/healthz');
    expect(again.headers['x-request-id']).not.toBe(res.headers['x-request-id']);
  });

  it('keeps a well-formed client id, on problem documents too', async () => {
    const { auth } = await t.newProject();
    const ok = await t.http.get('/v1/sessions').set(auth).set('x-request-id', 'trace-42.abc:def');
    expect(ok.headers['x-request-id']).toBe('trace-42.abc:def');

    const unauthorized = await t.http.get('/v1/sessions').set('x-request-id', 'req-401');
    expect(unauthorized.status).toBe(401);
    expect(unauthorized.headers['x-request-id']).toBe('req-401');

    const missing = await t.http.get('/v1/nothing-here').set('x-request-id', 'req-404');
    expect(missing.status).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(missing.headers['x-request-id']).toBe('req-404');

    const invalid = await t.http.post('/v1/sessions').set(auth).set('x-request-id', 'req-400').send({ task_id: '' });
    expect(invalid.status).toBe(400);
    expect(invalid.headers['x-request-id']).toBe('req-400');

    // A URL the router itself refuses (bad percent-encoding) never reaches the hooks.
    const badUrl = await t.http.get('/v1/sessions/%E0%A4%A').set('x-request-id', 'req-bad-url');
    expect(badUrl.status).toBe(400);
    expect(badUrl.headers['x-request-id']).toBe('req-bad-url');
  });

  it.each([
    ['too long', 'x'.repeat(129)],
    ['with spaces', 'a b'],
    ['with a backslash', 'a\\b'],
    ['with quotes and angle brackets', '"><script>'],
  ])('replaces a client id %s with a generated one', async (_why, incoming) => {
    const res = await t.http.get('/healthz').set('x-request-id', incoming);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('logs', () => {
  it(
    'never contain an API key, a webhook secret, the admin token or an Authorization header, through a realistic run',
    { timeout: OWN_APP_TIMEOUT_MS },
    async () => {
      const a = await appWithLogs();
      const receiver = await createWebhookReceiver();
      try {
        const admin = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
        const project = await a.http.post('/v1/admin/projects').set(admin).send({ name: 'logged' });
        expect(project.status).toBe(201);
        const apiKey: string = project.body.api_key;
        const secondKey = await a.http.post(`/v1/admin/projects/${project.body.project_id}/api-keys`).set(admin);
        expect(secondKey.status).toBe(201);
        const auth = { authorization: `Bearer ${apiKey}` };

        const hook = await a.http
          .post('/v1/webhooks')
          .set(auth)
          .send({ url: `${receiver.url}/hooks`, events: ['session.threshold_crossed'] });
        expect(hook.status).toBe(201);
        const rotated = await a.http.post(`/v1/webhooks/${hook.body.webhook_id}/rotate-secret`).set(auth);
        expect(rotated.status).toBe(200);
        const secrets: string[] = [apiKey, secondKey.body.api_key, hook.body.secret, rotated.body.secret, TEST_ADMIN_TOKEN];
        expect(secrets.every((secret) => typeof secret === 'string' && secret.length >= 16)).toBe(true);

        const session = await a.http
          .post('/v1/sessions')
          .set(auth)
          .set('idempotency-key', 'create-1')
          .send({ task_id: 'logs', token_budget: { total: 100 } });
        expect(session.status).toBe(201);
        const usage = await a.http.post(`/v1/sessions/${session.body.session_id}/usage`).set(auth).send({ tokens: 90 });
        expect(usage.body.crossed).toEqual([75, 85]);
        // A failing delivery (the endpoint answers 500) is logged by the dispatcher.
        receiver.respondWith(() => ({ status: 500, body: 'down' }));
        expect(await a.container.webhookDispatcher.tick({ projectId: project.body.project_id })).toBe(2);

        // Failing requests: a wrong key that looks real, a revoked key, a bad body, a wrong admin token.
        const wrongKey = `${apiKey.slice(0, -4)}AAAA`;
        secrets.push(wrongKey);
        expect((await a.http.get('/v1/sessions').set({ authorization: `Bearer ${wrongKey}` })).status).toBe(401);
        expect((await a.http.delete(`/v1/admin/api-keys/${secondKey.body.api_key_id}`).set(admin)).status).toBe(204);
        expect((await a.http.get('/v1/sessions').set({ authorization: `Bearer ${secondKey.body.api_key}` })).status).toBe(401);
        expect((await a.http.post('/v1/sessions').set(auth).send({ task_id: '', secret: apiKey })).status).toBe(400);
        expect((await a.http.post('/v1/admin/projects').set({ authorization: 'Bearer not-the-admin-token-xyz' }).send({ name: 'x' })).status).toBe(
          401,
        );
        secrets.push('not-the-admin-token-xyz');

        const logged = a.logs.text();
        // The run was logged (request lines with their ids, the dispatcher's failures)...
        expect(logged).toContain('"reqId"');
        expect(logged).toContain('webhook attempt failed');
        expect(a.logs.lines.every((line) => JSON.parse(line) !== null)).toBe(true);
        // ...and no secret, nor any bearer credential, appears anywhere in it.
        for (const secret of secrets) expect(logged).not.toContain(secret);
        expect(logged).not.toMatch(/whsec_|sss_[A-Za-z0-9_-]{20}|Bearer /);
      } finally {
        await receiver.close();
        await a.close();
      }
    },
  );

  it('carry the request id the client sent, so an answer can be found in the logs', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    const a = await appWithLogs();
    try {
      await a.http.get('/healthz').set('x-request-id', 'find-me-123');
      const lines = a.logs.lines.map((line) => JSON.parse(line) as { reqId?: string; msg?: string });
      expect(lines.filter((line) => line.reqId === 'find-me-123').map((line) => line.msg)).toEqual(['incoming request', 'request completed']);
    } finally {
      await a.close();
    }
  });

  it('redact secrets a careless log call would include, at the top level or one level down', async () => {
    const logs = logCapture();
    const log = createLogger({ logLevel: 'info' }, 'test', logs.stream);
    log.info(
      { secret: 'whsec_top', endpoint: { url: 'https://x', secret: 'whsec_nested', previousSecret: 'whsec_prev' }, apiKey: 'sss_top' },
      'oops',
    );
    log.info({ req: { headers: { authorization: 'Bearer sss_header', 'idempotency-key': 'k-secret' } } }, 'oops');
    expect(logs.text()).not.toMatch(/whsec_|sss_|k-secret/);
    expect(logs.text()).toContain('[Redacted]');
    expect(logs.text()).toContain('https://x');
  });

  it('show the client address from X-Forwarded-For only when TRUST_PROXY trusts the proxy', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    for (const [trustProxy, expected] of [
      [false, '127.0.0.1'],
      [['127.0.0.1/8'], '203.0.113.9'],
      [1, '203.0.113.9'],
    ] as const) {
      const a = await appWithLogs({ trustProxy: trustProxy as Config['trustProxy'] }, undefined, t.db);
      try {
        await a.http.get('/healthz').set('x-forwarded-for', '203.0.113.9').set('x-request-id', 'ip-check');
        const incoming = a.logs.lines
          .map((line) => JSON.parse(line) as { reqId?: string; req?: { remoteAddress?: string } })
          .find((line) => line.reqId === 'ip-check' && line.req);
        expect(incoming?.req?.remoteAddress, JSON.stringify(trustProxy)).toMatch(new RegExp(`^(::ffff:)?${expected.replaceAll('.', '\\.')}$`));
      } finally {
        await a.close();
      }
    }
  });
});

describe('GET /metrics', () => {
  it('times requests by route pattern and status, never by raw URL', async () => {
    const { auth } = await t.newProject();
    const session = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'metrics' });
    const before = await scrape();

    await t.http.get(`/v1/sessions/${session.body.session_id}`).set(auth);
    await t.http.get(`/v1/sessions/${session.body.session_id}`).set(auth);
    await t.http.get('/v1/sessions/sess_unknown').set(auth);
    await t.http.get(`/v1/no-such-route/${session.body.session_id}`);
    const after = await scrape();
    const requests = (labels: Record<string, string>) => increase(before, after, 'sss_http_request_duration_seconds_count', labels);

    expect(requests({ method: 'GET', route: '/v1/sessions/:id', status_code: '200' })).toBe(2);
    expect(requests({ method: 'GET', route: '/v1/sessions/:id', status_code: '404' })).toBe(1);
    expect(requests({ method: 'GET', route: 'unmatched', status_code: '404' })).toBe(1);
    const routes = new Set(after.filter((s) => s.name === 'sss_http_request_duration_seconds_count').map((s) => s.labels.route));
    expect([...routes].filter((route) => route!.includes(session.body.session_id))).toEqual([]);
  });

  it('counts usage updates (not idempotent replays) and threshold crossings by threshold', async () => {
    const { auth } = await t.newProject();
    const session = await t.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'metrics', token_budget: { total: 100 } });
    const url = `/v1/sessions/${session.body.session_id}/usage`;
    const before = await scrape();

    await t.http.post(url).set(auth).set('idempotency-key', 'u-1').send({ tokens: 80 }); // crosses 75
    const replay = await t.http.post(url).set(auth).set('idempotency-key', 'u-1').send({ tokens: 80 });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await t.http.post(url).set(auth).send({ tokens: 10 }); // crosses 85
    await t.http.post(url).set(auth).send({ tokens: 0 }); // 400: counts nothing
    const after = await scrape();

    expect(increase(before, after, 'sss_usage_updates_total')).toBe(2);
    for (const threshold of ['75', '85']) expect(increase(before, after, 'sss_threshold_crossings_total', { threshold })).toBe(1);
  });

  it('counts webhook delivery attempts by outcome and reports the outbox backlog', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    const clock = createTestClock(new Date());
    const a = await appWithLogs({}, clock);
    const receiver = await createWebhookReceiver();
    try {
      const project = await a.container.services.projects.createProject('metrics-hooks');
      const auth = { authorization: `Bearer ${project.apiKey}` };
      await a.http
        .post('/v1/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}/ok`, events: ['session.created'] });
      const session = await a.http.post('/v1/sessions').set(auth).send({ task_id: 'hooks' });
      expect(session.status).toBe(201);

      clock.advance(90_000);
      const pending = await scrape(a.http);
      expect(valueOf(pending, 'sss_webhook_outbox_pending_deliveries')).toBeGreaterThanOrEqual(1);
      expect(valueOf(pending, 'sss_webhook_outbox_due_deliveries')).toBeGreaterThanOrEqual(1);
      expect(valueOf(pending, 'sss_webhook_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(90);

      expect(await a.container.webhookDispatcher.tick({ projectId: project.projectId })).toBe(1);
      receiver.respondWith(() => ({ status: 503 }));
      await a.http.post('/v1/sessions').set(auth).send({ task_id: 'hooks-2' });
      expect(await a.container.webhookDispatcher.tick({ projectId: project.projectId })).toBe(1);
      await receiver.close(); // nothing listens there any more: unreachable
      clock.advance(24 * 3_600_000);
      expect(await a.container.webhookDispatcher.tick({ projectId: project.projectId })).toBe(1);

      const after = await scrape(a.http);
      expect(valueOf(after, 'sss_webhook_delivery_attempts_total', { outcome: 'delivered' })).toBe(1);
      expect(valueOf(after, 'sss_webhook_delivery_attempts_total', { outcome: 'rejected' })).toBe(1);
      expect(valueOf(after, 'sss_webhook_delivery_attempts_total', { outcome: 'unreachable' })).toBe(1);
      expect(valueOf(after, 'sss_webhook_delivery_attempt_duration_seconds_count')).toBe(3);
    } finally {
      await receiver.close().catch(() => undefined);
      await a.close();
    }
  });

  it.skipIf(!onPostgres)('reports the PostgreSQL pool: connections open, idle and waiting', async () => {
    const samples = await scrape();
    expect(valueOf(samples, 'sss_db_pool_connections', { state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'sss_db_pool_connections', { state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(valueOf(samples, 'sss_db_pool_connections', { state: 'waiting' })).toBe(0);
  });

  it('keeps each app instance its own counters', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    const other = await createTestApp();
    try {
      await t.http.get('/healthz');
      const fresh = await scrape(other.http);
      expect(valueOf(fresh, 'sss_http_request_duration_seconds_count', { route: '/healthz' })).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('needs the METRICS_TOKEN when one is set', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    const token = 'metrics-token-0123456789';
    const guarded = await createTestApp({ config: { metricsToken: token } });
    try {
      const anonymous = await guarded.http.get('/metrics');
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await guarded.http.get('/metrics').set('authorization', 'Bearer wrong-token-0123456789')).status).toBe(401);
      const allowed = await guarded.http.get('/metrics').set('authorization', `Bearer ${token}`);
      expect(allowed.status).toBe(200);
      expect(allowed.text).toContain('sss_http_request_duration_seconds');
    } finally {
      await guarded.close();
    }
  });
});

describe('body limits', () => {
  it('refuses a usage update body over the small-route limit with a 413 problem', async () => {
    const { auth } = await t.newProject();
    const session = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'limits' });
    const res = await t.http
      .post(`/v1/sessions/${session.body.session_id}/usage`)
      .set(auth)
      .send({ tokens: 1, source: 's'.repeat(SMALL_BODY_LIMIT_BYTES) });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
    expect((await t.http.get(`/v1/sessions/${session.body.session_id}`).set(auth)).body.token_budget.used).toBe(0);
  });

  it('lets a checkpoint carry CHECKPOINT_MAX_BYTES plus its envelope, beyond BODY_LIMIT_BYTES', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    const small = await createTestApp({ config: { bodyLimitBytes: 50_000, checkpointMaxBytes: 120_000 } });
    try {
      const { auth } = await small.newProject();
      const session = await small.http.post('/v1/sessions').set(auth).send({ task_id: 'limits' });
      const snapshot = { blob: 'x'.repeat(100_000) };
      const checkpoint = await small.http
        .post(`/v1/sessions/${session.body.session_id}/checkpoints`)
        .set(auth)
        .send({ phase: 'p', context_snapshot: snapshot });
      expect(checkpoint.status).toBe(201);
      const patch = await small.http.patch(`/v1/sessions/${session.body.session_id}`).set(auth).send({ context: snapshot });
      expect(patch.status).toBe(413);
      const over = await small.http
        .post(`/v1/sessions/${session.body.session_id}/checkpoints`)
        .set(auth)
        .send({ phase: 'p', context_snapshot: { blob: 'x'.repeat(120_000 + CHECKPOINT_ENVELOPE_BYTES) } });
      expect(over.status).toBe(413);
    } finally {
      await small.close();
    }
  });

  it('names only operations the API has (a renamed route would silently lose its limit)', async () => {
    const document = (await t.http.get('/openapi.json')).body as { paths: Record<string, Record<string, { operationId?: string }>> };
    const operationIds = new Set(Object.values(document.paths).flatMap((item) => Object.values(item).map((op) => op.operationId)));
    expect([...SMALL_BODY_OPERATIONS, 'createCheckpoint'].filter((id) => !operationIds.has(id))).toEqual([]);
  });
});

describe('the HTTP server', () => {
  it('takes its timeouts from the configuration', { timeout: OWN_APP_TIMEOUT_MS }, async () => {
    const timed = await createTestApp({ config: { requestTimeoutMs: 12_000, connectionTimeoutMs: 34_000, keepAliveTimeoutMs: 56_000 } });
    try {
      expect(timed.app.server.requestTimeout).toBe(12_000);
      expect(timed.app.server.timeout).toBe(34_000);
      expect(timed.app.server.keepAliveTimeout).toBe(56_000);
    } finally {
      await timed.close();
    }
  });
});
