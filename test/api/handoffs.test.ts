import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { eventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';

const clock = createTestClock();
const t = useTestApp({ clock });

async function setup() {
  const project = await t.newProject();
  const make = apiFactories(t, project.auth);
  const handoff = async (body: Record<string, unknown>) => {
    const res = await t.http
      .post('/v1/handoffs')
      .set(project.auth)
      .send({ from_agent: 'spec-builder', to_agent: 'tdd-implementer', task_context: {}, ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  };
  const registerAgent = async (name: string, acceptsFrom: string[]) => {
    const res = await t.http.put(`/v1/agents/${name}`).set(project.auth).send({ accepts_handoffs_from: acceptsFrom });
    expect([200, 201]).toContain(res.status);
  };
  return { ...project, make, handoff, registerAgent };
}

const handoffEvents = async (sessionId: string) => (await eventsOf(t.db, sessionId)).filter((event) => event.type.startsWith('handoff.'));
const handoffRows = (sessionId: string) => t.db.prisma.handoff.findMany({ where: { sessionId } });
const ids = (page: { data: { handoff_id: string }[] }) => page.data.map((handoff) => handoff.handoff_id);

describe('POST /v1/handoffs', () => {
  it('builds the package of the reference from the session, stores it and emits handoff.created', async () => {
    const { auth, make } = await setup();
    // The reference workflow: five updates of 15,000 with checkpoints at iterations 0, 2 and 4.
    const session = await make.session({ task_id: 'SPEC-001', context: { spec: 'SPEC-001', temp_context: 'notes' } });
    const checkpoints = [];
    for (let i = 0; i < 5; i++) {
      await make.usage(session.session_id, 15_000);
      if (i % 2 === 0) checkpoints.push(await make.checkpoint(session.session_id, { phase: `iteration_${i}` }));
    }
    const before = await make.get(`/v1/sessions/${session.session_id}`);

    const res = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: session.session_id, task_context: { phase: 'implementation' } });

    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.location).toBe(`/v1/handoffs/${res.body.handoff_id}`);
    expect(res.body.handoff_id).toMatch(/^hoff_[0-9a-f]{32}$/);
    expect(res.body).toEqual({
      handoff_id: res.body.handoff_id,
      created_at: clock.now().toISOString(),
      from_agent: 'spec-builder',
      to_agent: 'tdd-implementer',
      status: 'pending',
      session_context: {
        session_id: session.session_id,
        model: 'claude-sonnet-4-5-20250929',
        context_position: 37.5,
        available_tokens: 125_000,
        status: 'active',
      },
      task_context: { phase: 'implementation' },
      context_snapshot: { spec: 'SPEC-001', temp_context: 'notes' },
      recovery_info: { last_checkpoint: checkpoints[2].checkpoint_id, recovery_tokens_reserved: 55_000, fork_available: true },
      decided_at: null,
      rejection_reason: null,
    });

    const rows = await handoffRows(session.session_id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ id: res.body.handoff_id, status: 'pending', lastCheckpointId: checkpoints[2].checkpoint_id, decidedAt: null });
    expect(await handoffEvents(session.session_id)).toEqual([
      {
        id: expect.stringMatching(/^evt_/),
        type: 'handoff.created',
        data: {
          handoff_id: res.body.handoff_id,
          session_id: session.session_id,
          from_agent: 'spec-builder',
          to_agent: 'tdd-implementer',
          status: 'pending',
        },
      },
    ]);
    // Enough budget: nothing was deferred, and the session itself did not change.
    expect(await make.get(`/v1/sessions/${session.session_id}`)).toEqual(before);
  });

  it('records last_checkpoint null for a session without checkpoints, and keeps the snapshot of that moment', async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session({ context: { step: 1 } });
    const created = await handoff({ session_id: session.session_id });
    expect(created.recovery_info.last_checkpoint).toBeNull();

    await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ context: { step: 2 } });
    const later = await make.get(`/v1/handoffs/${created.handoff_id}`);
    expect(later.context_snapshot).toEqual({ step: 1 });
  });

  it('lets any names hand off in a project that registered no agent', async () => {
    const { make, handoff } = await setup();
    const session = await make.session();
    expect((await handoff({ session_id: session.session_id, from_agent: 'anyone', to_agent: 'never-registered' })).to_agent).toBe('never-registered');
  });

  it('lets a receiver that accepts "*", and one that lists the sender, take the handoff', async () => {
    const { make, handoff, registerAgent } = await setup();
    const session = await make.session();
    await registerAgent('spec-builder', []);
    await registerAgent('open', ['*']);
    await registerAgent('picky', ['architect', 'spec-builder']);
    for (const to of ['open', 'picky']) {
      expect((await handoff({ session_id: session.session_id, to_agent: to })).to_agent).toBe(to);
    }
    expect(await handoffRows(session.session_id)).toHaveLength(2);
  });

  it('answers 422 naming the registered agents when the project has some and to_agent or from_agent is not one', async () => {
    const { projectId, auth, make, registerAgent } = await setup();
    const session = await make.session();
    await registerAgent('reviewer', ['*']);
    await registerAgent('planner', []);
    const send = (body: Record<string, string>) =>
      t.http
        .post('/v1/handoffs')
        .set(auth)
        .send({ session_id: session.session_id, task_context: {}, ...body });

    const toNobody = await send({ from_agent: 'planner', to_agent: 'reviewr' });
    expect(toNobody.status).toBe(422);
    expect(toNobody.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(toNobody.body).toMatchObject({ code: 'HANDOFF_INVALID', known_agents: ['planner', 'reviewer'] });
    expect(toNobody.body.errors).toEqual([
      {
        path: 'body.to_agent',
        message: expect.stringContaining('"reviewr" is not a registered agent of this project (registered: "planner", "reviewer")'),
      },
    ]);

    const fromNobody = await send({ from_agent: 'stranger', to_agent: 'reviewer' });
    expect(fromNobody.status).toBe(422);
    expect(fromNobody.body.errors).toEqual([{ path: 'body.from_agent', message: expect.stringContaining('"stranger" is not a registered agent') }]);
    expect(fromNobody.body.known_agents).toEqual(['planner', 'reviewer']);

    expect(await t.db.prisma.handoff.count({ where: { projectId } })).toBe(0);
    expect((await send({ from_agent: 'planner', to_agent: 'reviewer' })).status).toBe(201);
  });

  it('answers 422 HANDOFF_INVALID listing every failed check, and stores nothing, not even the deferral', async () => {
    const { projectId, auth, make, registerAgent } = await setup();
    await registerAgent('tdd-implementer', ['architect']);
    await registerAgent('spec-builder', []);
    const session = await make.session({ token_budget: { total: 100_000 }, context: { plan: 'p', temp_context: 'scratch' } });
    await make.usage(session.session_id, 80_000);
    await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ context: { temp_context: 'again' } });
    await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    const before = await make.get(`/v1/sessions/${session.session_id}`);
    const eventsBefore = await eventsOf(t.db, session.session_id);

    const res = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: session.session_id, task_context: {} });

    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'HANDOFF_INVALID', status: 422, title: 'Handoff failed validation', instance: '/v1/handoffs' });
    expect(res.body.errors).toEqual([
      { path: 'body.to_agent', message: expect.stringContaining('"tdd-implementer" does not accept handoffs from "spec-builder"') },
      { path: 'session_context.status', message: expect.stringContaining('archived') },
      { path: 'session_context.available_tokens', message: expect.stringContaining('is 20000') },
    ]);
    expect(res.body.detail).toContain('3 checks');
    expect(res.body).not.toHaveProperty('known_agents');

    expect(await t.db.prisma.handoff.count({ where: { projectId } })).toBe(0);
    expect(await eventsOf(t.db, session.session_id)).toEqual(eventsBefore);
    expect(await make.get(`/v1/sessions/${session.session_id}`)).toEqual(before);
  });

  it('leaves a low-budget session as it was when the handoff is refused: its non-critical context stays', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 100_000 }, context: { plan: 'p' } });
    // 71% (below the 75% policy), then the temp context arrives: 29,000 available.
    await make.usage(session.session_id, 71_000);
    await t.http
      .patch(`/v1/sessions/${session.session_id}`)
      .set(auth)
      .send({ context: { temp_context: 'scratch' } });
    const before = await make.get(`/v1/sessions/${session.session_id}`);

    const res = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'a', to_agent: 'b', session_id: session.session_id, task_context: {} });

    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'session_context.available_tokens', message: expect.stringContaining('is 29000') }]);
    const after = await make.get(`/v1/sessions/${session.session_id}`);
    expect(after).toEqual(before);
    expect(after.context).toEqual({ plan: 'p', temp_context: 'scratch' });
  });

  it('needs more than 30,000 available tokens: exactly 30,000 is refused, 30,001 passes', async () => {
    const { auth, make, handoff } = await setup();
    const at = await make.session({ token_budget: { total: 130_000 } });
    await make.usage(at.session_id, 100_000);
    const refused = await t.http.post('/v1/handoffs').set(auth).send({ from_agent: 'a', to_agent: 'b', session_id: at.session_id, task_context: {} });
    expect(refused.status).toBe(422);
    expect(refused.body.errors.map((e: { path: string }) => e.path)).toEqual(['session_context.available_tokens']);

    const above = await make.session({ token_budget: { total: 130_001 } });
    await make.usage(above.session_id, 100_000);
    expect((await handoff({ session_id: above.session_id })).session_context.available_tokens).toBe(30_001);
  });

  it('refuses a handoff from an agent to itself, and one to an agent that accepts nobody', async () => {
    const { auth, make, registerAgent } = await setup();
    const session = await make.session();
    const self = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'a', to_agent: 'a', session_id: session.session_id, task_context: {} });
    expect(self.status).toBe(422);
    expect(self.body.errors).toEqual([{ path: 'body.to_agent', message: expect.stringContaining('same agent') }]);

    await registerAgent('a', []);
    await registerAgent('closed', []);
    const closed = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'a', to_agent: 'closed', session_id: session.session_id, task_context: {} });
    expect(closed.status).toBe(422);
    expect(closed.body.errors).toEqual([{ path: 'body.to_agent', message: expect.stringContaining('it accepts: none') }]);
    expect(await handoffRows(session.session_id)).toHaveLength(0);
  });

  it('follows the registry as it changes: a re-registration or removal applies to the next handoff', async () => {
    const { auth, make, handoff, registerAgent } = await setup();
    const session = await make.session();
    const send = () =>
      t.http.post('/v1/handoffs').set(auth).send({ from_agent: 'a', to_agent: 'b', session_id: session.session_id, task_context: {} });
    await registerAgent('b', ['c']);
    expect((await send()).body.errors.map((e: { path: string }) => e.path)).toEqual(['body.from_agent', 'body.to_agent']);
    await registerAgent('a', []);
    expect((await send()).status).toBe(422);
    await registerAgent('b', ['c', 'a']);
    expect((await send()).status).toBe(201);
    await registerAgent('b', []);
    expect((await send()).status).toBe(422);
    // b removed: unknown while a is registered; with no registration left, any names again.
    expect((await t.http.delete('/v1/agents/b').set(auth)).status).toBe(204);
    expect((await send()).body.errors).toEqual([
      expect.objectContaining({ path: 'body.to_agent', message: expect.stringContaining('"b" is not a registered agent') }),
    ]);
    expect((await t.http.delete('/v1/agents/a').set(auth)).status).toBe(204);
    expect((await handoff({ session_id: session.session_id, from_agent: 'a', to_agent: 'b' })).status).toBe('pending');
  });

  it("answers 404 for an unknown session or another project's, storing nothing", async () => {
    const { projectId, auth, make } = await setup();
    const other = await setup();
    const theirs = await other.make.session();
    await make.session();
    for (const sessionId of ['sess_nope', theirs.session_id]) {
      const res = await t.http.post('/v1/handoffs').set(auth).send({ from_agent: 'a', to_agent: 'b', session_id: sessionId, task_context: {} });
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
      expect(res.body.detail).toContain(sessionId);
    }
    expect(await t.db.prisma.handoff.count({ where: { projectId: { in: [projectId, other.projectId] } } })).toBe(0);
  });

  it.each([
    { case: 'an empty body', body: {}, paths: ['body.from_agent', 'body.to_agent', 'body.session_id', 'body.task_context'] },
    { case: 'a task_context that is not an object', body: { task_context: 'implement' }, paths: ['body.task_context'] },
    { case: 'a task_context that is an array', body: { task_context: [] }, paths: ['body.task_context'] },
    { case: 'an unknown field', body: { priority: 'high' }, paths: ['body.priority'] },
    { case: 'an empty agent name', body: { from_agent: '' }, paths: ['body.from_agent'] },
    { case: 'an agent name of 257 characters', body: { to_agent: 'x'.repeat(257) }, paths: ['body.to_agent'] },
    { case: 'the wildcard as an agent', body: { from_agent: '*' }, paths: ['body.from_agent'] },
  ])('answers 400 for $case, naming the fields', async ({ body, paths }) => {
    const { projectId, auth, make } = await setup();
    const session = await make.session();
    const base = Object.keys(body).length === 0 ? {} : { from_agent: 'a', to_agent: 'b', session_id: session.session_id, task_context: {} };
    const res = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ ...base, ...body });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(paths);
    expect(await t.db.prisma.handoff.count({ where: { projectId } })).toBe(0);
  });

  it('answers 400 for malformed JSON, 415 for another media type and 401 without a key', async () => {
    const { auth } = await setup();
    expect((await t.http.post('/v1/handoffs').set(auth).set('content-type', 'application/json').send('{"from_agent":')).status).toBe(400);
    expect((await t.http.post('/v1/handoffs').set(auth).set('content-type', 'text/plain').send('hello')).status).toBe(415);
    expect((await t.http.post('/v1/handoffs').send({})).status).toBe(401);
  });

  it('replays the first package for a retried Idempotency-Key: one handoff, one event', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const body = { from_agent: 'a', to_agent: 'b', session_id: session.session_id, task_context: { n: 1 } };
    const first = await t.http.post('/v1/handoffs').set(auth).set('idempotency-key', 'hand-1').send(body);
    const retry = await t.http.post('/v1/handoffs').set(auth).set('idempotency-key', 'hand-1').send(body);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await handoffRows(session.session_id)).toHaveLength(1);
    expect(await handoffEvents(session.session_id)).toHaveLength(1);

    const reused = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .set('idempotency-key', 'hand-1')
      .send({ ...body, task_context: { n: 2 } });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
  });
});

describe('GET /v1/handoffs/{id}', () => {
  it("returns the package as created, and 404 for an unknown id or another project's handoff", async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const created = await handoff({ session_id: session.session_id, task_context: { phase: 'review' } });

    const res = await t.http.get(`/v1/handoffs/${created.handoff_id}`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(created);

    expect((await t.http.get('/v1/handoffs/hoff_nope').set(auth)).status).toBe(404);
    const other = await setup();
    const foreign = await t.http.get(`/v1/handoffs/${created.handoff_id}`).set(other.auth);
    expect(foreign.status).toBe(404);
    expect(foreign.body.code).toBe('NOT_FOUND');
  });
});

describe('GET /v1/handoffs', () => {
  it("lists a session's handoffs newest first, page by page", async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const elsewhere = await make.session();
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await handoff({ session_id: session.session_id, task_context: { i } }));
    await handoff({ session_id: elsewhere.session_id });
    const newestFirst = created.map((h) => h.handoff_id).reverse();

    const first = await t.http.get(`/v1/handoffs?session_id=${session.session_id}&limit=2`).set(auth);
    expect(first.status).toBe(200);
    expect(ids(first.body)).toEqual(newestFirst.slice(0, 2));
    expect(first.body.data[0]).toEqual(created[4]);
    const second = await t.http.get(`/v1/handoffs?session_id=${session.session_id}&limit=2&cursor=${first.body.next_cursor}`).set(auth);
    expect(ids(second.body)).toEqual(newestFirst.slice(2, 4));
    const last = await t.http.get(`/v1/handoffs?session_id=${session.session_id}&limit=2&cursor=${second.body.next_cursor}`).set(auth);
    expect(ids(last.body)).toEqual(newestFirst.slice(4));
    expect(last.body.next_cursor).toBeNull();

    expect(ids((await t.http.get('/v1/handoffs').set(auth)).body)).toHaveLength(6);
  });

  it('filters by status and agents, and never shows another project', async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const toTdd = await handoff({ session_id: session.session_id, to_agent: 'tdd' });
    const toReview = await handoff({ session_id: session.session_id, to_agent: 'review' });
    const accepted = await handoff({ session_id: session.session_id, from_agent: 'planner', to_agent: 'tdd' });
    await t.http.post(`/v1/handoffs/${accepted.handoff_id}/accept`).set(auth);

    const list = async (query: string) => ids((await t.http.get(`/v1/handoffs?${query}`).set(auth)).body);
    expect(await list('to_agent=tdd&status=pending')).toEqual([toTdd.handoff_id]);
    expect(await list('to_agent=tdd')).toEqual([accepted.handoff_id, toTdd.handoff_id]);
    expect(await list('status=accepted')).toEqual([accepted.handoff_id]);
    expect(await list('from_agent=planner')).toEqual([accepted.handoff_id]);
    expect(await list('to_agent=review')).toEqual([toReview.handoff_id]);

    const other = await setup();
    expect((await t.http.get(`/v1/handoffs?session_id=${session.session_id}`).set(other.auth)).body).toEqual({ data: [], next_cursor: null });
    expect((await t.http.get('/v1/handoffs').set(other.auth)).body.data).toEqual([]);
  });

  it('answers 400 for an unknown status, a bad limit or an unknown parameter', async () => {
    const { auth } = await setup();
    for (const query of ['status=done', 'limit=0', 'limit=201', 'session=sess_x']) {
      expect((await t.http.get(`/v1/handoffs?${query}`).set(auth)).status, query).toBe(400);
    }
  });
});

describe('POST /v1/handoffs/{id}/accept and /reject', () => {
  it('accepts a pending handoff once, emits handoff.accepted, and then refuses any decision with 409', async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const created = await handoff({ session_id: session.session_id });
    clock.advance(5_000);

    const res = await t.http.post(`/v1/handoffs/${created.handoff_id}/accept`).set(auth);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ...created, status: 'accepted', decided_at: clock.now().toISOString() });
    expect(await make.get(`/v1/handoffs/${created.handoff_id}`)).toEqual(res.body);

    for (const again of [
      await t.http.post(`/v1/handoffs/${created.handoff_id}/accept`).set(auth),
      await t.http.post(`/v1/handoffs/${created.handoff_id}/reject`).set(auth).send({ reason: 'too late' }),
    ]) {
      expect(again.status).toBe(409);
      expect(again.body.code).toBe('HANDOFF_ALREADY_DECIDED');
      expect(again.body.detail).toContain('already accepted');
    }
    const row = await t.db.prisma.handoff.findUniqueOrThrow({ where: { id: created.handoff_id } });
    expect(row).toMatchObject({ status: 'accepted', rejectionReason: null, decidedAt: clock.now() });
    const events = await handoffEvents(session.session_id);
    expect(events.map((event) => event.type)).toEqual(['handoff.created', 'handoff.accepted']);
    expect(events[1]!.data).toEqual({
      handoff_id: created.handoff_id,
      session_id: session.session_id,
      from_agent: 'spec-builder',
      to_agent: 'tdd-implementer',
      status: 'accepted',
      decided_at: clock.now().toISOString(),
    });
  });

  it('rejects a pending handoff with its reason once, emits handoff.rejected, and then refuses with 409', async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const created = await handoff({ session_id: session.session_id });

    const res = await t.http.post(`/v1/handoffs/${created.handoff_id}/reject`).set(auth).send({ reason: 'no capacity today' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'rejected', rejection_reason: 'no capacity today', decided_at: clock.now().toISOString() });

    const accept = await t.http.post(`/v1/handoffs/${created.handoff_id}/accept`).set(auth);
    expect(accept.status).toBe(409);
    expect(accept.body.detail).toContain('already rejected');
    expect((await t.http.post(`/v1/handoffs/${created.handoff_id}/reject`).set(auth).send({ reason: 'again' })).status).toBe(409);

    expect(await t.db.prisma.handoff.findUniqueOrThrow({ where: { id: created.handoff_id } })).toMatchObject({
      status: 'rejected',
      rejectionReason: 'no capacity today',
    });
    const events = await handoffEvents(session.session_id);
    expect(events.map((event) => event.type)).toEqual(['handoff.created', 'handoff.rejected']);
    expect(events[1]!.data).toMatchObject({ handoff_id: created.handoff_id, status: 'rejected', reason: 'no capacity today' });
  });

  it('validates the bodies: accept takes none, reject needs a reason of 1 to 2000 characters', async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const created = await handoff({ session_id: session.session_id });
    const url = (action: string) => `/v1/handoffs/${created.handoff_id}/${action}`;

    const cases = [
      { action: 'reject', body: {}, path: 'body.reason' },
      { action: 'reject', body: { reason: '' }, path: 'body.reason' },
      { action: 'reject', body: { reason: 'x'.repeat(2001) }, path: 'body.reason' },
      { action: 'reject', body: { reason: 'r', why: 'w' }, path: 'body.why' },
      { action: 'accept', body: { force: true }, path: 'body.force' },
    ];
    for (const { action, body, path } of cases) {
      const res = await t.http.post(url(action)).set(auth).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
    }
    expect((await t.db.prisma.handoff.findUniqueOrThrow({ where: { id: created.handoff_id } })).status).toBe('pending');
    expect(
      (
        await t.http
          .post(url('reject'))
          .set(auth)
          .send({ reason: 'x'.repeat(2000) })
      ).status,
    ).toBe(200);
  });

  it("answers 404 for an unknown handoff or another project's, which stays pending", async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const created = await handoff({ session_id: session.session_id });
    const other = await setup();

    for (const res of [
      await t.http.post('/v1/handoffs/hoff_nope/accept').set(auth),
      await t.http.post('/v1/handoffs/hoff_nope/reject').set(auth).send({ reason: 'r' }),
      await t.http.post(`/v1/handoffs/${created.handoff_id}/accept`).set(other.auth),
      await t.http.post(`/v1/handoffs/${created.handoff_id}/reject`).set(other.auth).send({ reason: 'r' }),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('NOT_FOUND');
    }
    expect((await make.get(`/v1/handoffs/${created.handoff_id}`)).status).toBe('pending');
    expect(await handoffEvents(session.session_id)).toHaveLength(1);
  });

  it('replays the first answer for a retried Idempotency-Key instead of a 409', async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const created = await handoff({ session_id: session.session_id });
    const url = `/v1/handoffs/${created.handoff_id}/accept`;
    const first = await t.http.post(url).set(auth).set('idempotency-key', 'accept-1');
    const retry = await t.http.post(url).set(auth).set('idempotency-key', 'accept-1');
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect((await handoffEvents(session.session_id)).map((event) => event.type)).toEqual(['handoff.created', 'handoff.accepted']);
  });
});

describe('GET /v1/sessions/{id}/export', () => {
  it("includes the session's handoffs oldest first, as GET /v1/handoffs/{id} shows them", async () => {
    const { auth, make, handoff } = await setup();
    const session = await make.session();
    const first = await handoff({ session_id: session.session_id, to_agent: 'one' });
    const second = await handoff({ session_id: session.session_id, to_agent: 'two' });
    await t.http.post(`/v1/handoffs/${first.handoff_id}/reject`).set(auth).send({ reason: 'busy' });
    const other = await make.session();
    await handoff({ session_id: other.session_id });

    const exported = await make.get(`/v1/sessions/${session.session_id}/export`);
    expect(exported.handoffs).toEqual([await make.get(`/v1/handoffs/${first.handoff_id}`), await make.get(`/v1/handoffs/${second.handoff_id}`)]);
    expect(exported.handoffs[0].status).toBe('rejected');
    expect(exported.events.map((event: { type: string }) => event.type)).toEqual([
      'session.created',
      'handoff.created',
      'handoff.created',
      'handoff.rejected',
    ]);
  });
});
