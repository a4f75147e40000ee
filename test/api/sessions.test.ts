import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApp, createTestApp, type TestApp } from '../helpers/app.js';
import { eventsOf, thresholdEventsOf } from '../helpers/events.js';

const t = useTestApp();

async function createSession(auth: Record<string, string>, body: Record<string, unknown> = { task_id: 'SPEC-001' }) {
  const res = await t.http.post('/v1/sessions').set(auth).send(body);
  expect(res.status).toBe(201);
  return res.body as { session_id: string; token_budget: { total: number } } & Record<string, unknown>;
}

describe('POST /v1/sessions', () => {
  it('creates an active session with the default model, budget, thresholds and non-critical keys', async () => {
    const { auth, projectId } = await t.newProject();
    const res = await t.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'SPEC-001', context: { plan: 'x' } });

    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/sessions/${res.body.session_id}`);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toMatchObject({
      project_id: projectId,
      task_id: 'SPEC-001',
      model: 'claude-sonnet-4-5-20250929',
      status: 'active',
      token_budget: { total: 200000, used: 0, reserved: 0, available: 200000, position_percent: 0 },
      level: 'normal',
      thresholds: [75, 85],
      non_critical_keys: ['temp_context'],
      context: { plan: 'x' },
      deferred_context: {},
      metadata: {},
      parent_session_id: null,
      checkpoints_count: 0,
      archived_at: null,
      version: 1,
    });
    expect(res.body.session_id).toMatch(/^sess_[0-9a-f]{32}$/);
    expect(res.body.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('takes the budget from the model context window, or from token_budget.total', async () => {
    const { auth } = await t.newProject();
    // (test/api/models.test.ts: a model MODELS adds, and unknown models.)
    const haiku = await createSession(auth, { task_id: 'a', model: 'claude-haiku-4-5-20251001' });
    expect(haiku).toMatchObject({ model: 'claude-haiku-4-5-20251001', token_budget: { total: 200000 } });
    const explicit = await createSession(auth, { task_id: 'a', token_budget: { total: 1_000_000_000_000 } });
    expect(explicit.token_budget).toEqual({ total: 1_000_000_000_000, used: 0, reserved: 0, available: 1_000_000_000_000, position_percent: 0 });
  });

  it('writes session.created to the outbox with the session', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth);
    const events = await eventsOf(t.db, session.session_id);
    expect(events.map((e) => e.type)).toEqual(['session.created']);
    expect(events[0]!.data).toEqual({
      session_id: session.session_id,
      task_id: 'SPEC-001',
      external_id: null,
      model: 'claude-sonnet-4-5-20250929',
      total: 200000,
      parent_session_id: null,
      fork_checkpoint_id: null,
      recovered_from_session_id: null,
    });
  });

  it.each([
    [{ task_id: 'x', colour: 'red' }, 'body.colour', 'unknown field "colour"'],
    [{}, 'body.task_id', undefined],
    [{ task_id: '' }, 'body.task_id', undefined],
    [{ task_id: 'x'.repeat(257) }, 'body.task_id', undefined],
    [{ task_id: 'x', thresholds: [85, 75] }, 'body.thresholds', 'thresholds must be strictly ascending'],
    [{ task_id: 'x', thresholds: [0] }, 'body.thresholds.0', undefined],
    [{ task_id: 'x', thresholds: [101] }, 'body.thresholds.0', undefined],
    [{ task_id: 'x', token_budget: { total: 0 } }, 'body.token_budget.total', undefined],
    [{ task_id: 'x', token_budget: { total: 1e12 + 1 } }, 'body.token_budget.total', undefined],
    [{ task_id: 'x', token_budget: { total: 10, used: 5 } }, 'body.token_budget.used', 'unknown field "used"'],
    [{ task_id: 'x', context: [] }, 'body.context', undefined],
  ])('refuses %j with a 400 problem naming %s, and creates nothing', async (body, path, message) => {
    const { auth } = await t.newProject();
    const res = await t.http.post('/v1/sessions').set(auth).send(body);

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', type: '/problems/validation-failed', instance: '/v1/sessions' });
    const error = res.body.errors.find((e: { path: string }) => e.path === path);
    expect(error, JSON.stringify(res.body.errors)).toBeDefined();
    if (message) expect(error.message).toBe(message);
    const list = await t.http.get('/v1/sessions').set(auth);
    expect(list.body.data).toEqual([]);
  });

  it.each([
    ['context', { task_id: 'x', context: { a: 'nul\u0000' } }],
    ['task_id', { task_id: 'nul\u0000' }],
  ])('answers a NUL character in %s, which PostgreSQL cannot store, with 400', async (_field, body) => {
    const { auth } = await t.newProject();
    const res = await t.http.post('/v1/sessions').set(auth).send(body);
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toEqual([]);
  });

  it('answers malformed JSON with 400, a wrong content type with 415 and an oversized body with 413', async () => {
    const { auth } = await t.newProject();
    const malformed = await t.http.post('/v1/sessions').set(auth).set('content-type', 'application/json').send('{"task_id": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('MALFORMED_JSON');

    const text = await t.http.post('/v1/sessions').set(auth).set('content-type', 'text/plain').send('task_id=x');
    expect(text.status).toBe(415);
    expect(text.headers['content-type']).toMatch(/^application\/problem\+json/);

    const huge = await t.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'x', context: { blob: 'x'.repeat(t.config.bodyLimitBytes) } });
    expect(huge.status).toBe(413);
    expect(huge.body.code).toBe('PAYLOAD_TOO_LARGE');

    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toEqual([]);
  });
});

describe('GET /v1/sessions', () => {
  it('lists newest first with cursor pagination', async () => {
    const { auth } = await t.newProject();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await createSession(auth, { task_id: `t${i}` })).session_id);

    const first = await t.http.get('/v1/sessions?limit=2').set(auth);
    expect(first.status).toBe(200);
    expect(first.body.data.map((s: { session_id: string }) => s.session_id)).toEqual([ids[4], ids[3]]);
    const second = await t.http.get(`/v1/sessions?limit=2&cursor=${first.body.next_cursor}`).set(auth);
    expect(second.body.data.map((s: { session_id: string }) => s.session_id)).toEqual([ids[2], ids[1]]);
    const third = await t.http.get(`/v1/sessions?limit=2&cursor=${second.body.next_cursor}`).set(auth);
    expect(third.body.data.map((s: { session_id: string }) => s.session_id)).toEqual([ids[0]]);
    expect(third.body.next_cursor).toBeNull();
  });

  it('filters by status and task_id', async () => {
    const { auth } = await t.newProject();
    const a = await createSession(auth, { task_id: 'alpha', token_budget: { total: 100 } });
    await createSession(auth, { task_id: 'beta' });
    await t.http.post(`/v1/sessions/${a.session_id}/usage`).set(auth).send({ tokens: 90 });

    const byTask = await t.http.get('/v1/sessions?task_id=alpha').set(auth);
    expect(byTask.body.data.map((s: { session_id: string }) => s.session_id)).toEqual([a.session_id]);
    const byStatus = await t.http.get('/v1/sessions?status=emergency_recovery').set(auth);
    expect(byStatus.body.data.map((s: { session_id: string }) => s.session_id)).toEqual([a.session_id]);
    expect((await t.http.get('/v1/sessions?status=active').set(auth)).body.data).toHaveLength(1);
  });

  it.each(['limit=0', 'limit=201', 'limit=abc', 'status=sleeping', 'cursor=not-a-cursor&limit=x', 'colour=red'])(
    'refuses the query %s with a 400 problem',
    async (query) => {
      const { auth } = await t.newProject();
      const res = await t.http.get(`/v1/sessions?${query}`).set(auth);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    },
  );

  it('refuses a cursor it never issued with a 400 problem (every list: test/api/list-cursors.test.ts)', async () => {
    const { auth } = await t.newProject();
    await createSession(auth);
    const res = await t.http.get('/v1/sessions?cursor=bm9wZQ').set(auth);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'query.cursor', message: 'is not a cursor of this list' }] });
  });
});

describe("a session's external_id", () => {
  it('is null unless given, and is shown by the session and its session.created event', async () => {
    const { auth } = await t.newProject();
    expect((await createSession(auth)).external_id).toBeNull();

    const named = await createSession(auth, { task_id: 'x', external_id: 'conv-42' });
    expect(named.external_id).toBe('conv-42');
    expect((await t.http.get(`/v1/sessions/${named.session_id}`).set(auth)).body.external_id).toBe('conv-42');
    const [created] = await eventsOf(t.db, named.session_id);
    expect(created!.data.external_id).toBe('conv-42');
  });

  it('is unique in a project: a second session with it is 409 EXTERNAL_ID_TAKEN and nothing is created', async () => {
    const { auth, projectId } = await t.newProject();
    await createSession(auth, { task_id: 'x', external_id: 'conv-1' });

    const res = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'y', external_id: 'conv-1' });

    expect(res.status).toBe(409);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'EXTERNAL_ID_TAKEN', type: '/problems/external-id-taken' });
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(1);
    expect(await t.db.prisma.event.count({ where: { projectId } })).toBe(1);
  });

  it('may be the same in two projects', async () => {
    const a = await t.newProject();
    const b = await t.newProject();
    await createSession(a.auth, { task_id: 'x', external_id: 'shared-name' });
    expect((await createSession(b.auth, { task_id: 'x', external_id: 'shared-name' })).external_id).toBe('shared-name');
  });

  it.each([
    [{ task_id: 'x', external_id: 'sess_01a211081b717d72a20052ec5ba6250e' }, 'must not start with "sess_"'],
    [{ task_id: 'x', external_id: '' }, undefined],
    [{ task_id: 'x', external_id: 'x'.repeat(257) }, undefined],
    [{ task_id: 'x', external_id: 42 }, undefined],
  ])('refuses %j with a 400 naming body.external_id', async (body, message) => {
    const { auth, projectId } = await t.newProject();
    const res = await t.http.post('/v1/sessions').set(auth).send(body);

    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(
      expect.objectContaining({ path: 'body.external_id', ...(message ? { message: expect.stringContaining(message) } : {}) }),
    );
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });

  it('filters GET /v1/sessions?external_id=', async () => {
    const { auth } = await t.newProject();
    const named = await createSession(auth, { task_id: 'x', external_id: 'conv-7' });
    await createSession(auth, { task_id: 'x', external_id: 'conv-8' });
    await createSession(auth);

    const res = await t.http.get('/v1/sessions?external_id=conv-7').set(auth);
    expect(res.status).toBe(200);
    expect(res.body.data.map((s: { session_id: string }) => s.session_id)).toEqual([named.session_id]);
    expect((await t.http.get('/v1/sessions?external_id=unknown').set(auth)).body.data).toEqual([]);
  });

  it("never finds another project's session by its external id", async () => {
    const owner = await t.newProject();
    const stranger = await t.newProject();
    await createSession(owner.auth, { task_id: 'x', external_id: 'private-name' });

    expect((await t.http.get('/v1/sessions?external_id=private-name').set(stranger.auth)).body.data).toEqual([]);
  });
});

describe('GET /v1/sessions/{id}', () => {
  it('returns the session with its version as ETag', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth);
    const res = await t.http.get(`/v1/sessions/${session.session_id}`).set(auth);
    expect(res.status).toBe(200);
    expect(res.headers.etag).toBe('"1"');
    expect(res.body).toEqual(session);
  });

  it("answers 404 for an unknown id and for another project's session", async () => {
    const mine = await t.newProject();
    const theirs = await t.newProject();
    const session = await createSession(theirs.auth);

    const other = await t.http.get(`/v1/sessions/${session.session_id}`).set(mine.auth);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ code: 'NOT_FOUND', status: 404 });
    const unknown = await t.http.get('/v1/sessions/sess_nope').set(mine.auth);
    expect(unknown.status).toBe(404);
  });
});

describe('PATCH /v1/sessions/{id}', () => {
  it('merge-patches context and metadata (null removes a key) and bumps the version', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth, { task_id: 'x', context: { a: 1, b: { c: 2, d: 3 } }, metadata: { owner: 'me' } });
    const res = await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .set('content-type', 'application/merge-patch+json')
      .send(JSON.stringify({ context: { a: null, b: { c: 20 }, e: [1] }, metadata: { team: 'x' } }));

    expect(res.status).toBe(200);
    expect(res.body.context).toEqual({ b: { c: 20, d: 3 }, e: [1] });
    expect(res.body.metadata).toEqual({ owner: 'me', team: 'x' });
    expect(res.body.version).toBe(2);
    expect(res.headers.etag).toBe('"2"');
    expect((await t.http.get(`/v1/sessions/${session.session_id}`).set(auth)).body.context).toEqual({ b: { c: 20, d: 3 }, e: [1] });
  });

  it('honours If-Match: the current ETag applies, a stale one is 412 and changes nothing', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth);
    const url = `/v1/sessions/${session.session_id}`;

    const ok = await t.http
      .patch(url)
      .set(auth)
      .set('if-match', '"1"')
      .send({ metadata: { step: 1 } });
    expect(ok.status).toBe(200);
    const stale = await t.http
      .patch(url)
      .set(auth)
      .set('if-match', '"1"')
      .send({ metadata: { step: 2 } });
    expect(stale.status).toBe(412);
    expect(stale.body.code).toBe('PRECONDITION_FAILED');
    const garbage = await t.http
      .patch(url)
      .set(auth)
      .set('if-match', 'whatever')
      .send({ metadata: { step: 3 } });
    expect(garbage.status).toBe(412);
    const any = await t.http
      .patch(url)
      .set(auth)
      .set('if-match', '*')
      .send({ metadata: { step: 1 } });
    expect(any.status).toBe(200);

    const now = await t.http.get(url).set(auth);
    expect(now.body.metadata).toEqual({ step: 1 });
    expect(now.body.version).toBe(3);
  });

  it('changes thresholds, non-critical keys and the budget total', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth);
    const res = await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ thresholds: [50, 90], non_critical_keys: ['scratch'], token_budget: { total: 1000 } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ thresholds: [50, 90], non_critical_keys: ['scratch'], token_budget: { total: 1000, available: 1000 } });
  });

  it('emits the crossings and applies the policies when a lower total moves the position past thresholds', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth, { task_id: 'x', token_budget: { total: 1000 }, context: { temp_context: 't', keep: 1 } });
    await t.http.post(`/v1/sessions/${session.session_id}/usage`).set(auth).send({ tokens: 700 });

    const res = await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ token_budget: { total: 800 } });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      status: 'emergency_recovery',
      level: 'emergency',
      context: { keep: 1 },
      deferred_context: { temp_context: 't' },
      token_budget: { total: 800, used: 700, reserved: 0, available: 100, position_percent: 87.5 },
    });
    const events = await thresholdEventsOf(t.db, session.session_id);
    expect(events.map((e) => e.data)).toEqual([
      {
        session_id: session.session_id,
        task_id: 'x',
        threshold: 75,
        level: 'emergency',
        position_percent: 87.5,
        used: 700,
        available: 100,
        total: 800,
      },
      {
        session_id: session.session_id,
        task_id: 'x',
        threshold: 85,
        level: 'emergency',
        position_percent: 87.5,
        used: 700,
        available: 100,
        total: 800,
      },
    ]);
  });

  it('refuses an empty patch and unknown fields with 400', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth);
    expect((await t.http.patch(`/v1/sessions/${session.session_id}`).set(auth).send({})).status).toBe(400);
    const unknown = await t.http.patch(`/v1/sessions/${session.session_id}`).set(auth).send({ status: 'archived' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors).toEqual([{ path: 'body.status', message: 'unknown field "status"' }]);
  });

  it('answers 409 for an archived session and 404 for an unknown one', async () => {
    const { auth } = await t.newProject();
    const session = await createSession(auth);
    await t.db.prisma.session.update({ where: { id: session.session_id }, data: { status: 'archived', archivedAt: new Date() } });

    const archived = await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ metadata: { a: 1 } });
    expect(archived.status).toBe(409);
    expect(archived.body.code).toBe('SESSION_ARCHIVED');
    expect(
      (
        await t.http
          .patch('/v1/sessions/sess_unknown')
          .set(auth)
          .send({ metadata: { a: 1 } })
      ).status,
    ).toBe(404);
  });
});

describe('a context no checkpoint could hold', () => {
  const CHECKPOINT_MAX_BYTES = 1000;
  let small: TestApp;
  beforeAll(async () => {
    small = await createTestApp({ config: { checkpointMaxBytes: CHECKPOINT_MAX_BYTES } });
  });
  afterAll(async () => {
    await small.close();
  });

  it('is refused with 413 CONTEXT_TOO_LARGE on creation, and nothing is created', async () => {
    const { auth } = await small.newProject();
    const res = await small.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'big', context: { notes: 'x'.repeat(CHECKPOINT_MAX_BYTES) } });
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'CONTEXT_TOO_LARGE', status: 413 });
    expect(res.body.detail).toContain(`at most ${CHECKPOINT_MAX_BYTES}`);
    expect((await small.http.get('/v1/sessions').set(auth)).body.data).toEqual([]);
  });

  it('is refused when PATCH merges would grow the context past the limit; the session stays as it was and can still be checkpointed', async () => {
    const { auth } = await small.newProject();
    const created = await small.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'growing', context: { a: 'x'.repeat(400) } });
    const url = `/v1/sessions/${created.body.session_id}`;
    expect(
      (
        await small.http
          .patch(url)
          .set(auth)
          .send({ context: { b: 'y'.repeat(400) } })
      ).status,
    ).toBe(200);

    const tooMuch = await small.http
      .patch(url)
      .set(auth)
      .send({ context: { c: 'z'.repeat(400) }, metadata: { step: 3 } });
    expect(tooMuch.status).toBe(413);
    expect(tooMuch.body.code).toBe('CONTEXT_TOO_LARGE');

    const now = await small.http.get(url).set(auth);
    expect(Object.keys(now.body.context)).toEqual(['a', 'b']);
    expect(now.body.metadata).toEqual({});
    expect(now.body.version).toBe(2);
    // Replacing a value with a smaller one still applies.
    expect(
      (
        await small.http
          .patch(url)
          .set(auth)
          .send({ context: { a: null, c: 'z'.repeat(400) } })
      ).status,
    ).toBe(200);
    expect((await small.http.post(`${url}/checkpoints`).set(auth).send({ phase: 'fits' })).status).toBe(201);
  });
});
