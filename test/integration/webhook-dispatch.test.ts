// The webhook dispatcher against real receivers on loopback, on PGlite and on PostgreSQL: the retry
// schedule, what disables an endpoint, redirects, a dispatcher that dies holding a lease, the SSRF
// guard at connection time, and, with the dispatcher running, isolation and the wake-up at commit.
import { createServer, type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WAKE_CHANNEL } from '../../src/modules/webhooks/delivery-queue.repository.js';
import { LEASE_MARGIN_MS, MAX_IN_FLIGHT_PER_ENDPOINT, createDispatcher, type WebhookDispatcher } from '../../src/modules/webhooks/dispatcher.js';
import { createGuardedHttpAgent } from '../../src/modules/webhooks/url-guard.js';
import { newWebhookSecret } from '../../src/modules/webhooks/signing.js';
import { newId } from '../../src/lib/ids.js';
import type { Clock } from '../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { apiFactories } from '../helpers/factories.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const RETRY_DELAYS_SECONDS = [10, 60, 300];
const TIMEOUT_MS = 1000;
const SECOND = 1000;
const HOUR = 3600 * SECOND;
const DAY = 24 * HOUR;

interface AttemptWire {
  attempt: number;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  response_snippet: string | null;
}

interface DeliveryWire {
  delivery_id: string;
  event_id: string;
  event_type: string;
  status: 'pending' | 'succeeded' | 'failed';
  attempts: number;
  next_attempt_at: string | null;
  last_status_code: number | null;
  last_error: string | null;
  completed_at: string | null;
  attempt_log: AttemptWire[];
}

interface WebhookWire {
  webhook_id: string;
  enabled: boolean;
  disabled_reason: string | null;
  disabled_at: string | null;
}

/** A project with one subscription, and the calls the tests make about it. */
async function subscribed(app: TestApp, url: string, events: string[] = ['*']) {
  const project = await app.newProject();
  const created = await app.http.post('/v1/webhooks').set(project.auth).send({ url, events });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { ...project, make: apiFactories(app, project.auth), ...endpointCalls(app, project, created.body.webhook_id as string) };
}

function endpointCalls(app: TestApp, project: { projectId: string; auth: Record<string, string> }, hookId: string) {
  const deliveries = async (): Promise<DeliveryWire[]> => {
    const res = await app.http.get(`/v1/webhooks/${hookId}/deliveries?limit=200`).set(project.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.data as DeliveryWire[];
  };
  return {
    hookId,
    // Scoped to the test's project: on a shared PostgreSQL other files' deliveries are not ours to send.
    tick: () => app.container.webhookDispatcher.tick({ projectId: project.projectId }),
    deliveries,
    async delivery(id: string): Promise<DeliveryWire> {
      const found = (await deliveries()).find((delivery) => delivery.delivery_id === id);
      expect(found, `delivery ${id}`).toBeDefined();
      return found!;
    },
    async webhook(): Promise<WebhookWire> {
      const res = await app.http.get(`/v1/webhooks/${hookId}`).set(project.auth);
      expect(res.status).toBe(200);
      return res.body as WebhookWire;
    },
    async sendTest(): Promise<{ event_id: string; delivery_id: string }> {
      const res = await app.http.post(`/v1/webhooks/${hookId}/test`).set(project.auth);
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body as { event_id: string; delivery_id: string };
    },
  };
}

/** Milliseconds from `clock` to the delivery's next attempt. */
const msUntilNextAttempt = (delivery: DeliveryWire, clock: Clock) => Date.parse(delivery.next_attempt_at!) - clock.now().getTime();

/** A TCP server that counts connections and closes each at once, to tell whether a client connected at all. */
async function connectionCounter(): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    count: () => connections,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const counter = await connectionCounter();
  await counter.close();
  return counter.port;
}

describe('the dispatcher driven by tick() and a test clock', () => {
  // Far in the future: no other file's dispatcher (on the real clock or an earlier test clock) ever
  // finds these deliveries due on a shared PostgreSQL, and every tick here is scoped to its project.
  const clock = createTestClock(new Date('2100-01-01T00:00:00.000Z'));
  const config = { webhookRetryDelaysSeconds: RETRY_DELAYS_SECONDS, webhookTimeoutMs: TIMEOUT_MS };
  let t: TestApp;
  let guarded: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    t = await createTestApp({ clock, config });
    guarded = await createTestApp({ clock, config: { ...config, webhookAllowPrivateNetworks: false } });
  });
  afterAll(async () => {
    await guarded?.close();
    await t?.close();
  });
  beforeEach(async () => {
    receiver = await createWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  const BIG_BODY = `upstream exploded: ${'x'.repeat(3000)}`;
  it.each([
    {
      down: 'answering 500',
      url: () => `${receiver.url}/hooks`,
      expected: { status_code: 500, error: null, response_snippet: BIG_BODY.slice(0, 1024) },
    },
    {
      down: 'on a closed port',
      url: async () => `http://127.0.0.1:${await closedPort()}/hooks`,
      expected: { status_code: null, error: expect.stringContaining('ECONNREFUSED'), response_snippet: null },
    },
  ])(
    'retries a receiver $down on the schedule, never early, then fails the delivery for good with every attempt logged',
    async ({ url, expected }) => {
      receiver.respondWith(() => ({ status: 500, body: BIG_BODY }));
      const h = await subscribed(t, await url());
      const { delivery_id: deliveryId } = await h.sendTest();
      const attemptTimes: string[] = [];

      for (const [index, delaySeconds] of RETRY_DELAYS_SECONDS.entries()) {
        attemptTimes.push(clock.now().toISOString());
        expect(await h.tick()).toBe(1);
        const pending = await h.delivery(deliveryId);
        expect(pending).toMatchObject({ status: 'pending', attempts: index + 1, completed_at: null, last_status_code: expected.status_code });
        // WEBHOOK_RETRY_DELAYS with ±20% jitter.
        const waitMs = msUntilNextAttempt(pending, clock);
        expect(waitMs).toBeGreaterThanOrEqual(delaySeconds * SECOND * 0.8);
        expect(waitMs).toBeLessThanOrEqual(delaySeconds * SECOND * 1.2);
        expect(await h.tick()).toBe(0);
        clock.advance(waitMs - 1);
        expect(await h.tick(), 'one millisecond before the retry is due').toBe(0);
        clock.advance(1);
      }
      attemptTimes.push(clock.now().toISOString());
      expect(await h.tick()).toBe(1);

      const failed = await h.delivery(deliveryId);
      expect(failed).toMatchObject({
        status: 'failed',
        attempts: RETRY_DELAYS_SECONDS.length + 1,
        next_attempt_at: null,
        completed_at: clock.now().toISOString(),
        last_status_code: expected.status_code,
        last_error: expected.error,
      });
      expect(failed.attempt_log).toEqual(
        attemptTimes.map((startedAt, i) => ({ attempt: i + 1, started_at: startedAt, duration_ms: expect.any(Number), ...expected })),
      );
      clock.advance(7 * DAY);
      expect(await h.tick(), 'a delivery that failed for good is not attempted again').toBe(0);
    },
  );

  it('sends every retry with the same webhook-id, the event id', async () => {
    receiver.respondWith(() => ({ status: 500 }));
    const h = await subscribed(t, `${receiver.url}/hooks`);
    const test = await h.sendTest();
    await h.tick();
    clock.advance(RETRY_DELAYS_SECONDS[0]! * SECOND * 1.2);
    receiver.respondWith(() => ({ status: 200, body: 'thanks' }));
    expect(await h.tick()).toBe(1);
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([test.event_id, test.event_id]);
    expect(await h.delivery(test.delivery_id)).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 200, next_attempt_at: null });
  });

  it('gives up on an attempt at WEBHOOK_TIMEOUT_MS and schedules a retry', async () => {
    // The endpoint holds its answer until the test is over: the attempt can only end by timing out.
    let letGo!: () => void;
    const held = new Promise<void>((resolve) => (letGo = resolve));
    receiver.respondWith(() => ({ status: 204, until: held }));
    try {
      const h = await subscribed(t, `${receiver.url}/hooks`);
      const test = await h.sendTest();
      expect(await h.tick()).toBe(1);
      const delivery = await h.delivery(test.delivery_id);
      expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null, last_error: `timed out after ${TIMEOUT_MS} ms` });
      expect(delivery.attempt_log[0]!.duration_ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
      expect(receiver.requests).toHaveLength(1);
    } finally {
      letGo();
    }
  });

  it('disables an endpoint that answers 410 Gone, fails the delivery, skips later events, and delivers again once re-enabled', async () => {
    receiver.respondWith(() => ({ status: 410, body: 'unsubscribed' }));
    const h = await subscribed(t, `${receiver.url}/hooks`);
    const session = await h.make.session();
    expect(await h.tick()).toBe(1);

    expect(await h.webhook()).toMatchObject({
      enabled: false,
      disabled_reason: 'the endpoint answered 410 Gone',
      disabled_at: clock.now().toISOString(),
    });
    // 410 ends the delivery although the schedule has retries left.
    const [gone] = await h.deliveries();
    expect(gone).toMatchObject({ event_type: 'session.created', status: 'failed', attempts: 1, last_status_code: 410, next_attempt_at: null });
    expect(gone!.attempt_log).toMatchObject([{ status_code: 410, response_snippet: 'unsubscribed' }]);

    receiver.respondWith(() => ({ status: 204 }));
    await h.make.checkpoint(session.session_id);
    clock.advance(DAY);
    expect(await h.tick()).toBe(0);
    // Nothing is owed to a disabled endpoint: events of that time get no delivery at all.
    expect(await h.deliveries()).toHaveLength(1);

    const reenabled = await t.http.patch(`/v1/webhooks/${h.hookId}`).set(h.auth).send({ enabled: true });
    expect(reenabled.status).toBe(200);
    expect(reenabled.body).toMatchObject({ enabled: true, disabled_reason: null, disabled_at: null });
    const checkpoint = await h.make.checkpoint(session.session_id);
    expect(await h.tick()).toBe(1);
    expect(receiver.requests).toHaveLength(2);
    expect(JSON.parse(receiver.requests[1]!.body)).toMatchObject({ type: 'checkpoint.created', data: { checkpoint_id: checkpoint.checkpoint_id } });
    expect((await h.deliveries())[0]).toMatchObject({ event_type: 'checkpoint.created', status: 'succeeded' });
  });

  it('disables an endpoint whose deliveries have failed for 5 days straight', async () => {
    receiver.respondWith(() => ({ status: 503 }));
    const h = await subscribed(t, `${receiver.url}/hooks`);
    await h.sendTest();
    expect(await h.tick()).toBe(1);

    clock.advance(5 * DAY - HOUR);
    expect(await h.tick()).toBe(1);
    expect(await h.webhook(), 'failing for 5 days less an hour').toMatchObject({ enabled: true, disabled_reason: null });

    clock.advance(2 * HOUR);
    expect(await h.tick()).toBe(1);
    expect(await h.webhook()).toMatchObject({
      enabled: false,
      disabled_reason: 'every delivery failed for 5 days',
      disabled_at: clock.now().toISOString(),
    });
    clock.advance(DAY);
    expect(await h.tick(), 'the retries left are not attempted while the endpoint is disabled').toBe(0);
    expect(receiver.requests).toHaveLength(3);
  });

  it('counts the 5 days from the first failure after the last success', async () => {
    receiver.respondWith(() => ({ status: 500 }));
    const h = await subscribed(t, `${receiver.url}/hooks`);
    await h.sendTest();
    expect(await h.tick()).toBe(1);
    clock.advance(4 * DAY);
    receiver.respondWith(() => ({ status: 204 }));
    expect(await h.tick()).toBe(1);

    receiver.respondWith(() => ({ status: 500 }));
    clock.advance(2 * DAY);
    await h.sendTest();
    expect(await h.tick()).toBe(1);
    clock.advance(HOUR);
    expect(await h.tick()).toBe(1);
    // 6 days and an hour after the first failure, but only an hour after the success.
    expect(await h.webhook()).toMatchObject({ enabled: true, disabled_reason: null });
    expect(receiver.requests).toHaveLength(4);
  });

  it('waits at least as long as Retry-After asks (seconds or an HTTP date), and never less than the schedule', async () => {
    const h = await subscribed(t, `${receiver.url}/hooks`);
    const test = await h.sendTest();

    receiver.respondWith(() => ({ status: 429, headers: { 'retry-after': '120' } }));
    expect(await h.tick()).toBe(1);
    let waitMs = msUntilNextAttempt(await h.delivery(test.delivery_id), clock);
    expect(waitMs).toBeGreaterThanOrEqual(120 * SECOND); // the schedule alone says 10 s ±20%
    expect(waitMs).toBeLessThan(121 * SECOND);
    clock.advance(waitMs - 1);
    expect(await h.tick()).toBe(0);
    clock.advance(1);

    const tenMinutesOn = new Date(clock.now().getTime() + 600 * SECOND).toUTCString();
    receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': tenMinutesOn } }));
    expect(await h.tick()).toBe(1);
    waitMs = msUntilNextAttempt(await h.delivery(test.delivery_id), clock);
    // An HTTP date has whole seconds, so up to a second of the 600 may be lost to rounding.
    expect(waitMs).toBeGreaterThanOrEqual(599 * SECOND);
    expect(waitMs).toBeLessThanOrEqual(600 * SECOND);
    clock.advance(waitMs);

    // A Retry-After shorter than the schedule does not bring the retry forward.
    receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': '1' } }));
    expect(await h.tick()).toBe(1);
    waitMs = msUntilNextAttempt(await h.delivery(test.delivery_id), clock);
    expect(waitMs).toBeGreaterThanOrEqual(RETRY_DELAYS_SECONDS[2]! * SECOND * 0.8);
    expect(receiver.requests).toHaveLength(3);
  });

  it.each([301, 302, 307, 308])('counts a %i as a failure and does not follow the redirect', async (status) => {
    const h = await subscribed(t, `${receiver.url}/hooks`);
    receiver.respondWith((request) =>
      request.path === '/hooks' ? { status, headers: { location: `${receiver.url}/moved` }, body: 'moved' } : { status: 204 },
    );
    const test = await h.sendTest();
    expect(await h.tick()).toBe(1);
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hooks']);
    const delivery = await h.delivery(test.delivery_id);
    expect(delivery).toMatchObject({ status: 'pending', attempts: 1, last_status_code: status });
    expect(delivery.attempt_log).toMatchObject([{ status_code: status, error: null, response_snippet: 'moved' }]);
  });

  it('delivers the event of a dispatcher that died holding the lease once the lease ends, with the same webhook-id', async () => {
    const h = await subscribed(t, `${receiver.url}/hooks`);
    const test = await h.sendTest();
    // What a dispatcher does before it calls the endpoint; it "dies" here and never records anything.
    const claimedAt = clock.now();
    const leaseUntil = new Date(claimedAt.getTime() + TIMEOUT_MS + LEASE_MARGIN_MS);
    const deliveriesRepository = t.container.repositories.webhookDeliveryQueue;
    const [dead, ...others] = await deliveriesRepository.claim({
      now: claimedAt,
      limit: 10,
      leaseUntil,
      inFlightByEndpoint: new Map(),
      perEndpoint: MAX_IN_FLIGHT_PER_ENDPOINT,
      projectId: h.projectId,
    });
    expect(others).toEqual([]);
    expect(dead).toMatchObject({ id: test.delivery_id, attemptNumber: 1, event: { id: test.event_id } });

    expect(await h.tick(), 'claimed by the dead dispatcher').toBe(0);
    clock.advance(leaseUntil.getTime() - claimedAt.getTime() - 1);
    expect(await h.tick(), 'the last millisecond of the lease').toBe(0);
    expect(receiver.requests).toEqual([]);
    clock.advance(1);
    expect(await h.tick()).toBe(1);

    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([test.event_id]);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ id: test.event_id, type: 'webhook.test' });
    // The claim counted as attempt 1 although it never reached the log; the takeover is attempt 2.
    let delivery = await h.delivery(test.delivery_id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 204, next_attempt_at: null });
    expect(delivery.attempt_log).toMatchObject([{ attempt: 2, status_code: 204, started_at: clock.now().toISOString() }]);

    // Should the "dead" dispatcher come back and record its attempt, the attempt is logged but the
    // delivery stays as its new owner settled it: the lease token no longer matches.
    await deliveriesRepository.record({
      claim: dead!,
      attempt: { startedAt: claimedAt, durationMs: 5, statusCode: 500, error: null, responseSnippet: 'late' },
      delivered: false,
      retryAt: new Date(clock.now().getTime() + HOUR),
      disableReason: 'every delivery failed for 5 days',
      now: clock.now(),
    });
    delivery = await h.delivery(test.delivery_id);
    expect(delivery).toMatchObject({ status: 'succeeded', attempts: 2, last_status_code: 204, next_attempt_at: null });
    expect(delivery.attempt_log.map((entry) => [entry.attempt, entry.status_code])).toEqual([
      [1, 500],
      [2, 204],
    ]);
    expect(await h.webhook()).toMatchObject({ enabled: true });
    clock.advance(2 * HOUR);
    expect(await h.tick()).toBe(0);
  });

  it('refuses at connection time, without opening a connection, an endpoint whose host leads to loopback', async () => {
    const counter = await connectionCounter();
    // The API refuses these URLs at registration, so they go straight into the table, as a URL
    // registered before a DNS change would be.
    const insertEndpoint = async (app: TestApp, url: string) => {
      const project = await app.newProject();
      const now = clock.now();
      const endpoint = await app.container.repositories.webhookEndpoints.insert({
        id: newId('wh'),
        projectId: project.projectId,
        url,
        eventTypes: ['*'],
        description: null,
        secret: newWebhookSecret(),
        previousSecret: null,
        previousSecretExpiresAt: null,
        enabled: true,
        disabledReason: null,
        disabledAt: null,
        failingSince: null,
        createdAt: now,
        updatedAt: now,
      });
      return endpointCalls(app, project, endpoint.id);
    };
    try {
      for (const url of [
        `http://localhost:${counter.port}/x`,
        `http://127.0.0.1:${counter.port}/x`,
        `http://[::ffff:127.0.0.1]:${counter.port}/x`,
        `http://[::127.0.0.1]:${counter.port}/x`,
        `http://[::ffff:0:127.0.0.1]:${counter.port}/x`,
        `http://[64:ff9b::127.0.0.1]:${counter.port}/x`,
      ]) {
        const h = await insertEndpoint(guarded, url);
        const test = await h.sendTest();
        expect(await h.tick()).toBe(1);
        const delivery = await h.delivery(test.delivery_id);
        expect(delivery, url).toMatchObject({ status: 'pending', attempts: 1, last_status_code: null });
        expect(delivery.last_error, url).toMatch(/refusing to connect: .*a loopback address/);
        expect(delivery.attempt_log).toMatchObject([{ status_code: null, error: delivery.last_error, response_snippet: null }]);
      }
      expect(counter.count()).toBe(0);

      // The control: where private networks are allowed, the same URL does reach the counter.
      const allowed = await insertEndpoint(t, `http://localhost:${counter.port}/x`);
      await allowed.sendTest();
      expect(await allowed.tick()).toBe(1);
      expect(counter.count()).toBeGreaterThan(0);
    } finally {
      await counter.close();
    }
  });
});

describe('the running dispatcher', () => {
  // Running from 1975: a started dispatcher claims whatever is due in every project. Other files'
  // deliveries (on the real clock, on test clocks from 2000 on, or webhook-replicas.test.ts's from
  // 1980) are never due on this one; housekeeping.test.ts's from 1960 may be, and it tolerates that.
  const CLOCK_START_MS = Date.parse('1975-01-01T00:00:00.000Z');
  const startedAt = Date.now();
  const pastClock: Clock = { now: () => new Date(CLOCK_START_MS + Date.now() - startedAt) };
  const SLOW_MS = 2000;
  let live: TestApp;
  const receivers: WebhookReceiver[] = [];
  const newReceiver = async () => {
    const receiver = await createWebhookReceiver();
    receivers.push(receiver);
    return receiver;
  };

  beforeAll(async () => {
    live = await createTestApp({ clock: pastClock, config: { webhookTimeoutMs: 3 * SLOW_MS, webhookRetryDelaysSeconds: [1] } });
    // Started once, and stopped by close(): stop() closes the HTTP connection pool for good.
    await live.container.webhookDispatcher.start();
  });
  afterAll(async () => {
    await live?.close();
  });
  afterEach(async () => {
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
  });

  async function settled(h: { deliveries: () => Promise<DeliveryWire[]> }, count: number) {
    for (let waited = 0; waited < 10_000; waited += 50) {
      const deliveries = await h.deliveries();
      if (deliveries.length === count && deliveries.every((delivery) => delivery.status !== 'pending')) return deliveries;
      await sleep(50);
    }
    throw new Error(`${count} deliveries did not settle`);
  }

  it('keeps delivering to a healthy endpoint while a slow one holds its requests', async () => {
    const healthy = await newReceiver();
    const slow = await newReceiver();
    let letSlowAnswer!: () => void;
    const slowAnswers = new Promise<void>((resolve) => (letSlowAnswer = resolve));
    slow.respondWith(() => ({ status: 204, until: slowAnswers }));
    const h = await subscribed(live, `${healthy.url}/hooks`);
    const slowHook = await live.http
      .post('/v1/webhooks')
      .set(h.auth)
      .send({ url: `${slow.url}/hooks`, events: ['*'] });
    expect(slowHook.status).toBe(201);

    try {
      // Twice as many events as the slow endpoint may have in flight, so it builds a backlog.
      const EVENTS = 2 * MAX_IN_FLIGHT_PER_ENDPOINT;
      for (let i = 0; i < EVENTS; i++) await h.make.session({ task_id: `isolation-${i}` });

      // Every event reaches the healthy endpoint while the slow one has not answered once.
      await healthy.waitFor(EVENTS, 2 * SLOW_MS);
      expect(slow.requests.length, 'attempts held open by the slow endpoint').toBeLessThanOrEqual(MAX_IN_FLIGHT_PER_ENDPOINT);

      letSlowAnswer();
      await slow.waitFor(EVENTS, 4 * SLOW_MS);
      const slowCalls = endpointCalls(live, h, slowHook.body.webhook_id as string);
      for (const calls of [h, slowCalls]) {
        const deliveries = await settled(calls, EVENTS);
        expect(deliveries.map((delivery) => [delivery.status, delivery.attempts])).toEqual(Array(EVENTS).fill(['succeeded', 1]));
      }
      expect(new Set(slow.requests.map((request) => request.headers['webhook-id'])).size).toBe(EVENTS);
    } finally {
      letSlowAnswer();
    }
  });

  it('never has more attempts open to one endpoint than its limit, counting those already in flight', async () => {
    const receiver = await newReceiver();
    let open = 0;
    let mostOpen = 0;
    receiver.respondWith(() => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      setTimeout(() => (open -= 1), 1000);
      return { status: 204, delayMs: 1000 };
    });
    const h = await subscribed(live, `${receiver.url}/hooks`);
    for (let i = 0; i < MAX_IN_FLIGHT_PER_ENDPOINT - 1; i++) await h.make.session({ task_id: `first-${i}` });
    await receiver.waitFor(MAX_IN_FLIGHT_PER_ENDPOINT - 1, 2000);
    // Arriving while three are in flight: only one more may start now.
    await Promise.all(Array.from({ length: 6 }, (_, i) => h.make.session({ task_id: `then-${i}` })));
    await receiver.waitFor(MAX_IN_FLIGHT_PER_ENDPOINT + 5, 8000);
    expect(mostOpen).toBe(MAX_IN_FLIGHT_PER_ENDPOINT);
  });
});

describe('a dispatcher that does not poll', () => {
  // It looks for due deliveries only when woken (the commit's NOTIFY, or an attempt ending): with a
  // poll interval of a day, every delivery it makes within the test was woken by its commit. Scoped
  // to one project, on a clock of 2200 that no other started dispatcher reaches, so that nothing
  // else takes its deliveries.
  const clock = createTestClock(new Date('2200-01-01T00:00:00.000Z'));
  let app: TestApp;
  let dispatcher: WebhookDispatcher;

  beforeAll(async () => {
    app = await createTestApp({ clock });
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await app?.close();
  });

  it('delivers each event once woken by the commit that wrote it', async () => {
    const receiver = await createWebhookReceiver();
    try {
      const h = await subscribed(app, `${receiver.url}/hooks`, ['session.threshold_crossed']);
      dispatcher = createDispatcher({
        deliveries: app.container.repositories.webhookDeliveryQueue,
        clock,
        http: createGuardedHttpAgent({ allowPrivateNetworks: true, timeoutMs: 10_000 }),
        retryDelaysSeconds: [1],
        timeoutMs: 10_000,
        logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
        subscribe: (onWake) => app.db.listen(WAKE_CHANNEL, onWake),
        pollIntervalMs: 24 * 60 * 60 * SECOND,
        projectId: h.projectId,
      });
      await dispatcher.start();
      for (let i = 0; i < 5; i++) {
        const session = await h.make.session({ token_budget: { total: 1000 } });
        const usage = await h.make.usage(session.session_id, 800);
        expect(usage.crossed).toEqual([75]);
        // Waiting for it to happen (bounded only so that a broken wake-up fails rather than hangs).
        await receiver.waitFor(i + 1, 60_000);
      }
      expect(receiver.requests.map((request) => JSON.parse(request.body).type)).toEqual(Array(5).fill('session.threshold_crossed'));
    } finally {
      await receiver.close();
    }
  });
});

describe('stopping the dispatcher', () => {
  it('is harmless twice, and a stopped dispatcher refuses to start again rather than fail every attempt', async () => {
    const app = await createTestApp({ clock: createTestClock(new Date('2100-01-01T00:00:00.000Z')) });
    try {
      const dispatcher = app.container.webhookDispatcher;
      await dispatcher.start();
      await dispatcher.stop();
      await expect(dispatcher.stop()).resolves.toBeUndefined();
      await expect(dispatcher.start()).rejects.toThrow('was stopped');
    } finally {
      await app.close();
    }
  });
});
