// Three replicas of the service (three containers, three running dispatchers) on one PostgreSQL,
// with requests spread over them: every event reaches the subscriber, and none twice.
// PGlite is one in-process database, so there is nothing to share there.
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Clock } from '../../src/lib/clock.js';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const REPLICAS = 3;

/** The fields these tests read from responses. */
interface ResponseBody {
  session_id: string;
  webhook_id: string;
  crossed: number[];
}

interface Delivered {
  id: string;
  type: string;
  data: { session_id: string; threshold?: number };
}

describe.skipIf(!onPostgres)('webhook delivery from three replicas on one PostgreSQL', () => {
  // Running from 1980: the started dispatchers claim due deliveries of every project. Other files'
  // deliveries (on the real clock or on test clocks from 2000 on) are never due on this one;
  // housekeeping.test.ts's from 1960 may be, and it tolerates that.
  // (webhook-dispatch.test.ts runs its started dispatcher from 1975, so it never takes these either.)
  const CLOCK_START_MS = Date.parse('1980-01-01T00:00:00.000Z');
  const startedAt = Date.now();
  const clock: Clock = { now: () => new Date(CLOCK_START_MS + Date.now() - startedAt) };
  const replicas: TestApp[] = [];
  const baseUrls: string[] = [];
  /** Deliveries each replica's dispatcher has claimed (for a test to see they all took part). */
  const claimedBy: number[] = Array(REPLICAS).fill(0);
  /** Claims handed out by every replica, by project: each ends in one attempt row once its attempt is over. */
  const claimsByProject = new Map<string, number>();
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    for (let i = 0; i < REPLICAS; i++) {
      const replica = await createTestApp({ clock, config: { databasePoolMax: 10, webhookTimeoutMs: 10_000 } });
      replicas.push(replica);
      // Real sockets: supertest cannot run hundreds of requests at once against one unbound server.
      baseUrls.push(await replica.app.listen({ port: 0, host: '127.0.0.1' }));
      const deliveries = replica.container.repositories.webhookDeliveryQueue;
      const claim = deliveries.claim.bind(deliveries);
      vi.spyOn(deliveries, 'claim').mockImplementation(async (options) => {
        const claimed = await claim(options);
        claimedBy[i]! += claimed.length;
        for (const { projectId } of claimed) claimsByProject.set(projectId, (claimsByProject.get(projectId) ?? 0) + 1);
        return claimed;
      });
      await replica.container.webhookDispatcher.start();
    }
  });
  afterAll(async () => {
    // close() also stops the dispatcher, waiting for its attempts in flight.
    await Promise.all(replicas.map((replica) => replica.close()));
  });
  beforeEach(async () => {
    claimedBy.fill(0);
    receiver = await createWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  /** A request to replica `n` (mod 3), so that every replica serves a share of the writes. */
  async function call(n: number, method: string, path: string, auth: Record<string, string>, body?: unknown) {
    const res = await fetch(`${baseUrls[n % REPLICAS]}${path}`, {
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ResponseBody };
  }

  async function subscribe(auth: Record<string, string>, events: string[]) {
    const res = await call(0, 'POST', '/v1/webhooks', auth, { url: `${receiver.url}/hooks`, events });
    expect(res.status).toBe(201);
    return res.body.webhook_id;
  }

  /**
   * Waits until the project's deliveries are all recorded and no attempt of them is still under
   * way, then returns them with their attempts. A delivery is only claimed while pending, and
   * every claim ends in an attempt row (logged even when its lease was lost), written after the
   * endpoint answered: once nothing is pending and there are as many attempt rows as claims, no
   * dispatcher can still be sending a duplicate, and the receiver has every request it will get.
   */
  async function settledDeliveries(projectId: string, count: number) {
    const prisma = replicas[0]!.db.prisma;
    for (let waited = 0; ; waited += 100) {
      const pending = await prisma.webhookDelivery.count({ where: { projectId, status: 'pending' } });
      const total = await prisma.webhookDelivery.count({ where: { projectId } });
      const attempts = await prisma.webhookAttempt.count({ where: { projectId } });
      if (total === count && pending === 0 && attempts === (claimsByProject.get(projectId) ?? 0)) break;
      if (waited > 60_000)
        throw new Error(`deliveries of ${projectId} did not settle: ${total} of ${count}, ${pending} pending, ${attempts} attempts`);
      await sleep(100);
    }
    return prisma.webhookDelivery.findMany({ where: { projectId }, include: { attemptLog: true } });
  }

  const webhookIds = () => receiver.requests.map((request) => request.headers['webhook-id']);

  it('delivers each of 300 events written by concurrent requests exactly once', { timeout: 120_000 }, async () => {
    const { projectId, auth } = await replicas[0]!.newProject();
    await subscribe(auth, ['*']);

    // 50 sessions, each with 10 racing usage updates of 100 tokens against a budget of 1,000 (75% and
    // 85% crossed once each) and 3 racing checkpoints: 1 + 2 + 3 = 6 events per session.
    const SESSIONS = 50;
    const created = await Promise.all(
      Array.from({ length: SESSIONS }, (_, i) => call(i, 'POST', '/v1/sessions', auth, { task_id: `replica-${i}`, token_budget: { total: 1000 } })),
    );
    expect(created.map((res) => res.status)).toEqual(Array(SESSIONS).fill(201));
    const writes = await Promise.all(
      created.flatMap(({ body: { session_id: id } }, i) => [
        ...Array.from({ length: 10 }, (_, n) => call(i + n, 'POST', `/v1/sessions/${id}/usage`, auth, { tokens: 100 })),
        ...Array.from({ length: 3 }, (_, n) => call(i + n, 'POST', `/v1/sessions/${id}/checkpoints`, auth, { phase: `phase-${n}` })),
      ]),
    );
    expect(writes.filter((res) => res.status !== 200 && res.status !== 201).map((res) => [res.status, res.body])).toEqual([]);

    const events = await replicas[0]!.db.prisma.event.findMany({ where: { projectId }, select: { id: true } });
    expect(events).toHaveLength(6 * SESSIONS);
    await receiver.waitFor(events.length, 20_000);
    const deliveries = await settledDeliveries(projectId, events.length);

    expect(receiver.requests).toHaveLength(events.length);
    expect(new Set(webhookIds())).toEqual(new Set(events.map((event) => event.id)));
    expect(deliveries.filter((delivery) => delivery.status !== 'succeeded' || delivery.attempts !== 1)).toEqual([]);
    expect(deliveries.flatMap((delivery) => delivery.attemptLog)).toHaveLength(events.length);
    // Every dispatcher took a share, so the three really competed for the same rows. (On a shared
    // database they may also have claimed older deliveries of other files, hence "at least".)
    expect(
      claimedBy.every((count) => count > 0),
      `claims per replica: ${claimedBy.join(', ')}`,
    ).toBe(true);
    expect(claimedBy.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(events.length);
  });

  it('delivers exactly one session.threshold_crossed per session and threshold from 400 racing usage updates', async () => {
    const { projectId, auth } = await replicas[0]!.newProject();
    await subscribe(auth, ['session.threshold_crossed']);

    const SESSIONS = 4;
    const UPDATES_PER_SESSION = 100;
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const res = await call(i, 'POST', '/v1/sessions', auth, { task_id: `race-${i}`, token_budget: { total: 10_000 } });
        expect(res.status).toBe(201);
        return res.body.session_id;
      }),
    );
    // As in the foundation's race: 100 updates of 2..200 tokens per session, 10,100 in all.
    const responses = await Promise.all(
      sessions.flatMap((id) =>
        Array.from({ length: UPDATES_PER_SESSION }, (_, n) => call(n, 'POST', `/v1/sessions/${id}/usage`, auth, { tokens: 2 * (n + 1) })),
      ),
    );
    expect(responses.every((res) => res.status === 200)).toBe(true);

    const expected = sessions.flatMap((id) => [`${id}:75`, `${id}:85`]).sort();
    await receiver.waitFor(expected.length, 10_000);
    const deliveries = await settledDeliveries(projectId, expected.length);

    const delivered = receiver.requests.map((request) => JSON.parse(request.body) as Delivered);
    expect(delivered.every((event) => event.type === 'session.threshold_crossed')).toBe(true);
    expect(delivered.map((event) => `${event.data.session_id}:${event.data.threshold}`).sort()).toEqual(expected);
    expect(new Set(webhookIds()).size).toBe(expected.length);
    expect(deliveries.map((delivery) => [delivery.status, delivery.attempts])).toEqual(Array(expected.length).fill(['succeeded', 1]));
  });
});
