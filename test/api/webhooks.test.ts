import { Webhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

let t: TestApp;
let guarded: TestApp;
let receiver: WebhookReceiver;
beforeAll(async () => {
  t = await createTestApp();
  guarded = await createTestApp({ config: { webhookAllowPrivateNetworks: false } });
});
afterAll(async () => {
  await guarded.close();
  await t.close();
});
beforeEach(async () => {
  receiver = await createWebhookReceiver();
});
afterEach(async () => {
  await receiver.close();
});

async function setup(app = t) {
  const project = await app.newProject();
  const subscribe = async (body: Record<string, unknown> = {}) => {
    const res = await app.http
      .post('/v1/webhooks')
      .set(project.auth)
      .send({ url: `${receiver.url}/hooks`, events: ['*'], ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  return { ...project, make: apiFactories(app, project.auth), subscribe };
}

// Scoped to the test's project: on a shared PostgreSQL other test files' deliveries are not ours to send.
const deliver = (projectId: string) => t.container.webhookDispatcher.tick({ projectId });
const bodies = () => receiver.requests.map((request) => JSON.parse(request.body) as { id: string; type: string; data: Record<string, unknown> });

describe('webhook subscriptions', () => {
  it('creates a subscription with a whsec_ secret shown only on creation', async () => {
    const { auth, subscribe } = await setup();
    const created = await subscribe({ events: ['session.threshold_crossed'], description: 'pager' });
    expect(created).toMatchObject({ events: ['session.threshold_crossed'], description: 'pager', enabled: true, disabled_reason: null });
    expect(created.webhook_id).toMatch(/^wh_[0-9a-f]{32}$/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

    const fetched = await t.http.get(`/v1/webhooks/${created.webhook_id}`).set(auth);
    expect(fetched.status).toBe(200);
    expect(fetched.body.secret).toBeUndefined();
    const withoutSecret = Object.fromEntries(Object.entries(created).filter(([key]) => key !== 'secret'));
    expect(fetched.body).toEqual(withoutSecret);
    const list = await t.http.get('/v1/webhooks').set(auth);
    expect(list.body).toEqual({ data: [withoutSecret], next_cursor: null });
  });

  it('refuses bad URLs and event types with 400 and stores nothing', async () => {
    const { auth } = await setup();
    for (const body of [
      { url: 'ftp://example.com/x', events: ['*'] },
      { url: 'not a url', events: ['*'] },
      { url: 'https://example.com', events: [] },
      { url: 'https://example.com', events: ['session.exploded'] },
      { url: 'https://example.com', events: ['*', '*'] },
      { url: 'https://example.com', events: ['*'], secret: 'mine' },
    ]) {
      const res = await t.http.post('/v1/webhooks').set(auth).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await t.http.get('/v1/webhooks').set(auth)).body.data).toEqual([]);
  });

  it('refuses loopback, private, link-local, CGNAT, unique-local literals, and IPv6 ones embedding them, with 422 unless allowed', async () => {
    const { auth } = await setup(guarded);
    for (const url of [
      'http://127.0.0.1:8080/x',
      'http://10.1.2.3/x',
      'http://192.168.0.10/x',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/x',
      'http://[::1]/x',
      'http://[fd00::1]/x',
      'http://[::ffff:10.0.0.1]/x',
      // IPv4-compatible (::/96), IPv4-translated and NAT64 literals, judged by the IPv4 inside.
      'http://[::127.0.0.1]/',
      'http://[::169.254.169.254]/latest/meta-data',
      'http://[::10.0.0.1]/x',
      'http://[::ffff:0:127.0.0.1]/x',
      'http://[64:ff9b::169.254.169.254]/x',
      'http://0.0.0.0/x',
      'http://localhost:3000/x',
    ]) {
      const res = await guarded.http
        .post('/v1/webhooks')
        .set(auth)
        .send({ url, events: ['*'] });
      expect(res.status, url).toBe(422);
      expect(res.body.code).toBe('WEBHOOK_URL_REFUSED');
      expect(res.body.errors[0].path).toBe('body.url');
    }
    expect(
      (
        await guarded.http
          .post('/v1/webhooks')
          .set(auth)
          .send({ url: 'https://8.8.8.8/x', events: ['*'] })
      ).status,
    ).toBe(201);
    // With WEBHOOK_ALLOW_PRIVATE_NETWORKS=true (the other test app) loopback is fine.
    const allowed = await setup();
    expect(
      (
        await t.http
          .post('/v1/webhooks')
          .set(allowed.auth)
          .send({ url: 'http://127.0.0.1:9/x', events: ['*'] })
      ).status,
    ).toBe(201);
  });

  it('updates, disables, re-enables and deletes; another project sees 404', async () => {
    const { auth, subscribe } = await setup();
    const other = await setup();
    const hook = await subscribe();
    const url = `/v1/webhooks/${hook.webhook_id}`;

    const patched = await t.http
      .patch(url)
      .set(auth)
      .send({ events: ['checkpoint.created'], description: 'ckpt' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ events: ['checkpoint.created'], description: 'ckpt' });
    const disabled = await t.http.patch(url).set(auth).send({ enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false, disabled_reason: 'disabled by the client' });
    const enabled = await t.http.patch(url).set(auth).send({ enabled: true });
    expect(enabled.body).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null });
    expect((await t.http.patch(url).set(auth).send({})).status).toBe(400);

    for (const request of [t.http.get(url), t.http.patch(url).send({ enabled: false }), t.http.delete(url), t.http.post(`${url}/test`)]) {
      expect((await request.set(other.auth)).status).toBe(404);
    }
    expect((await t.http.delete(url).set(auth)).status).toBe(204);
    expect((await t.http.get(url).set(auth)).status).toBe(404);
    expect((await t.http.delete(url).set(auth)).status).toBe(404);
  });
});

describe('delivery', () => {
  it('delivers every event type of the subscription, signed by the Standard Webhooks scheme', async () => {
    const { auth, make, subscribe, projectId } = await setup();
    const hook = await subscribe({ events: ['session.threshold_crossed', 'checkpoint.created'] });
    const session = await make.session({ task_id: 'paged', token_budget: { total: 1000 } });
    await make.usage(session.session_id, 900);
    await make.checkpoint(session.session_id);
    expect(await deliver(projectId)).toBe(3);

    // Deliveries run concurrently: arrival order is not part of the contract.
    expect(
      bodies()
        .map((body) => `${body.type}:${body.data.threshold ?? '-'}`)
        .sort(),
    ).toEqual(['checkpoint.created:-', 'session.threshold_crossed:75', 'session.threshold_crossed:85']);
    expect(bodies().find((body) => body.data.threshold === 75)!.data).toEqual({
      session_id: session.session_id,
      task_id: 'paged',
      threshold: 75,
      level: 'emergency',
      position_percent: 90,
      used: 900,
      available: 100,
      total: 1000,
    });
    for (const request of receiver.requests) {
      expect(request.headers['webhook-id']).toBe(JSON.parse(request.body).id);
      expect(request.headers['content-type']).toBe('application/json');
      expect(new Webhook(hook.secret).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
      expect(new SvixWebhook(hook.secret).verify(request.body, request.headers)).toEqual(JSON.parse(request.body));
    }
    const deliveries = await t.http.get(`/v1/webhooks/${hook.webhook_id}/deliveries`).set(auth);
    expect(deliveries.body.data).toHaveLength(3);
    expect(deliveries.body.data[0]).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 204, event_type: 'checkpoint.created' });
    expect(deliveries.body.data[0].attempt_log).toEqual([
      { attempt: 1, started_at: expect.any(String), duration_ms: expect.any(Number), status_code: 204, error: null, response_snippet: '' },
    ]);
  });

  it("never delivers another project's events, nor types outside the filter", async () => {
    const mine = await setup();
    const theirs = await setup();
    await mine.subscribe({ events: ['checkpoint.created'] });
    const session = await theirs.make.session();
    await theirs.make.checkpoint(session.session_id);
    const own = await mine.make.session();
    await mine.make.usage(own.session_id, 10);
    await deliver(mine.projectId);
    await deliver(theirs.projectId);
    expect(receiver.requests).toEqual([]);
  });

  it('signs with both secrets for 24 hours after a rotation', async () => {
    const { auth, make, subscribe, projectId } = await setup();
    const hook = await subscribe();
    const rotated = await t.http.post(`/v1/webhooks/${hook.webhook_id}/rotate-secret`).set(auth);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    const expiresIn = Date.parse(rotated.body.previous_secret_expires_at) - Date.now();
    expect(expiresIn).toBeGreaterThan(23.9 * 3_600_000);
    expect(expiresIn).toBeLessThanOrEqual(24 * 3_600_000);

    await make.session();
    await deliver(projectId);
    const [request] = receiver.requests;
    expect(request!.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    for (const secret of [hook.secret, rotated.body.secret]) {
      expect(() => new Webhook(secret).verify(request!.body, request!.headers)).not.toThrow();
    }
  });

  it('sends a test event to this endpoint only, and answers 409 for a disabled one', async () => {
    const { auth, subscribe, projectId } = await setup();
    const hook = await subscribe({ events: ['checkpoint.created'] });
    const bystander = await subscribe({ events: ['*'], url: `${receiver.url}/bystander` });
    const res = await t.http.post(`/v1/webhooks/${hook.webhook_id}/test`).set(auth);
    expect(res.status).toBe(202);
    await deliver(projectId);
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hooks']);
    expect(bodies()[0]).toMatchObject({ id: res.body.event_id, type: 'webhook.test', data: { webhook_id: hook.webhook_id } });

    await t.http.patch(`/v1/webhooks/${bystander.webhook_id}`).set(auth).send({ enabled: false });
    const refused = await t.http.post(`/v1/webhooks/${bystander.webhook_id}/test`).set(auth);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('WEBHOOK_DISABLED');
  });

  it('retries a delivery on request with the same webhook-id', async () => {
    const { auth, subscribe, projectId } = await setup();
    const hook = await subscribe();
    const test = await t.http.post(`/v1/webhooks/${hook.webhook_id}/test`).set(auth);
    await deliver(projectId);
    const retried = await t.http.post(`/v1/webhooks/${hook.webhook_id}/deliveries/${test.body.delivery_id}/retry`).set(auth);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ status: 'pending', attempts: 1 });
    await deliver(projectId);
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([test.body.event_id, test.body.event_id]);
    const after = await t.http.get(`/v1/webhooks/${hook.webhook_id}/deliveries?status=succeeded`).set(auth);
    expect(after.body.data[0]).toMatchObject({ attempts: 2, status: 'succeeded' });
    expect(after.body.data[0].attempt_log.map((entry: { attempt: number }) => entry.attempt)).toEqual([1, 2]);

    const unknown = await t.http.post(`/v1/webhooks/${hook.webhook_id}/deliveries/dlv_nope/retry`).set(auth);
    expect(unknown.status).toBe(404);
  });
});
