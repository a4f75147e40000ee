import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp, createTestApp, type TestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { apiFactories } from '../helpers/factories.js';
import { createWebhookReceiver } from '../helpers/webhook-receiver.js';

// Long before any other test's data, so that on a shared PostgreSQL only this test's keys expire.
const clock = createTestClock(new Date('2000-01-01T00:00:00.000Z'));
const t = useTestApp({ clock });

describe('housekeeping', () => {
  it('forgets Idempotency-Keys after the TTL, not before', async () => {
    const { auth } = await t.newProject();
    const session = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'old').send({ task_id: 'a' });
    const url = `/v1/sessions/${session.body.session_id}/usage`;
    await t.http.post(url).set(auth).set('idempotency-key', 'old-usage').send({ tokens: 5 });

    clock.advance(t.config.idempotencyTtlHours * 3_600_000 - 1000);
    expect((await t.container.housekeeping.tick()).idempotencyRecords).toBe(0);
    expect((await t.http.post(url).set(auth).set('idempotency-key', 'old-usage').send({ tokens: 5 })).headers['idempotent-replayed']).toBe('true');

    clock.advance(2000);
    expect(await t.container.housekeeping.tick()).toEqual({
      idempotencyRecords: 2,
      usageRecords: 0,
      checkpoints: 0,
      events: 0,
      expiredHolds: expect.any(Number),
    });
    const again = await t.http.post(url).set(auth).set('idempotency-key', 'old-usage').send({ tokens: 5 });
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body.token_budget.used).toBe(10);
  });
});

describe('retention', () => {
  const DAY_MS = 86_400_000;
  // Retention prunes every project's old rows, so on a shared PostgreSQL this clock must be the
  // earliest of the whole suite: then it only ever prunes its own rows.
  const retentionClock = createTestClock(new Date('1960-01-01T00:00:00.000Z'));
  let r: TestApp;
  beforeAll(async () => {
    r = await createTestApp({ clock: retentionClock, config: { usageRetentionDays: 2, checkpointRetentionDays: 2, eventRetentionDays: 2 } });
  });
  afterAll(async () => {
    await r.close();
  });

  it("prunes old usage and checkpoints, never one a fork or a recovery refers to, nor a session's latest", async () => {
    const { auth } = await r.newProject();
    const make = apiFactories(r, auth);
    const session = await make.session();
    await make.usage(session.session_id, 10);
    await make.usage(session.session_id, 20);
    const unreferenced = await make.checkpoint(session.session_id, { phase: 'old-1' });
    const forkedFrom = await make.checkpoint(session.session_id, { phase: 'old-2' });
    const alsoUnreferenced = await make.checkpoint(session.session_id, { phase: 'old-3' });
    await make.fork(session.session_id, { checkpoint_id: forkedFrom.checkpoint_id });
    const onlyCheckpointOf = await make.session();
    const lonely = await make.checkpoint(onlyCheckpointOf.session_id);
    const rescued = await make.session();
    const recovery = await make.recover(rescued.session_id);

    retentionClock.advance(DAY_MS);
    await make.usage(session.session_id, 30);
    const recent = await make.checkpoint(session.session_id, { phase: 'recent' });

    retentionClock.advance(1.5 * DAY_MS);
    // Events of day 0: 5 session.created, 5 checkpoint.created, and the recovery's archived and recovered.
    expect(await r.container.housekeeping.tick()).toEqual({
      idempotencyRecords: 0,
      usageRecords: 2,
      checkpoints: 2,
      events: 12,
      expiredHolds: expect.any(Number),
    });

    const usage = await make.get(`/v1/sessions/${session.session_id}/usage`);
    expect(usage.data.map((entry: { tokens: number }) => entry.tokens)).toEqual([30]);
    const kept = await make.get(`/v1/sessions/${session.session_id}/checkpoints`);
    expect(kept.data.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual([recent.checkpoint_id, forkedFrom.checkpoint_id]);
    expect((await make.get(`/v1/sessions/${session.session_id}`)).checkpoints_count).toBe(2);
    for (const gone of [unreferenced, alsoUnreferenced]) {
      expect((await r.http.get(`/v1/checkpoints/${gone.checkpoint_id}`).set(auth)).status).toBe(404);
    }
    for (const survivor of [lonely, recovery.checkpoint]) {
      expect((await r.http.get(`/v1/checkpoints/${survivor.checkpoint_id}`).set(auth)).status).toBe(200);
    }

    expect(await r.container.housekeeping.tick()).toEqual({
      idempotencyRecords: 0,
      usageRecords: 0,
      checkpoints: 0,
      events: 0,
      expiredHolds: expect.any(Number),
    });
  });

  it('prunes old events with their finished deliveries, never an event still owed to a subscriber', async () => {
    const receiver = await createWebhookReceiver();
    try {
      const delivered = await r.newProject();
      const owed = await r.newProject();
      for (const [project, url] of [
        [delivered, `${receiver.url}/ok`],
        [owed, 'http://127.0.0.1:9/closed'],
      ] as const) {
        expect(
          (
            await r.http
              .post('/v1/webhooks')
              .set(project.auth)
              .send({ url, events: ['*'] })
          ).status,
        ).toBe(201);
        await apiFactories(r, project.auth).session();
        await r.container.webhookDispatcher.tick({ projectId: project.projectId });
      }
      expect(receiver.requests).toHaveLength(1);

      retentionClock.advance(3 * DAY_MS);
      await r.container.housekeeping.tick();
      expect(await r.db.prisma.event.count({ where: { projectId: delivered.projectId } })).toBe(0);
      expect(await r.db.prisma.webhookDelivery.count({ where: { projectId: delivered.projectId } })).toBe(0);
      expect(await r.db.prisma.webhookAttempt.count({ where: { projectId: delivered.projectId } })).toBe(0);
      expect(await r.db.prisma.event.count({ where: { projectId: owed.projectId } })).toBe(1);
      expect(await r.db.prisma.webhookDelivery.count({ where: { projectId: owed.projectId, status: 'pending' } })).toBe(1);
    } finally {
      await receiver.close();
    }
  });

  it("never prunes the checkpoint a handoff names as its last_checkpoint, though it is no longer the session's latest", async () => {
    const { auth } = await r.newProject();
    const make = apiFactories(r, auth);
    const session = await make.session();
    const handedOver = await make.checkpoint(session.session_id, { phase: 'handed-over' });
    const handoff = await r.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: session.session_id, task_context: {} });
    expect(handoff.body.recovery_info.last_checkpoint).toBe(handedOver.checkpoint_id);
    const unreferenced = await make.checkpoint(session.session_id, { phase: 'after-handoff' });

    retentionClock.advance(DAY_MS);
    const recent = await make.checkpoint(session.session_id, { phase: 'recent' });
    retentionClock.advance(1.5 * DAY_MS);
    expect((await r.container.housekeeping.tick()).checkpoints).toBe(1);

    const kept = await make.get(`/v1/sessions/${session.session_id}/checkpoints`);
    expect(kept.data.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual([recent.checkpoint_id, handedOver.checkpoint_id]);
    expect((await r.http.get(`/v1/checkpoints/${unreferenced.checkpoint_id}`).set(auth)).status).toBe(404);
    expect((await r.http.get(`/v1/checkpoints/${handedOver.checkpoint_id}`).set(auth)).status).toBe(200);
  });

  it("never prunes a LangGraph thread's checkpoints, whose later checkpoints refer to earlier ones", async () => {
    const { auth } = await r.newProject();
    const make = apiFactories(r, auth);
    const thread = await make.session();
    const first = await make.checkpoint(thread.session_id, { phase: 'langgraph:checkpoint:1' });
    const writes = await make.checkpoint(thread.session_id, { phase: 'langgraph:writes:1' });
    const plain = await make.checkpoint(thread.session_id, { phase: 'plain' });

    retentionClock.advance(DAY_MS);
    const latest = await make.checkpoint(thread.session_id, { phase: 'langgraph:checkpoint:2' });
    retentionClock.advance(1.5 * DAY_MS);
    expect((await r.container.housekeeping.tick()).checkpoints).toBe(1);

    const kept = await make.get(`/v1/sessions/${thread.session_id}/checkpoints`);
    expect(kept.data.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual([
      latest.checkpoint_id,
      writes.checkpoint_id,
      first.checkpoint_id,
    ]);
    expect((await r.http.get(`/v1/checkpoints/${plain.checkpoint_id}`).set(auth)).status).toBe(404);
  });
});
