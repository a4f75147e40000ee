// GET /v1/events/stream over real HTTP, with a real EventSource client and with fetch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { useTestApp } from '../helpers/app.js';
import { fetchStream, openEventSource, until } from '../helpers/event-stream.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const STREAMS_PER_KEY = 3;
const t = useTestApp({ listen: true, config: { eventStreamsPerKey: STREAMS_PER_KEY, eventStreamHeartbeatMs: 100, eventRetentionDays: 1 } });

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await createWebhookReceiver();
});
afterAll(async () => {
  await receiver.close();
});

type Auth = { authorization: string };

async function newSession(auth: Auth, body: object = {}): Promise<string> {
  const res = await t.http
    .post('/v1/sessions')
    .set(auth)
    .send({ task_id: 'STREAM-1', token_budget: { total: 1000 }, ...body });
  expect(res.status, res.text).toBe(201);
  return res.body.session_id as string;
}

async function checkpoint(auth: Auth, sessionId: string, phase: string): Promise<string> {
  const res = await t.http.post(`/v1/sessions/${sessionId}/checkpoints`).set(auth).send({ phase });
  expect(res.status, res.text).toBe(201);
  return res.body.checkpoint_id as string;
}

async function fork(auth: Auth, sessionId: string): Promise<string> {
  const res = await t.http.post(`/v1/sessions/${sessionId}/fork`).set(auth).send({});
  expect(res.status, res.text).toBe(201);
  return res.body.session_id as string;
}

const phasesOf = (messages: { data: string }[]) => messages.map((message) => (JSON.parse(message.data) as { data: { phase?: string } }).data.phase);

describe('GET /v1/events/stream', () => {
  it('delivers a threshold crossing live, with the very body its webhook delivery carries', async () => {
    const { projectId, apiKey, auth } = await t.newProject();
    const webhook = await t.http
      .post('/v1/webhooks')
      .set(auth)
      .send({ url: `${receiver.url}/hook`, events: ['session.threshold_crossed'] });
    expect(webhook.status, webhook.text).toBe(201);
    const sessionId = await newSession(auth);
    const stream = openEventSource(t.baseUrl, apiKey, '?types=session.threshold_crossed');
    await until(() => stream.opens === 1, 'the stream to open');

    const usage = await t.http.post(`/v1/sessions/${sessionId}/usage`).set(auth).send({ tokens: 800 });
    expect(usage.body.crossed).toEqual([75]);
    const [message] = await stream.waitFor(1, 'the crossing');
    await t.container.webhookDispatcher.tick({ projectId });
    const [delivery] = await receiver.waitFor(1);
    stream.close();

    expect(message!.event).toBe('session.threshold_crossed');
    expect(message!.data).toBe(delivery!.body);
    expect(message!.id).toBe(delivery!.headers['webhook-id']);
    expect(JSON.parse(message!.data)).toMatchObject({ type: 'session.threshold_crossed', data: { session_id: sessionId, threshold: 75 } });
  });

  it('answers text/event-stream that proxies must not buffer, and a keep-alive comment while idle', async () => {
    const { auth } = await t.newProject();
    const stream = await fetchStream(t.baseUrl, auth);
    // The opening comment, then the heartbeat (every 100 ms in this file, 15 s by default).
    await until(() => stream.comments.length >= 2, 'a heartbeat');
    stream.close();

    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.response.headers.get('x-request-id')).toBeTruthy();
    expect(stream.comments.every((comment) => comment.trim() === 'keep-alive')).toBe(true);
    expect(stream.messages).toEqual([]);
  });

  it('replays exactly the events missed while disconnected, in order, when EventSource reconnects with Last-Event-ID', async () => {
    const { apiKey, auth } = await t.newProject();
    const sessionId = await newSession(auth);
    const stream = openEventSource(t.baseUrl, apiKey, '?types=checkpoint.created');
    await until(() => stream.opens === 1, 'the stream to open');
    await checkpoint(auth, sessionId, 'p1');
    await checkpoint(auth, sessionId, 'p2');
    await stream.waitFor(2, 'the first two checkpoints');

    // The server ends every stream (as a replica shutting down does); EventSource reconnects by
    // itself, with the id of the last event it got. Meanwhile three more events commit.
    t.container.eventHub.endAll();
    await checkpoint(auth, sessionId, 'p3');
    await checkpoint(auth, sessionId, 'p4');
    await checkpoint(auth, sessionId, 'p5');
    await stream.waitFor(5, 'the missed checkpoints');
    await until(() => stream.opens === 2, 'the reconnect');
    await checkpoint(auth, sessionId, 'p6');
    await stream.waitFor(6, 'a live one after the reconnect');
    stream.close();

    expect(phasesOf(stream.messages)).toEqual(['p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(new Set(stream.messages.map((message) => message.id)).size).toBe(6);
  });

  it('replays after the event named by Last-Event-ID (over ?after=) with fetch, then goes on live', async () => {
    const { auth } = await t.newProject();
    const sessionId = await newSession(auth);
    const first = await fetchStream(t.baseUrl, auth, '?types=checkpoint.created');
    for (const phase of ['a', 'b', 'c']) await checkpoint(auth, sessionId, phase);
    const [a, b] = await first.waitFor(3);
    first.close();

    const resumed = await fetchStream(t.baseUrl, { ...auth, 'last-event-id': a!.id! }, `?types=checkpoint.created&after=${b!.id}`);
    await resumed.waitFor(2, 'the replay');
    await checkpoint(auth, sessionId, 'd');
    await resumed.waitFor(3, 'the live event');
    resumed.close();

    expect(phasesOf(resumed.messages)).toEqual(['b', 'c', 'd']);
  });

  it('filters by type, and by session with or without its descendants, forks made after the stream opened included', async () => {
    const { apiKey, auth } = await t.newProject();
    const parent = await newSession(auth);
    const stranger = await newSession(auth);
    const family = openEventSource(t.baseUrl, apiKey, `?session_id=${parent}&descendants=true&types=checkpoint.created`);
    const alone = openEventSource(t.baseUrl, apiKey, `?session_id=${parent}&types=checkpoint.created,session.archived`);
    await until(() => family.opens === 1 && alone.opens === 1, 'both streams to open');

    await checkpoint(auth, parent, 'parent-1');
    const child = await fork(auth, parent);
    await checkpoint(auth, stranger, 'stranger');
    await checkpoint(auth, child, 'child');
    const grandchild = await fork(auth, child);
    await checkpoint(auth, grandchild, 'grandchild');
    await checkpoint(auth, parent, 'parent-2');
    await t.http.post(`/v1/sessions/${child}/archive`).set(auth).send({});
    await t.http.post(`/v1/sessions/${parent}/archive`).set(auth).send({});

    await family.waitFor(4);
    await alone.waitFor(3);
    family.close();
    alone.close();
    expect(phasesOf(family.messages)).toEqual(['parent-1', 'child', 'grandchild', 'parent-2']);
    expect(alone.messages.map((message) => message.event)).toEqual(['checkpoint.created', 'checkpoint.created', 'session.archived']);
    expect(JSON.parse(alone.messages[2]!.data)).toMatchObject({ data: { session_id: parent } });
  });

  it("never carries another project's events", async () => {
    const mine = await t.newProject();
    const theirs = await t.newProject();
    const mySession = await newSession(mine.auth);
    const theirSession = await newSession(theirs.auth);
    const stream = openEventSource(t.baseUrl, mine.apiKey);
    await until(() => stream.opens === 1, 'the stream to open');

    await checkpoint(theirs.auth, theirSession, 'theirs');
    await checkpoint(mine.auth, mySession, 'mine');
    await stream.waitFor(1);
    stream.close();

    // Their checkpoint committed first; had it reached this stream, it would be first.
    expect(stream.messages.map((message) => JSON.parse(message.data).data.session_id)).toEqual([mySession]);
  });

  it('refuses without a valid API key (401), and never streams', async () => {
    const missing = await fetch(`${t.baseUrl}/v1/events/stream`);
    const wrong = await fetch(`${t.baseUrl}/v1/events/stream`, { headers: { authorization: 'Bearer sss_not_a_key' } });

    for (const res of [missing, wrong]) {
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code: 'UNAUTHORIZED' });
    }
  });

  it('answers a problem before streaming for an unknown session, event id or type', async () => {
    const mine = await t.newProject();
    const theirs = await t.newProject();
    const theirSession = await newSession(theirs.auth);
    const theirEvent = openEventSource(t.baseUrl, theirs.apiKey);
    await until(() => theirEvent.opens === 1, 'the stream to open');
    await checkpoint(theirs.auth, theirSession, 'x');
    const [foreign] = await theirEvent.waitFor(1);
    theirEvent.close();

    const get = (query: string, headers: Record<string, string> = {}) =>
      fetch(`${t.baseUrl}/v1/events/stream${query}`, { headers: { ...mine.auth, ...headers } });
    const cases: [Response, number, string][] = [
      [await get(`?session_id=${theirSession}`), 404, 'NOT_FOUND'],
      [await get(`?after=${foreign!.id}`), 400, 'UNKNOWN_EVENT_ID'],
      [await get('', { 'last-event-id': newId('evt') }), 400, 'UNKNOWN_EVENT_ID'],
      [await get('?after=not-an-event'), 400, 'UNKNOWN_EVENT_ID'],
      [await get('?types=session.created,session.exploded'), 400, 'VALIDATION_FAILED'],
      [await get('?descendants=true'), 400, 'VALIDATION_FAILED'],
      [await get('?descendants=yes'), 400, 'VALIDATION_FAILED'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ code });
    }
  });

  it('starts with event: reset when the event to replay after was pruned, then goes on from the newest event', async () => {
    const { auth } = await t.newProject();
    const sessionId = await newSession(auth);
    // An id from two days ago, with EVENT_RETENTION_DAYS=1: an event that was pruned.
    const pruned = `evt_${(Date.now() - 2 * 86_400_000).toString(16).padStart(12, '0')}70008000000000000000`;
    const first = await fetchStream(t.baseUrl, auth);
    await checkpoint(auth, sessionId, 'before');
    const [newest] = await first.waitFor(1);
    first.close();

    const stream = await fetchStream(t.baseUrl, { ...auth, 'last-event-id': pruned });
    await stream.waitFor(1, 'the reset');
    await checkpoint(auth, sessionId, 'after');
    await stream.waitFor(2, 'the next event');
    stream.close();

    expect(stream.response.status).toBe(200);
    expect(stream.messages[0]).toMatchObject({ event: 'reset', id: newest!.id });
    expect(JSON.parse(stream.messages[0]!.data)).toMatchObject({ reason: 'events_pruned' });
    expect(phasesOf(stream.messages.slice(1))).toEqual(['after']);
  });

  it('limits the open streams of one API key, and admits another once one closes', async () => {
    const { auth } = await t.newProject();
    const other = await t.newProject();
    const open = await Promise.all(Array.from({ length: STREAMS_PER_KEY }, () => fetchStream(t.baseUrl, auth)));
    const refused = await fetch(`${t.baseUrl}/v1/events/stream`, { headers: auth });
    const otherKey = await fetchStream(t.baseUrl, other.auth);

    expect(open.map((stream) => stream.response.status)).toEqual(Array(STREAMS_PER_KEY).fill(200));
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ code: 'TOO_MANY_STREAMS' });
    expect(otherKey.response.status).toBe(200);

    const before = t.container.eventHub.openStreams;
    open[0]!.close();
    await until(() => t.container.eventHub.openStreams === before - 1, 'the server to see the stream closed');
    const admitted = await fetchStream(t.baseUrl, auth);
    expect(admitted.response.status).toBe(200);
    for (const stream of [...open, otherKey, admitted]) stream.close();
  });
});
