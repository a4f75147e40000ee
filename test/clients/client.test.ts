// The typed client (packages/client) against the real service listening on a loopback port, over
// real HTTP; retries go through a small proxy that fails the first attempts on purpose.
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, generateClientTypes } from '../../scripts/openapi-client-types.js';
import { OPENAPI_YAML_PATH } from '../../scripts/openapi-document.js';
import {
  createClient,
  isStreamReset,
  ProblemError,
  ServiceUnreachableError,
  verifyWebhook,
  WebhookVerificationError,
  type ClientOptions,
} from '@session-state/client';
import { retryAfterMs } from '../../packages/client/src/retry.js';
import { useTestApp } from '../helpers/app.js';
import { until } from '../helpers/event-stream.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

// Retries in tests wait milliseconds, not the default hundreds.
const FAST_RETRIES = { retries: 3, minDelayMs: 5, maxDelayMs: 50 };

const t = useTestApp({ listen: true });

async function newClient(options: Partial<ClientOptions> = {}) {
  const project = await t.newProject();
  const client = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: FAST_RETRIES, ...options });
  return { ...project, client };
}

/** What a proxy does with one request: forward it, answer it itself, or cut the connection. */
type ProxyAction =
  | { kind: 'forward' }
  | { kind: 'answer'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'drop-before' }
  /** Forward, let the service do the work, then cut the connection before answering. */
  | { kind: 'drop-after' };

interface ProxiedRequest {
  method: string;
  path: string;
  idempotencyKey: string | undefined;
}

/** A loopback HTTP proxy in front of the service, playing `plan` on the requests it receives. */
async function startProxy(upstream: string, plan: (index: number, request: ProxiedRequest) => ProxyAction) {
  const seen: ProxiedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const request: ProxiedRequest = { method: req.method!, path: req.url!, idempotencyKey: header(req, 'idempotency-key') };
      seen.push(request);
      const action = plan(seen.length - 1, request);
      if (action.kind === 'drop-before') return req.socket.destroy();
      if (action.kind === 'answer') {
        res.writeHead(action.status, { 'content-type': 'application/problem+json', ...action.headers });
        return res.end(
          action.body ?? JSON.stringify({ type: 'about:blank', title: 'Injected', status: action.status, detail: 'by the proxy', code: 'INJECTED' }),
        );
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([name]) => !['host', 'connection', 'content-length'].includes(name)),
      ) as Record<string, string>;
      const body = chunks.length > 0 ? Buffer.concat(chunks) : undefined;
      const upstreamResponse = await fetch(`${upstream}${req.url}`, { method: req.method, headers, body });
      const responseBody = Buffer.from(await upstreamResponse.arrayBuffer());
      if (action.kind === 'drop-after') return req.socket.destroy();
      res.writeHead(upstreamResponse.status, Object.fromEntries(upstreamResponse.headers));
      res.end(responseBody);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('packages/client/src/openapi-types.ts', () => {
  it('is what openapi-typescript generates from the committed openapi.yaml', async () => {
    const [yaml, committed] = await Promise.all([readFile(OPENAPI_YAML_PATH, 'utf8'), readFile(CLIENT_TYPES_PATH, 'utf8')]);
    // On failure: `npm run openapi` regenerates both files; commit them.
    expect(committed, 'the client types are stale: run `npm run openapi`').toBe(await generateClientTypes(yaml));
  });
});

describe('typed calls', () => {
  it('creates a session, counts usage, checkpoints and reads it all back over HTTP', async () => {
    const { client, projectId } = await newClient();

    const { data: session, response } = await client.POST('/v1/sessions', {
      body: { task_id: 'SPEC-042', token_budget: { total: 100_000 }, context: { plan: 'refactor auth', temp_context: { scratch: 1 } } },
    });
    expect(response.status).toBe(201);
    expect(session).toMatchObject({ project_id: projectId, task_id: 'SPEC-042', status: 'active', level: 'normal' });
    const id = session.session_id;

    const { data: usage } = await client.POST('/v1/sessions/{id}/usage', {
      params: { path: { id } },
      body: { input_tokens: 70_000, output_tokens: 8_000, source: 'planner' },
    });
    expect(usage).toEqual({
      session_id: id,
      token_budget: { total: 100_000, used: 78_000, reserved: 0, available: 22_000, position_percent: 78 },
      level: 'defer_non_critical',
      crossed: [75],
      status: 'active',
      tokens: 78_000,
      classes: { input: 70_000, cache_read: 0, cache_write: 0, cache_write_1h: 0, output: 8_000, reasoning: 0 },
      // The default model's built-in prices: 70,000 × $3 + 8,000 × $15 per million.
      cost_usd: '0.33',
      price_version: 'catalog:2025-12-01',
      cost: { used_usd: '0.33', limit_usd: null, position_percent: null },
      cost_crossed: [],
    });

    const { data: checkpoint } = await client.POST('/v1/sessions/{id}/checkpoints', { params: { path: { id } }, body: { phase: 'iteration_2' } });
    expect(checkpoint).toMatchObject({ session_id: id, phase: 'iteration_2', context_snapshot: { plan: 'refactor auth' } });

    const { data: read, response: readResponse } = await client.GET('/v1/sessions/{id}', { params: { path: { id } } });
    expect(readResponse.headers.get('etag')).toBe(`"${read.version}"`);
    expect(read).toMatchObject({ checkpoints_count: 1, deferred_context: { temp_context: { scratch: 1 } }, token_budget: usage.token_budget });

    const { data: patched } = await client.PATCH('/v1/sessions/{id}', {
      params: { path: { id } },
      headers: { 'if-match': readResponse.headers.get('etag')! },
      body: { context: { plan: null, step: 3 } },
    });
    expect(patched.context).toEqual({ step: 3 });

    const { data: history } = await client.GET('/v1/sessions/{id}/usage', { params: { path: { id }, query: { limit: 10 } } });
    expect(history.data.map((entry) => [entry.tokens, entry.source])).toEqual([[78_000, 'planner']]);
    const { data: listed } = await client.GET('/v1/sessions/{id}/checkpoints', { params: { path: { id } } });
    expect(listed).toEqual({ data: [checkpoint], next_cursor: null });
  });

  it('counts two identical calls twice: each call gets its own Idempotency-Key', async () => {
    const { client, apiKey } = await newClient();
    const { data: session } = await client.POST('/v1/sessions', { body: { task_id: 'T' } });
    const id = session.session_id;
    const proxy = await startProxy(t.baseUrl, () => ({ kind: 'forward' }));
    try {
      const viaProxy = createClient({ baseUrl: proxy.url, apiKey, retries: 0 });
      await viaProxy.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 1_000 } });
      await viaProxy.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 1_000 } });

      const keys = proxy.seen.map((request) => request.idempotencyKey);
      expect(keys).toHaveLength(2);
      expect(keys.every((key) => typeof key === 'string' && key.length > 0)).toBe(true);
      expect(new Set(keys).size).toBe(2);
      const { data } = await client.GET('/v1/sessions/{id}', { params: { path: { id } } });
      expect(data.token_budget.used).toBe(2_000);
    } finally {
      await proxy.close();
    }
  });
});

describe('problems', () => {
  it('throws a ProblemError with the RFC 9457 fields on a 404', async () => {
    const { client } = await newClient();

    const error = await client
      .GET('/v1/sessions/{id}', { params: { path: { id: 'sess_00000000000000000000000000000000' } } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    expect((error as ProblemError).toJSON()).toEqual({
      type: '/problems/not-found',
      title: 'Resource not found',
      status: 404,
      detail: expect.stringContaining('sess_00000000000000000000000000000000'),
      instance: '/v1/sessions/sess_00000000000000000000000000000000',
      code: 'NOT_FOUND',
    });
  });

  it('carries every failed check of a 422 in errors', async () => {
    const { client } = await newClient();
    const { data: session } = await client.POST('/v1/sessions', { body: { task_id: 'T', token_budget: { total: 100_000 } } });
    await client.POST('/v1/sessions/{id}/usage', { params: { path: { id: session.session_id } }, body: { tokens: 80_000 } });

    const error = await client
      .POST('/v1/handoffs', { body: { from_agent: 'a', to_agent: 'b', session_id: session.session_id, task_context: {} } })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    const problem = error as ProblemError;
    expect(problem).toMatchObject({ status: 422, code: 'HANDOFF_INVALID', type: '/problems/handoff-invalid' });
    expect(problem.errors?.map((e) => e.path)).toContain('session_context.available_tokens');
    expect(problem.message).toContain('422');
  });

  it('names each unknown field of a 400 and the 401 of a wrong key', async () => {
    const { client } = await newClient();
    const invalid = await client.POST('/v1/sessions', { body: { task_id: 'T', taks: 'typo' } as never }).catch((e: unknown) => e);
    expect(invalid).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', errors: [{ path: 'body.taks', message: 'unknown field "taks"' }] });

    const stranger = createClient({ baseUrl: t.baseUrl, apiKey: 'sss_not_a_key_of_this_service', retries: 0 });
    const unauthorized = await stranger.GET('/v1/models').catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(ProblemError);
    expect(unauthorized).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});

describe('retries', () => {
  async function sessionBehindProxy(plan: Parameters<typeof startProxy>[1]) {
    const { client, apiKey } = await newClient();
    const { data: session } = await client.POST('/v1/sessions', { body: { task_id: 'T' } });
    const proxy = await startProxy(t.baseUrl, plan);
    proxies.push(proxy);
    const viaProxy = createClient({ baseUrl: proxy.url, apiKey, retries: FAST_RETRIES });
    const usedTokens = async () => (await client.GET('/v1/sessions/{id}', { params: { path: { id: session.session_id } } })).data.token_budget.used;
    return { client, viaProxy, proxy, id: session.session_id, usedTokens };
  }
  let proxies: Awaited<ReturnType<typeof startProxy>>[] = [];
  beforeEach(() => {
    proxies = [];
  });
  afterEach(async () => {
    await Promise.all(proxies.map((proxy) => proxy.close()));
  });

  it.each([
    ['a 503', { kind: 'answer', status: 503 }],
    ['a 429 with Retry-After: 0', { kind: 'answer', status: 429, headers: { 'retry-after': '0' } }],
    ['a connection dropped before the service saw the request', { kind: 'drop-before' }],
    [
      'a 409 "request in progress"',
      {
        kind: 'answer',
        status: 409,
        headers: { 'retry-after': '0' },
        body: JSON.stringify({
          type: '/problems/idempotency-request-in-progress',
          title: 'In progress',
          status: 409,
          detail: 'retry shortly',
          code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS',
        }),
      },
    ],
  ] as const)('sends the request again after %s, with the same Idempotency-Key, and counts it once', async (_, failure) => {
    const { viaProxy, proxy, id, usedTokens } = await sessionBehindProxy((index) => (index === 0 ? failure : { kind: 'forward' }));

    const { data } = await viaProxy.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 15_000 } });

    expect(data.token_budget.used).toBe(15_000);
    expect(proxy.seen).toHaveLength(2);
    expect(proxy.seen[0]!.idempotencyKey).toBeDefined();
    expect(proxy.seen[1]!.idempotencyKey).toBe(proxy.seen[0]!.idempotencyKey);
    expect(await usedTokens()).toBe(15_000);
  });

  it('gets the first response replayed when the connection dropped after the service counted the update', async () => {
    const { viaProxy, proxy, id, usedTokens } = await sessionBehindProxy((index) => (index === 0 ? { kind: 'drop-after' } : { kind: 'forward' }));

    const { data, response } = await viaProxy.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 15_000 } });

    expect(proxy.seen).toHaveLength(2);
    expect(proxy.seen[1]!.idempotencyKey).toBe(proxy.seen[0]!.idempotencyKey);
    expect(response.headers.get('idempotent-replayed')).toBe('true');
    expect(data.token_budget.used).toBe(15_000);
    expect(await usedTokens()).toBe(15_000);
  });

  it('creates one session when a create is retried after a dropped connection', async () => {
    const { viaProxy, client, proxy } = await sessionBehindProxy((index) => (index === 0 ? { kind: 'drop-after' } : { kind: 'forward' }));

    const { data: created } = await viaProxy.POST('/v1/sessions', { body: { task_id: 'ONCE-ONLY' } });

    expect(proxy.seen).toHaveLength(2);
    const { data: listed } = await client.GET('/v1/sessions', { params: { query: { task_id: 'ONCE-ONLY' } } });
    expect(listed.data.map((s) => s.session_id)).toEqual([created.session_id]);
  });

  it.each([
    ['a 500', { kind: 'answer', status: 500 }, 500],
    ['a 429 asking to wait longer than maxDelayMs', { kind: 'answer', status: 429, headers: { 'retry-after': '120' } }, 429],
  ] as const)('does not retry %s: it throws the problem after one attempt', async (_, failure, status) => {
    const { viaProxy, proxy, id, usedTokens } = await sessionBehindProxy((index) => (index === 0 ? failure : { kind: 'forward' }));

    const error = await viaProxy.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 15_000 } }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ status, code: 'INJECTED' });
    expect(proxy.seen).toHaveLength(1);
    expect(await usedTokens()).toBe(0);
  });

  it('does not retry a 409 from the service', async () => {
    const { viaProxy, client, proxy, id } = await sessionBehindProxy(() => ({ kind: 'forward' }));
    await client.POST('/v1/sessions/{id}/archive', { params: { path: { id } }, body: {} });

    const error = await viaProxy.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 1 } }).catch((e: unknown) => e);

    expect(error).toMatchObject({ status: 409, code: 'SESSION_ARCHIVED' });
    expect(proxy.seen).toHaveLength(1);
  });

  it('never sends a secret rotation twice: a dropped connection is reported, not retried', async () => {
    const { client, apiKey } = await newClient();
    const { data: hook } = await client.POST('/v1/webhooks', { body: { url: 'http://127.0.0.1:9/hooks', events: ['*'] } });
    const proxy = await startProxy(t.baseUrl, () => ({ kind: 'drop-after' }));
    proxies.push(proxy);
    const viaProxy = createClient({ baseUrl: proxy.url, apiKey, retries: FAST_RETRIES });

    const error = await viaProxy
      .POST('/v1/webhooks/{id}/rotate-secret', { params: { path: { id: hook.webhook_id } }, body: {} })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect(error).toMatchObject({ attempts: 1 });
    expect(proxy.seen).toHaveLength(1);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-11-30T12:00:00Z');
    expect(retryAfterMs('3', now)).toBe(3_000);
    expect(retryAfterMs('Mon, 30 Nov 2026 12:00:02 GMT', now)).toBe(2_000);
    expect(retryAfterMs('Mon, 30 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null, now)).toBeUndefined();
  });

  it('throws ServiceUnreachableError after every attempt at a closed port failed', async () => {
    const client = createClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, apiKey: 'sss_whatever_key_0123456789', retries: FAST_RETRIES });

    const error = await client.GET('/v1/models').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ServiceUnreachableError);
    expect(error).toMatchObject({ attempts: FAST_RETRIES.retries + 1 });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });
});

describe('verifyWebhook', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await createWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  async function deliveredTestEvent(client: ReturnType<typeof createClient>, projectId: string, webhookId: string) {
    const before = receiver.requests.length;
    const { data: test } = await client.POST('/v1/webhooks/{id}/test', { params: { path: { id: webhookId } }, body: {} });
    await t.container.webhookDispatcher.tick({ projectId });
    const [request] = (await receiver.waitFor(before + 1)).slice(before);
    return { request: request!, eventId: test.event_id };
  }

  it('accepts a real delivery with its secret and rejects a changed body or another secret', async () => {
    const { client, projectId } = await newClient();
    const { data: hook } = await client.POST('/v1/webhooks', { body: { url: `${receiver.url}/hooks`, events: ['*'] } });
    const { request, eventId } = await deliveredTestEvent(client, projectId, hook.webhook_id);

    const event = verifyWebhook(hook.secret, request.headers, request.body);
    expect(event).toMatchObject({ id: eventId, type: 'webhook.test' });
    expect(verifyWebhook(hook.secret, new Headers(request.headers), Buffer.from(request.body))).toEqual(event);

    expect(() => verifyWebhook(hook.secret, request.headers, request.body.replace('webhook.test', 'webhook.fake'))).toThrow(WebhookVerificationError);
    const { data: other } = await client.POST('/v1/webhooks', { body: { url: `${receiver.url}/other`, events: ['*'] } });
    expect(() => verifyWebhook(other.secret, request.headers, request.body)).toThrow(WebhookVerificationError);
    const unsigned = Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== 'webhook-signature'));
    expect(() => verifyWebhook(hook.secret, unsigned, request.body)).toThrow(/webhook-signature/);
  });

  it('accepts either secret during a rotation, when the delivery carries two signatures', async () => {
    const { client, projectId } = await newClient();
    const { data: hook } = await client.POST('/v1/webhooks', { body: { url: `${receiver.url}/hooks`, events: ['*'] } });
    const { data: rotated } = await client.POST('/v1/webhooks/{id}/rotate-secret', { params: { path: { id: hook.webhook_id } }, body: {} });
    const { request } = await deliveredTestEvent(client, projectId, hook.webhook_id);

    expect(request.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verifyWebhook(hook.secret, request.headers, request.body).type).toBe('webhook.test');
    expect(verifyWebhook(rotated.secret, request.headers, request.body).type).toBe('webhook.test');
    const { data: unrelated } = await client.POST('/v1/webhooks', { body: { url: `${receiver.url}/other`, events: ['*'] } });
    expect(verifyWebhook([unrelated.secret, rotated.secret], request.headers, request.body).type).toBe('webhook.test');
  });
});

describe('client.events.stream', () => {
  async function checkpoint(client: ReturnType<typeof createClient>, id: string, phase: string) {
    await client.POST('/v1/sessions/{id}/checkpoints', { params: { path: { id } }, body: { phase } });
  }

  it('yields the events as they commit, and after a dropped connection exactly the missed ones, reconnecting with Last-Event-ID', async () => {
    const { client } = await newClient();
    const { data: session } = await client.POST('/v1/sessions', { body: { task_id: 'STREAM-CLIENT' } });
    const seen: { id: string; phase: unknown }[] = [];
    const stream = client.events.stream({ sessionId: session.session_id, types: ['checkpoint.created'], reconnectDelayMs: 10 });
    const reading = (async () => {
      for await (const event of stream) {
        if (isStreamReset(event)) throw new Error('unexpected reset');
        seen.push({ id: event.id, phase: event.data.phase });
        if (seen.length === 4) break;
      }
    })();
    await until(() => t.container.eventHub.openStreams > 0, 'the stream to open');
    await checkpoint(client, session.session_id, 'one');
    await until(() => seen.length === 1, 'the first event');
    // The server drops every stream; two checkpoints commit before the client is back.
    t.container.eventHub.endAll();
    await checkpoint(client, session.session_id, 'two');
    await checkpoint(client, session.session_id, 'three');
    await until(() => seen.length === 3, 'the missed events');
    await checkpoint(client, session.session_id, 'four');
    await reading;

    expect(seen.map((event) => event.phase)).toEqual(['one', 'two', 'three', 'four']);
    expect(new Set(seen.map((event) => event.id)).size).toBe(4);
    // Breaking out of the loop closed the stream.
    await until(() => t.container.eventHub.openStreams === 0, 'the stream to close');
  });

  it('throws the ProblemError of a refused stream, and ServiceUnreachableError when nothing answers', async () => {
    const { client } = await newClient();
    const missing = client.events.stream({ sessionId: 'sess_00000000000000000000000000000000' });
    await expect(missing.next()).rejects.toMatchObject({ name: 'ProblemError', status: 404, code: 'NOT_FOUND' });

    const nowhere = createClient({ baseUrl: `http://127.0.0.1:${await closedPort()}`, apiKey: 'sss_x' });
    await expect(nowhere.events.stream().next()).rejects.toBeInstanceOf(ServiceUnreachableError);
  });
});
