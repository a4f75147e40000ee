import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp();

async function setup() {
  const project = await t.newProject();
  return { ...project, make: apiFactories(t, project.auth) };
}

const typesOf = async (sessionId: string) => (await eventsOf(t.db, sessionId)).map((event) => event.type);

describe('POST /v1/sessions/{id}/resume', () => {
  it('sets status resumed and last_resumed_at, with or without a JSON body', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ context: { temp_context: 'x' } });
    const res = await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'resumed', context: { temp_context: 'x' }, version: session.version + 1 });
    expect(res.body.last_resumed_at).toEqual(expect.any(String));

    const again = await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth).set('content-type', 'application/json').send('');
    expect(again.status).toBe(200);
    expect((await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth).send({})).status).toBe(200);
  });

  it('defers the non-critical context first when fewer than 30,000 tokens are available', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 40_000 }, context: { plan: 'p', temp_context: 'scratch' } });
    await make.usage(session.session_id, 20_000);
    const res = await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth);
    expect(res.body.context).toEqual({ plan: 'p' });
    expect(res.body.deferred_context).toEqual({ temp_context: 'scratch' });
  });

  it('keeps the context whole with 30,000 tokens or more available', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 50_000 }, context: { temp_context: 'scratch' } });
    await make.usage(session.session_id, 20_000);
    const res = await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth);
    expect(res.body.context).toEqual({ temp_context: 'scratch' });
  });

  it('refuses a session in emergency_recovery with 409 INVALID_TRANSITION, pointing at recovery', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 100 } });
    await make.usage(session.session_id, 90);
    const res = await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('INVALID_TRANSITION');
    expect(res.body.detail).toContain('emergency-recovery');
    expect((await make.get(`/v1/sessions/${session.session_id}`)).status).toBe('emergency_recovery');
  });

  it('refuses unknown fields, and answers 404 for an unknown session', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const res = await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth).send({ force: true });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'body.force', message: 'unknown field "force"' }]);
    expect((await t.http.post('/v1/sessions/sess_nope/resume').set(auth)).status).toBe(404);
  });
});

describe('POST /v1/sessions/{id}/archive', () => {
  it('archives the session, emits session.archived, and then refuses every change with 409', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const res = await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('archived');
    expect(res.body.archived_at).toEqual(expect.any(String));
    expect(await typesOf(session.session_id)).toEqual(['session.created', 'session.archived']);

    const id = session.session_id;
    const refused = [
      await t.http.post(`/v1/sessions/${id}/archive`).set(auth),
      await t.http.post(`/v1/sessions/${id}/resume`).set(auth),
      await t.http.post(`/v1/sessions/${id}/usage`).set(auth).send({ tokens: 10 }),
      await t.http.post(`/v1/sessions/${id}/checkpoints`).set(auth).send({ phase: 'p' }),
      await t.http.post(`/v1/sessions/${id}/emergency-recovery`).set(auth),
      await t.http
        .patch(`/v1/sessions/${id}`)
        .set(auth)
        .send({ metadata: { a: 1 } }),
    ];
    for (const response of refused) {
      expect(response.status, JSON.stringify(response.body)).toBe(409);
      expect(response.body.code).toBe('SESSION_ARCHIVED');
    }
    const after = await make.get(`/v1/sessions/${id}`);
    expect(after).toMatchObject({ status: 'archived', version: res.body.version, checkpoints_count: 0 });
    expect(after.token_budget.used).toBe(0);
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId: id } })).toBe(0);
  });
});

describe('POST /v1/sessions/{id}/fork', () => {
  it("starts from the parent's latest checkpoint with a fresh budget and task fork_<task_id>", async () => {
    const { auth, make } = await setup();
    const parent = await make.session({ task_id: 'SPEC-7', token_budget: { total: 80_000 }, context: { v: 1 }, metadata: { team: 'a' } });
    await make.checkpoint(parent.session_id, { phase: 'one' });
    await t.http
      .patch(`/v1/sessions/${parent.session_id}`)
      .set(auth)
      .send({ context: { v: 2 } });
    const latest = await make.checkpoint(parent.session_id, { phase: 'two' });
    await t.http
      .patch(`/v1/sessions/${parent.session_id}`)
      .set(auth)
      .send({ context: { v: 3 } });
    await make.usage(parent.session_id, 30_000);

    const res = await t.http.post(`/v1/sessions/${parent.session_id}/fork`).set(auth);
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/sessions/${res.body.session_id}`);
    expect(res.body).toMatchObject({
      task_id: 'fork_SPEC-7',
      status: 'active',
      parent_session_id: parent.session_id,
      fork_checkpoint_id: latest.checkpoint_id,
      context: { v: 2 },
      metadata: { team: 'a' },
      token_budget: { total: 80_000, used: 0, reserved: 0, available: 80_000, position_percent: 0 },
      checkpoints_count: 0,
    });
    expect(await typesOf(res.body.session_id)).toEqual(['session.created']);
    const created = (await eventsOf(t.db, res.body.session_id))[0]!;
    expect(created.data).toMatchObject({ parent_session_id: parent.session_id, fork_checkpoint_id: latest.checkpoint_id });
  });

  it('starts from a named checkpoint, with the task and budget given', async () => {
    const { auth, make } = await setup();
    const parent = await make.session({ context: { v: 1 } });
    const first = await make.checkpoint(parent.session_id);
    await t.http
      .patch(`/v1/sessions/${parent.session_id}`)
      .set(auth)
      .send({ context: { v: 2 } });
    await make.checkpoint(parent.session_id);

    const fork = await make.fork(parent.session_id, { checkpoint_id: first.checkpoint_id, task_id: 'explore-b', token_budget: { total: 5000 } });
    expect(fork).toMatchObject({ task_id: 'explore-b', fork_checkpoint_id: first.checkpoint_id, context: { v: 1 } });
    expect(fork.token_budget.total).toBe(5000);
  });

  it("uses the parent's current context when it has no checkpoint", async () => {
    const { make } = await setup();
    const parent = await make.session({ context: { live: true } });
    const fork = await make.fork(parent.session_id);
    expect(fork).toMatchObject({ fork_checkpoint_id: null, context: { live: true } });
  });

  it("answers 422 for another session's checkpoint and 404 for an unknown one, creating nothing", async () => {
    const { auth, make } = await setup();
    const parent = await make.session();
    const stranger = await make.session();
    const strangers = await make.checkpoint(stranger.session_id);

    const wrong = await t.http.post(`/v1/sessions/${parent.session_id}/fork`).set(auth).send({ checkpoint_id: strangers.checkpoint_id });
    expect(wrong.status).toBe(422);
    expect(wrong.body.code).toBe('CHECKPOINT_NOT_IN_SESSION');
    expect(wrong.body.errors).toEqual([expect.objectContaining({ path: 'body.checkpoint_id' })]);
    const unknown = await t.http.post(`/v1/sessions/${parent.session_id}/fork`).set(auth).send({ checkpoint_id: 'ckpt_nope' });
    expect(unknown.status).toBe(404);
    expect(await t.db.prisma.session.count({ where: { parentSessionId: parent.session_id } })).toBe(0);
  });

  it('answers 409 CHECKPOINT_CORRUPTED rather than fork from an altered snapshot', async () => {
    const { auth, make } = await setup();
    const parent = await make.session({ context: { v: 1 } });
    const checkpoint = await make.checkpoint(parent.session_id);
    await t.db.prisma.$executeRaw`UPDATE checkpoints SET context_snapshot = '{"v": 666}' WHERE id = ${checkpoint.checkpoint_id}`;
    const res = await t.http.post(`/v1/sessions/${parent.session_id}/fork`).set(auth);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CHECKPOINT_CORRUPTED');
  });

  it('forks an archived session too: forking reads the parent and never changes it', async () => {
    const { auth, make } = await setup();
    const parent = await make.session({ context: { done: true } });
    await t.http.post(`/v1/sessions/${parent.session_id}/archive`).set(auth);
    const fork = await make.fork(parent.session_id);
    expect(fork.context).toEqual({ done: true });
    expect((await make.get(`/v1/sessions/${parent.session_id}`)).status).toBe('archived');
  });

  it('validates the body', async () => {
    const { auth, make } = await setup();
    const parent = await make.session();
    const url = `/v1/sessions/${parent.session_id}/fork`;
    expect((await t.http.post(url).set(auth).send({ task_id: '' })).status).toBe(400);
    expect(
      (
        await t.http
          .post(url)
          .set(auth)
          .send({ token_budget: { total: 0 } })
      ).status,
    ).toBe(400);
    expect((await t.http.post(url).set(auth).send({ checkpoint: 'x' })).status).toBe(400);
    expect((await t.http.post('/v1/sessions/sess_nope/fork').set(auth)).status).toBe(404);
  });
});

describe('POST /v1/sessions/{id}/merge', () => {
  async function parentWithFork(context: Record<string, unknown>, forkChanges: Record<string, unknown>) {
    const project = await setup();
    const parent = await project.make.session({ context });
    const fork = await project.make.fork(parent.session_id);
    await t.http.patch(`/v1/sessions/${fork.session_id}`).set(project.auth).send({ context: forkChanges });
    return { ...project, parent, fork };
  }

  it("shallow (the default): the fork's top-level keys win; the fork is archived", async () => {
    const { auth, parent, fork } = await parentWithFork({ a: 1, nested: { x: 1, y: 1 } }, { b: 2, nested: { x: 2 } });
    await t.http
      .patch(`/v1/sessions/${parent.session_id}`)
      .set(auth)
      .send({ context: { nested: { z: 9 } } });
    const res = await t.http.post(`/v1/sessions/${parent.session_id}/merge`).set(auth).send({ fork_session_id: fork.session_id });
    expect(res.status).toBe(200);
    expect(res.body.session_id).toBe(parent.session_id);
    // The fork's nested object { x: 2, y: 1 } replaces the parent's { x: 1, y: 1, z: 9 } whole.
    expect(res.body.context).toEqual({ a: 1, b: 2, nested: { x: 2, y: 1 } });

    const archivedFork = await t.db.prisma.session.findUniqueOrThrow({ where: { id: fork.session_id } });
    expect(archivedFork).toMatchObject({ status: 'archived', mergedIntoSessionId: parent.session_id });
    expect(await typesOf(fork.session_id)).toEqual(['session.created', 'session.archived']);
    expect((await eventsOf(t.db, fork.session_id))[1]!.data).toMatchObject({ reason: 'merged', merged_into_session_id: parent.session_id });
  });

  it('deep: nested objects merge key by key', async () => {
    const project = await setup();
    const parent = await project.make.session({ context: { settings: { a: 1, b: 1 } } });
    const fork = await project.make.fork(parent.session_id);
    await t.http
      .patch(`/v1/sessions/${parent.session_id}`)
      .set(project.auth)
      .send({ context: { settings: { c: 3 } } });
    await t.http
      .patch(`/v1/sessions/${fork.session_id}`)
      .set(project.auth)
      .send({ context: { settings: { b: 2 } } });

    const res = await t.http
      .post(`/v1/sessions/${parent.session_id}/merge`)
      .set(project.auth)
      .send({ fork_session_id: fork.session_id, strategy: 'deep' });
    expect(res.body.context).toEqual({ settings: { a: 1, b: 2, c: 3 } });
  });

  it('answers 409 FORK_ALREADY_MERGED the second time and changes nothing', async () => {
    const { auth, make, parent, fork } = await parentWithFork({}, { k: 1 });
    const url = `/v1/sessions/${parent.session_id}/merge`;
    expect((await t.http.post(url).set(auth).send({ fork_session_id: fork.session_id })).status).toBe(200);
    const before = await make.get(`/v1/sessions/${parent.session_id}`);
    const again = await t.http.post(url).set(auth).send({ fork_session_id: fork.session_id });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('FORK_ALREADY_MERGED');
    expect(await make.get(`/v1/sessions/${parent.session_id}`)).toEqual(before);
  });

  it('answers 422 NOT_A_FORK for a session that is not a fork of this one, or for the session itself', async () => {
    const { auth, make, parent, fork } = await parentWithFork({}, { k: 1 });
    const unrelated = await make.session();
    const grandchild = await make.fork(fork.session_id);
    for (const candidate of [unrelated.session_id, parent.session_id, grandchild.session_id]) {
      const res = await t.http.post(`/v1/sessions/${parent.session_id}/merge`).set(auth).send({ fork_session_id: candidate });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('NOT_A_FORK');
    }
    // A fork merges into its parent only, not the other way round.
    const reversed = await t.http.post(`/v1/sessions/${fork.session_id}/merge`).set(auth).send({ fork_session_id: parent.session_id });
    expect(reversed.status).toBe(422);
    expect((await make.get(`/v1/sessions/${fork.session_id}`)).status).toBe('active');
  });

  it('answers 409 when the parent or the fork is archived, 404 for unknown sessions, 400 for a bad body', async () => {
    const { auth, parent, fork } = await parentWithFork({}, { k: 1 });
    const url = `/v1/sessions/${parent.session_id}/merge`;
    await t.http.post(`/v1/sessions/${fork.session_id}/archive`).set(auth);
    const archivedFork = await t.http.post(url).set(auth).send({ fork_session_id: fork.session_id });
    expect(archivedFork.status).toBe(409);
    expect(archivedFork.body.code).toBe('SESSION_ARCHIVED');

    const other = await parentWithFork({}, { k: 1 });
    await t.http.post(`/v1/sessions/${other.parent.session_id}/archive`).set(other.auth);
    const archivedParent = await t.http
      .post(`/v1/sessions/${other.parent.session_id}/merge`)
      .set(other.auth)
      .send({ fork_session_id: other.fork.session_id });
    expect(archivedParent.status).toBe(409);
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: other.fork.session_id } })).status).toBe('active');

    expect((await t.http.post(url).set(auth).send({ fork_session_id: 'sess_nope' })).status).toBe(404);
    expect((await t.http.post('/v1/sessions/sess_nope/merge').set(auth).send({ fork_session_id: fork.session_id })).status).toBe(404);
    expect((await t.http.post(url).set(auth).send({})).status).toBe(400);
    expect((await t.http.post(url).set(auth).send({ fork_session_id: fork.session_id, strategy: 'union' })).status).toBe(400);
  });
});

describe('POST /v1/sessions/{id}/emergency-recovery', () => {
  it('hands the external id over to the new session, so that telemetry naming it counts there', async () => {
    const { auth, make } = await setup();
    const original = await make.session({ external_id: 'agent-run-7', token_budget: { total: 1000 } });
    const res = await t.http.post(`/v1/sessions/${original.session_id}/emergency-recovery`).set(auth);
    expect(res.status).toBe(201);
    expect(res.body.new_session.external_id).toBe('agent-run-7');
    const found = await t.http.get('/v1/sessions').query({ external_id: 'agent-run-7' }).set(auth);
    expect(found.body.data.map((session: { session_id: string }) => session.session_id)).toEqual([res.body.new_session.session_id]);
    expect((await make.get(`/v1/sessions/${original.session_id}`)).external_id).toBeNull();
  });

  it('checkpoints, archives the original and starts a new session with the same task, a fresh budget and the context', async () => {
    const { auth, make } = await setup();
    const original = await make.session({
      task_id: 'SPEC-9',
      token_budget: { total: 100_000 },
      context: { plan: 'p', temp_context: 'scratch' },
      thresholds: [50, 90],
      metadata: { owner: 'x' },
    });
    await make.usage(original.session_id, 88_000);

    const res = await t.http.post(`/v1/sessions/${original.session_id}/emergency-recovery`).set(auth);
    expect(res.status).toBe(201);
    const { checkpoint, new_session: fresh } = res.body;
    expect(res.body.original_session_id).toBe(original.session_id);
    expect(res.headers.location).toBe(`/v1/sessions/${fresh.session_id}`);
    expect(checkpoint).toMatchObject({
      session_id: original.session_id,
      phase: 'emergency_recovery',
      context_snapshot: { plan: 'p' },
      token_usage: { total: 100_000, used: 88_000, available: 12_000, position_percent: 88 },
    });
    expect(fresh).toMatchObject({
      task_id: 'SPEC-9',
      status: 'active',
      context: { plan: 'p' },
      // Deferred at 75%; carried over, never lost.
      deferred_context: { temp_context: 'scratch' },
      thresholds: [50, 90],
      metadata: { owner: 'x' },
      recovered_from_session_id: original.session_id,
      parent_session_id: null,
      token_budget: { total: 100_000, used: 0, reserved: 0, available: 100_000, position_percent: 0 },
    });
    expect(fresh.last_recovery_at).toEqual(expect.any(String));

    const archived = await make.get(`/v1/sessions/${original.session_id}`);
    expect(archived).toMatchObject({ status: 'archived', checkpoints_count: 1 });
    expect(await make.get(`/v1/checkpoints/${checkpoint.checkpoint_id}`)).toEqual(checkpoint);

    expect((await typesOf(original.session_id)).slice(-3)).toEqual(['checkpoint.created', 'session.archived', 'session.emergency_recovered']);
    const recovered = (await eventsOf(t.db, original.session_id)).at(-1)!;
    expect(recovered.data).toEqual({
      original_session_id: original.session_id,
      new_session_id: fresh.session_id,
      checkpoint_id: checkpoint.checkpoint_id,
      task_id: 'SPEC-9',
    });
    expect(await typesOf(fresh.session_id)).toEqual(['session.created']);
  });

  it('recovers a session once: a second attempt is 409 SESSION_ALREADY_RECOVERED naming the new session', async () => {
    const { auth, make } = await setup();
    const original = await make.session();
    const first = await make.recover(original.session_id);
    const again = await t.http.post(`/v1/sessions/${original.session_id}/emergency-recovery`).set(auth);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('SESSION_ALREADY_RECOVERED');
    expect(again.body.detail).toContain(first.new_session.session_id);
    expect(await t.db.prisma.session.count({ where: { recoveredFromSessionId: original.session_id } })).toBe(1);
  });

  it('names the successor on the archived session (GET) and in the 409 of every write refused on it', async () => {
    const { auth, make } = await setup();
    const original = await make.session({ context: { plan: 'p' } });
    const { new_session: fresh } = await make.recover(original.session_id);
    const successor = fresh.session_id;

    expect(await make.get(`/v1/sessions/${original.session_id}`)).toMatchObject({ status: 'archived', recovered_to_session_id: successor });
    expect(fresh.recovered_to_session_id).toBeNull();
    expect((await make.get('/v1/sessions')).data.find((s: { session_id: string }) => s.session_id === original.session_id)).toMatchObject({
      recovered_to_session_id: successor,
    });

    const id = original.session_id;
    const refused = [
      await t.http.post(`/v1/sessions/${id}/usage`).set(auth).send({ tokens: 10 }),
      await t.http.post(`/v1/sessions/${id}/usage`).set(auth).set('idempotency-key', 'after-recovery').send({ tokens: 10 }),
      await t.http
        .post(`/v1/sessions/${id}/checkpoints`)
        .set(auth)
        .send({ phase: 'late', context_snapshot: { a: 1 } }),
      await t.http.post(`/v1/sessions/${id}/checkpoints`).set(auth).send({ phase: 'late' }),
      await t.http
        .patch(`/v1/sessions/${id}`)
        .set(auth)
        .send({ metadata: { a: 1 } }),
      await t.http.post(`/v1/sessions/${id}/resume`).set(auth),
      await t.http.post(`/v1/sessions/${id}/archive`).set(auth),
    ];
    for (const res of refused) {
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body).toMatchObject({ code: 'SESSION_ARCHIVED', recovered_to_session_id: successor });
      expect(res.body.detail).toContain(successor);
    }
    // Nothing was counted on the archived session; the successor takes the update.
    expect((await make.get(`/v1/sessions/${id}`)).token_budget.used).toBe(0);
    expect((await make.usage(successor, 10)).token_budget.used).toBe(10);

    const again = await t.http.post(`/v1/sessions/${id}/emergency-recovery`).set(auth);
    expect(again.body).toMatchObject({ code: 'SESSION_ALREADY_RECOVERED', recovered_to_session_id: successor });
  });

  it('names no successor for a session archived without recovery', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    expect((await make.get(`/v1/sessions/${session.session_id}`)).recovered_to_session_id).toBeNull();
    const res = await t.http.post(`/v1/sessions/${session.session_id}/usage`).set(auth).send({ tokens: 10 });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SESSION_ARCHIVED');
    expect(res.body).not.toHaveProperty('recovered_to_session_id');
  });

  it('answers 409 SESSION_ARCHIVED for a session archived without recovery, and 404 for an unknown one', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    const res = await t.http.post(`/v1/sessions/${session.session_id}/emergency-recovery`).set(auth);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SESSION_ARCHIVED');
    expect((await t.http.post('/v1/sessions/sess_nope/emergency-recovery').set(auth)).status).toBe(404);
  });

  it('replays the first answer for a retried Idempotency-Key instead of a 409', async () => {
    const { auth, make } = await setup();
    const original = await make.session();
    const url = `/v1/sessions/${original.session_id}/emergency-recovery`;
    const first = await t.http.post(url).set(auth).set('idempotency-key', 'rescue-1');
    const retry = await t.http.post(url).set(auth).set('idempotency-key', 'rescue-1');
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
  });
});
