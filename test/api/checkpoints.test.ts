import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp({ config: { checkpointMaxBytes: 2000 } });

async function setup() {
  const project = await t.newProject();
  return { ...project, make: apiFactories(t, project.auth) };
}

describe('POST /v1/sessions/{id}/checkpoints', () => {
  it("stores the given snapshot, the budget of that moment and the snapshot's SHA-256", async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 100_000 }, context: { plan: 'draft' } });
    await make.usage(session.session_id, 40_000);

    const res = await t.http
      .post(`/v1/sessions/${session.session_id}/checkpoints`)
      .set(auth)
      .send({ phase: 'iteration_0', context_snapshot: { b: [1, 2], a: 'x' } });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/checkpoints/${res.body.checkpoint_id}`);
    expect(res.body).toMatchObject({
      session_id: session.session_id,
      phase: 'iteration_0',
      token_usage: { total: 100_000, used: 40_000, available: 60_000, position_percent: 40 },
      context_snapshot: { a: 'x', b: [1, 2] },
      size_bytes: '{"a":"x","b":[1,2]}'.length,
    });
    expect(res.body.checkpoint_id).toMatch(/^ckpt_[0-9a-f]{32}$/);
    // RFC 8785: keys sorted, no spaces, so a client can recompute the hash.
    expect(res.body.sha256).toBe(createHash('sha256').update('{"a":"x","b":[1,2]}').digest('hex'));
  });

  it("snapshots the session's current context when none is given, and counts the checkpoint on the session", async () => {
    const { make } = await setup();
    const session = await make.session({ context: { plan: 'draft', step: 3 } });
    const checkpoint = await make.checkpoint(session.session_id);
    expect(checkpoint.context_snapshot).toEqual({ plan: 'draft', step: 3 });

    const after = await make.get(`/v1/sessions/${session.session_id}`);
    expect(after.checkpoints_count).toBe(1);
    expect(after.version).toBe(session.version + 1);
  });

  it('writes checkpoint.created to the outbox', async () => {
    const { make } = await setup();
    const session = await make.session();
    const checkpoint = await make.checkpoint(session.session_id, { phase: 'design' });
    const events = (await eventsOf(t.db, session.session_id)).filter((event) => event.type === 'checkpoint.created');
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({
      checkpoint_id: checkpoint.checkpoint_id,
      session_id: session.session_id,
      phase: 'design',
      sha256: checkpoint.sha256,
      token_usage: checkpoint.token_usage,
    });
  });

  it('writes the same checkpoint.created whether the snapshot is given or taken from the context', async () => {
    const { make } = await setup();
    const session = await make.session({ token_budget: { total: 3 }, context: { plan: 'p' } });
    await make.usage(session.session_id, 1); // 33.33%: the rounding of position_percent shows
    const given = await make.checkpoint(session.session_id, { phase: 'given', context_snapshot: { plan: 'p' } });
    const taken = await make.checkpoint(session.session_id, { phase: 'taken' });
    const events = (await eventsOf(t.db, session.session_id)).filter((event) => event.type === 'checkpoint.created');
    const shape = (data: Record<string, unknown>) => ({ ...data, checkpoint_id: 'id', phase: 'phase' });
    expect(events.map((event) => event.data.checkpoint_id)).toEqual([given.checkpoint_id, taken.checkpoint_id]);
    expect(shape(events[0]!.data)).toEqual(shape(events[1]!.data));
    expect(events[0]!.data.token_usage).toEqual({ total: 3, used: 1, available: 2, position_percent: 33.33 });
    const after = await make.get(`/v1/sessions/${session.session_id}`);
    expect(after.checkpoints_count).toBe(2);
    expect(after.version).toBe(session.version + 3);
  });

  it('leaves the snapshot out of the answer under Prefer: return=minimal, and stores it all the same', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const snapshot = { messages: ['hello', 'world'], n: 2 };
    for (const prefer of ['return=minimal', 'respond-async, RETURN=minimal; x=1']) {
      const res = await t.http
        .post(`/v1/sessions/${session.session_id}/checkpoints`)
        .set(auth)
        .set('prefer', prefer)
        .send({ phase: 'lean', context_snapshot: snapshot });
      expect(res.status).toBe(201);
      expect(res.headers['preference-applied']).toBe('return=minimal');
      expect(res.body).not.toHaveProperty('context_snapshot');
      expect(res.body).toMatchObject({ session_id: session.session_id, phase: 'lean', size_bytes: JSON.stringify(snapshot).length });
      const stored = await make.get(`/v1/checkpoints/${res.body.checkpoint_id}`);
      expect(stored.context_snapshot).toEqual(snapshot);
      expect(stored.sha256).toBe(res.body.sha256);
    }
    const full = await t.http
      .post(`/v1/sessions/${session.session_id}/checkpoints`)
      .set(auth)
      .set('prefer', 'return=representation')
      .send({ phase: 'full', context_snapshot: snapshot });
    expect(full.headers['preference-applied']).toBeUndefined();
    expect(full.body.context_snapshot).toEqual(snapshot);
  });

  it('refuses a snapshot over the size limit with 413 and stores nothing', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const res = await t.http
      .post(`/v1/sessions/${session.session_id}/checkpoints`)
      .set(auth)
      .send({ phase: 'big', context_snapshot: { blob: 'x'.repeat(2000) } });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('CHECKPOINT_TOO_LARGE');
    expect(res.body.detail).toContain('limit is 2000');
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } })).toBe(0);
    expect((await make.get(`/v1/sessions/${session.session_id}`)).checkpoints_count).toBe(0);
  });

  it('applies the limit to the current context too, one stored under a larger CHECKPOINT_MAX_BYTES', async () => {
    const { auth, make } = await setup();
    // Creating, PATCHing or merging into a context past the 2,000-byte limit is refused; one stored
    // while the limit was larger (an operator lowered it since) is still there.
    const session = await make.session({ context: { a: 'x'.repeat(1000) } });
    await t.db.prisma.session.update({ where: { id: session.session_id }, data: { context: { a: 'x'.repeat(1000), b: 'y'.repeat(1000) } } });

    const res = await t.http.post(`/v1/sessions/${session.session_id}/checkpoints`).set(auth).send({ phase: 'big' });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('CHECKPOINT_TOO_LARGE');
    expect((await make.get(`/v1/sessions/${session.session_id}`)).checkpoints_count).toBe(0);
  });

  it('validates the body: phase required, 1–256 characters, no unknown fields', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const url = `/v1/sessions/${session.session_id}/checkpoints`;
    const missing = await t.http.post(url).set(auth).send({});
    expect(missing.status).toBe(400);
    expect(missing.body.errors).toEqual([expect.objectContaining({ path: 'body.phase' })]);
    expect((await t.http.post(url).set(auth).send({ phase: '' })).status).toBe(400);
    expect(
      (
        await t.http
          .post(url)
          .set(auth)
          .send({ phase: 'p'.repeat(257) })
      ).status,
    ).toBe(400);
    expect(
      (
        await t.http
          .post(url)
          .set(auth)
          .send({ phase: 'p', context_snapshot: [1] })
      ).status,
    ).toBe(400);
    const unknown = await t.http.post(url).set(auth).send({ phase: 'p', snapshot: {} });
    expect(unknown.body.errors).toEqual([{ path: 'body.snapshot', message: 'unknown field "snapshot"' }]);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } })).toBe(0);
  });

  it("answers 404 for an unknown or another project's session and 409 for an archived one", async () => {
    const { auth, make } = await setup();
    const other = await setup();
    const theirs = await other.make.session();
    expect((await t.http.post(`/v1/sessions/${theirs.session_id}/checkpoints`).set(auth).send({ phase: 'p' })).status).toBe(404);
    expect((await t.http.post('/v1/sessions/sess_nope/checkpoints').set(auth).send({ phase: 'p' })).status).toBe(404);

    const session = await make.session();
    await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    const archived = await t.http.post(`/v1/sessions/${session.session_id}/checkpoints`).set(auth).send({ phase: 'p' });
    expect(archived.status).toBe(409);
    expect(archived.body.code).toBe('SESSION_ARCHIVED');
  });

  it('creates one checkpoint for a retried Idempotency-Key', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const url = `/v1/sessions/${session.session_id}/checkpoints`;
    const first = await t.http.post(url).set(auth).set('idempotency-key', 'ck-1').send({ phase: 'p' });
    const retry = await t.http.post(url).set(auth).set('idempotency-key', 'ck-1').send({ phase: 'p' });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.checkpoint_id).toBe(first.body.checkpoint_id);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } })).toBe(1);
  });
});

describe('GET checkpoints', () => {
  it("lists a session's checkpoints newest first, page by page", async () => {
    const { make } = await setup();
    const session = await make.session();
    const ids: string[] = [];
    for (const phase of ['a', 'b', 'c']) ids.push((await make.checkpoint(session.session_id, { phase })).checkpoint_id);

    const first = await make.get(`/v1/sessions/${session.session_id}/checkpoints?limit=2`);
    expect(first.data.map((c: { phase: string }) => c.phase)).toEqual(['c', 'b']);
    const second = await make.get(`/v1/sessions/${session.session_id}/checkpoints?limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual([ids[0]]);
    expect(second.next_cursor).toBeNull();
  });

  it('lists only the checkpoints of exactly the phase asked for, newest first, page by page', async () => {
    const { make } = await setup();
    const session = await make.session();
    const ids: Record<string, string[]> = {};
    for (const phase of ['plan', 'plan:2', 'build', 'plan', 'Plan', 'plan']) {
      (ids[phase] ??= []).push((await make.checkpoint(session.session_id, { phase })).checkpoint_id);
    }
    const url = `/v1/sessions/${session.session_id}/checkpoints`;

    const first = await make.get(`${url}?phase=plan&limit=2`);
    expect(first.data.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual([ids.plan![2], ids.plan![1]]);
    const second = await make.get(`${url}?phase=plan&limit=2&cursor=${first.next_cursor}`);
    expect(second.data.map((c: { checkpoint_id: string }) => c.checkpoint_id)).toEqual([ids.plan![0]]);
    expect(second.next_cursor).toBeNull();

    expect((await make.get(`${url}?phase=${encodeURIComponent('plan:2')}`)).data.map((c: { phase: string }) => c.phase)).toEqual(['plan:2']);
    expect(await make.get(`${url}?phase=pla`)).toEqual({ data: [], next_cursor: null });
  });

  it('answers 400 for a phase filter that is empty or over 256 characters', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    for (const phase of ['', 'x'.repeat(257)]) {
      const res = await t.http.get(`/v1/sessions/${session.session_id}/checkpoints`).query({ phase }).set(auth);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    const res = await t.http
      .get(`/v1/sessions/${session.session_id}/checkpoints`)
      .query({ phase: 'x'.repeat(256) })
      .set(auth);
    expect(res.status).toBe(200);
  });

  it("answers 404 for another project's session, whatever the phase filter", async () => {
    const { make } = await setup();
    const session = await make.session();
    await make.checkpoint(session.session_id, { phase: 'secret' });
    const other = await setup();
    const res = await t.http.get(`/v1/sessions/${session.session_id}/checkpoints`).query({ phase: 'secret' }).set(other.auth);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
  });

  it('gets one checkpoint by id, and 404 for an unknown one or for another project', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ context: { k: 'v' } });
    const checkpoint = await make.checkpoint(session.session_id);
    expect(await make.get(`/v1/checkpoints/${checkpoint.checkpoint_id}`)).toEqual(checkpoint);

    const other = await setup();
    expect((await t.http.get(`/v1/checkpoints/${checkpoint.checkpoint_id}`).set(other.auth)).status).toBe(404);
    expect((await t.http.get('/v1/checkpoints/ckpt_nope').set(auth)).status).toBe(404);
    expect((await t.http.get('/v1/sessions/sess_nope/checkpoints').set(auth)).status).toBe(404);
  });
});

describe('POST /v1/checkpoints/{id}/restore', () => {
  it('puts the snapshot back as the context, makes the session active and sets last_recovery_at', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ context: { plan: 'v1' } });
    const checkpoint = await make.checkpoint(session.session_id);
    await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ context: { plan: 'v2', extra: true } });
    await t.http.post(`/v1/sessions/${session.session_id}/resume`).set(auth);

    const res = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ session_id: session.session_id, status: 'active', context: { plan: 'v1' } });
    expect(res.body.last_recovery_at).toEqual(expect.any(String));
    expect(res.headers.etag).toBe(`"${res.body.version}"`);
    expect((await make.get(`/v1/sessions/${session.session_id}`)).context).toEqual({ plan: 'v1' });
  });

  it('takes a session out of emergency_recovery', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 100_000 } });
    const checkpoint = await make.checkpoint(session.session_id);
    expect((await make.usage(session.session_id, 90_000)).status).toBe('emergency_recovery');
    const res = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
    expect(res.body.status).toBe('active');
  });

  it('defers the non-critical keys of the snapshot when fewer than 30,000 tokens are available', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 100_000 }, context: { plan: 'p', temp_context: 'scratch' } });
    const checkpoint = await make.checkpoint(session.session_id);
    await make.usage(session.session_id, 60_000);
    // Past 75% the policy already moved temp_context; the checkpoint still holds it.
    await make.usage(session.session_id, 15_000);

    const res = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
    expect(res.body.context).toEqual({ plan: 'p' });
    expect(res.body.deferred_context).toEqual({ temp_context: 'scratch' });
  });

  it('answers 409 CHECKPOINT_CORRUPTED when the stored snapshot was altered, and changes nothing', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ context: { plan: 'original' } });
    const checkpoint = await make.checkpoint(session.session_id);
    await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ context: { plan: 'current' } });
    await t.db.prisma.$executeRaw`
      UPDATE checkpoints SET context_snapshot = jsonb_set(context_snapshot::jsonb, '{plan}', '"tampered"')::json WHERE id = ${checkpoint.checkpoint_id}`;
    const before = await make.get(`/v1/sessions/${session.session_id}`);

    const res = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('CHECKPOINT_CORRUPTED');
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await make.get(`/v1/sessions/${session.session_id}`)).toEqual(before);
  });

  it('keeps the hash valid across key order and whitespace changes in storage', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const checkpoint = await make.checkpoint(session.session_id, { context_snapshot: { zeta: 1, alpha: { y: 2, x: [3, 'é'] } } });
    // The same value, written otherwise: keys in another order, spaces and an escaped character.
    await t.db.prisma.$executeRaw`
      UPDATE checkpoints SET context_snapshot = ${'{ "alpha" : { "x" : [ 3, "\u00e9" ], "y" : 2 }, "zeta" : 1 }'}::json WHERE id = ${checkpoint.checkpoint_id}`;
    const res = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body.context).toEqual({ zeta: 1, alpha: { y: 2, x: [3, 'é'] } });
  });

  it('answers 409 for an archived session and 404 for an unknown checkpoint', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const checkpoint = await make.checkpoint(session.session_id);
    await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    const archived = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
    expect(archived.status).toBe(409);
    expect(archived.body.code).toBe('SESSION_ARCHIVED');
    expect((await t.http.post('/v1/checkpoints/ckpt_nope/restore').set(auth)).status).toBe(404);
  });
});
