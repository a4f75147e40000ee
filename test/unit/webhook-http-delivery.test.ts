import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSE_SNIPPET_MAX_BYTES, deliverOnce } from '../../src/modules/webhooks/http-delivery.js';
import { createGuardedHttpAgent } from '../../src/modules/webhooks/url-guard.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const BODY = JSON.stringify({ id: 'evt_1', type: 'webhook.test', created_at: '2026-01-01T00:00:00.000Z', data: {} });
const TIMEOUT_MS = 2000;

describe('deliverOnce', () => {
  let receiver: WebhookReceiver;
  const dispatcher = new Agent();

  beforeAll(async () => {
    receiver = await createWebhookReceiver();
  });

  afterEach(() => {
    receiver.requests.length = 0;
    receiver.respondWith(() => ({ status: 204 }));
  });

  afterAll(async () => {
    await dispatcher.close();
    await receiver.close();
  });

  const deliver = (path = '/hook', timeoutMs = TIMEOUT_MS) =>
    deliverOnce({ url: `${receiver.url}${path}`, headers: { 'webhook-id': 'evt_1' }, body: BODY, timeoutMs, dispatcher });

  it('POSTs the body as JSON with the given headers', async () => {
    const attempt = await deliver('/hooks/a?x=1');
    expect(attempt).toMatchObject({ ok: true, status: 204, responseSnippet: '', error: null });
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]).toMatchObject({
      path: '/hooks/a?x=1',
      body: BODY,
      headers: { 'content-type': 'application/json', 'webhook-id': 'evt_1' },
    });
  });

  it.each([
    { status: 200, ok: true },
    { status: 201, ok: true },
    { status: 299, ok: true },
    { status: 400, ok: false },
    { status: 410, ok: false },
    { status: 429, ok: false },
    { status: 500, ok: false },
    { status: 503, ok: false },
  ])('reports status $status as ok: $ok', async ({ status, ok }) => {
    receiver.respondWith(() => ({ status, body: `answer ${status}` }));
    const attempt = await deliver();
    expect(attempt).toEqual({
      ok,
      status,
      durationMs: expect.any(Number),
      responseSnippet: `answer ${status}`,
      error: null,
      retryAfter: null,
    });
  });

  it.each([301, 302, 303, 307, 308])('does not follow a %i redirect and counts it as a failure', async (status) => {
    receiver.respondWith((request) => (request.path === '/hook' ? { status, headers: { location: `${receiver.url}/elsewhere` } } : { status: 200 }));
    const attempt = await deliver();
    expect(attempt).toMatchObject({ ok: false, status, error: null });
    expect(receiver.requests.map((request) => request.path)).toEqual(['/hook']);
  });

  it('passes on the Retry-After header of the answer', async () => {
    receiver.respondWith(() => ({ status: 503, headers: { 'retry-after': '120' } }));
    const attempt = await deliverOnce({ url: `${receiver.url}/hook`, headers: {}, body: BODY, timeoutMs: TIMEOUT_MS, dispatcher });
    expect(attempt).toMatchObject({ ok: false, status: 503, retryAfter: '120' });
  });

  it('times out on a slow endpoint and reports an error without a status', async () => {
    receiver.respondWith(() => ({ status: 200, delayMs: 1000 }));
    const attempt = await deliver('/hook', 200);
    expect(attempt).toMatchObject({ ok: false, status: null, responseSnippet: null, error: 'timed out after 200 ms' });
    expect(attempt.durationMs).toBeGreaterThanOrEqual(190);
    expect(attempt.durationMs).toBeLessThan(1000);
  });

  it('cuts a large response body to the first 1024 bytes', async () => {
    const large = 'a'.repeat(RESPONSE_SNIPPET_MAX_BYTES - 4) + 'bbbbcccc' + 'd'.repeat(1_000_000);
    receiver.respondWith(() => ({ status: 200, body: large }));
    const attempt = await deliver();
    expect(attempt.ok).toBe(true);
    expect(attempt.responseSnippet).toHaveLength(RESPONSE_SNIPPET_MAX_BYTES);
    expect(attempt.responseSnippet?.endsWith('abbbb')).toBe(true);
  });

  it('reports a refused connection as an error without a status', async () => {
    const closedPort = await unusedPort();
    const attempt = await deliverOnce({
      url: `http://127.0.0.1:${closedPort}/hook`,
      headers: {},
      body: BODY,
      timeoutMs: TIMEOUT_MS,
      dispatcher,
    });
    expect(attempt).toEqual({
      ok: false,
      status: null,
      durationMs: expect.any(Number),
      responseSnippet: null,
      error: expect.stringContaining('ECONNREFUSED'),
      retryAfter: null,
    });
  });

  it('reports an address refused by the guarded dispatcher as an error', async () => {
    const guarded = createGuardedHttpAgent({ allowPrivateNetworks: false, timeoutMs: TIMEOUT_MS });
    try {
      const attempt = await deliverOnce({ url: `${receiver.url}/hook`, headers: {}, body: BODY, timeoutMs: TIMEOUT_MS, dispatcher: guarded });
      expect(attempt).toMatchObject({
        ok: false,
        status: null,
        error: 'refusing to connect: 127.0.0.1 is a loopback address (WEBHOOK_ADDRESS_REFUSED)',
      });
      expect(receiver.requests).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });

  it('delivers through the guarded dispatcher when private networks are allowed', async () => {
    const guarded = createGuardedHttpAgent({ allowPrivateNetworks: true, timeoutMs: TIMEOUT_MS });
    try {
      const attempt = await deliverOnce({ url: `${receiver.url}/hook`, headers: {}, body: BODY, timeoutMs: TIMEOUT_MS, dispatcher: guarded });
      expect(attempt).toMatchObject({ ok: true, status: 204 });
    } finally {
      await guarded.close();
    }
  });
});

describe('deliverOnce against an endpoint that stalls mid-body', () => {
  let server: Server;
  let url: string;
  const dispatcher = new Agent();

  beforeAll(async () => {
    // Sends the status and a few bytes at once, then nothing: the timeout must cover the body too.
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });

  afterAll(async () => {
    await dispatcher.close();
    server.closeAllConnections();
    await new Promise<void>((done) => server.close(() => done()));
  });

  it('times out with the status it saw but not ok', async () => {
    const attempt = await deliverOnce({ url, headers: {}, body: BODY, timeoutMs: 200, dispatcher });
    expect(attempt).toMatchObject({ ok: false, status: 200, error: 'timed out after 200 ms' });
    expect(attempt.durationMs).toBeLessThan(1000);
  });
});

/** A port nothing listens on: bound once by the OS, then released. */
async function unusedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}
