import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { eventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';

const clock = createTestClock();
const t = useTestApp({ clock });

type Spec = { spec_id: string; depends_on?: string[] };
type Body = Record<string, unknown>;

async function setup() {
  const project = await t.newProject();
  const make = apiFactories(t, project.auth);
  const post = (url: string, body: Body = {}) => t.http.post(url).set(project.auth).send(body);
  async function orchestration(specs: Spec[], extra: Body = {}) {
    const res = await post('/v1/orchestrations', { specs, ...extra });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body;
  }
  async function finish(id: string, specId: string, outcome: 'complete' | 'fail') {
    const res = await post(`/v1/orchestrations/${id}/specs/${specId}/${outcome}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  }
  return { ...project, make, post, orchestration, finish };
}

/** Spec ids by node status, e.g. `{ running: ['a'], pending: ['b'] }`. */
function byStatus(orchestration: { nodes: { spec_id: string; status: string }[] }) {
  const groups: Record<string, string[]> = {};
  for (const node of orchestration.nodes) (groups[node.status] ??= []).push(node.spec_id);
  return groups;
}

const sessionOf = (orchestration: { nodes: { spec_id: string; session_id: string | null }[] }, specId: string) =>
  orchestration.nodes.find((node) => node.spec_id === specId)!.session_id;

const projectSessions = (projectId: string) => t.db.prisma.session.findMany({ where: { projectId }, orderBy: { id: 'asc' } });
const completedEvents = (projectId: string) =>
  t.db.prisma.event.findMany({ where: { projectId, type: 'orchestration.completed' }, orderBy: { seq: 'asc' } });
const sessionCreatedEvents = (projectId: string) => t.db.prisma.event.findMany({ where: { projectId, type: 'session.created' } });

describe('POST /v1/orchestrations', () => {
  it('stores the graph and starts a session for every spec without dependencies, as the reference creates them', async () => {
    const { projectId, post } = await setup();
    const now = clock.now().toISOString();

    const res = await post('/v1/orchestrations', {
      specs: [
        { spec_id: 'SPEC-001', depends_on: [] },
        { spec_id: 'SPEC-002', depends_on: ['SPEC-001'] },
        { spec_id: 'SPEC-003', depends_on: [] },
      ],
    });

    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const id = res.body.orchestration_id;
    expect(id).toMatch(/^orch_[0-9a-f]{32}$/);
    expect(res.headers.location).toBe(`/v1/orchestrations/${id}`);
    const first = sessionOf(res.body, 'SPEC-001');
    const third = sessionOf(res.body, 'SPEC-003');
    expect(res.body).toEqual({
      orchestration_id: id,
      status: 'running',
      max_parallel_sessions: 3,
      nodes: [
        { spec_id: 'SPEC-001', depends_on: [], status: 'running', session_id: first, started_at: now, finished_at: null },
        { spec_id: 'SPEC-002', depends_on: ['SPEC-001'], status: 'pending', session_id: null, started_at: null, finished_at: null },
        { spec_id: 'SPEC-003', depends_on: [], status: 'running', session_id: third, started_at: now, finished_at: null },
      ],
      ready: ['SPEC-001', 'SPEC-003'],
      explorations: [],
      created_at: now,
      updated_at: now,
      completed_at: null,
    });

    const sessions = await projectSessions(projectId);
    expect(sessions.map((s) => s.id).sort()).toEqual([first, third].sort());
    for (const [specId, sessionId] of [
      ['SPEC-001', first],
      ['SPEC-003', third],
    ] as const) {
      const row = sessions.find((s) => s.id === sessionId)!;
      expect(row).toMatchObject({
        taskId: specId,
        model: 'claude-sonnet-4-5-20250929',
        status: 'active',
        total: 200_000n,
        used: 0n,
        thresholds: [75, 85],
        nonCriticalKeys: ['temp_context'],
        context: { spec_id: specId },
        metadata: { orchestration_id: id },
      });
      const events = await eventsOf(t.db, sessionId!);
      expect(events.map((e) => e.type)).toEqual(['session.created']);
      expect(events[0]!.data).toMatchObject({ session_id: sessionId, task_id: specId });
    }
    const nodes = await t.db.prisma.orchestrationNode.findMany({ where: { orchestrationId: id }, orderBy: { position: 'asc' } });
    expect(nodes.map((n) => [n.specId, n.position, n.status, n.dependsOn])).toEqual([
      ['SPEC-001', 0, 'running', []],
      ['SPEC-002', 1, 'pending', ['SPEC-001']],
      ['SPEC-003', 2, 'running', []],
    ]);
    expect(await completedEvents(projectId)).toEqual([]);
  });

  it('starts no more than max_parallel_sessions, in request order; ready lists the others that wait only for a slot', async () => {
    const { projectId, orchestration } = await setup();
    const created = await orchestration(
      ['a', 'b', 'c', 'd', 'e'].map((spec_id) => ({ spec_id })),
      { max_parallel_sessions: 2 },
    );
    expect(created.max_parallel_sessions).toBe(2);
    expect(byStatus(created)).toEqual({ running: ['a', 'b'], pending: ['c', 'd', 'e'] });
    expect(created.ready).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(await projectSessions(projectId)).toHaveLength(2);
    expect(await sessionCreatedEvents(projectId)).toHaveLength(2);
  });

  it('takes depends_on as optional (default []) and a single spec', async () => {
    const { orchestration } = await setup();
    const created = await orchestration([{ spec_id: 'only' }]);
    expect(created.nodes).toEqual([expect.objectContaining({ spec_id: 'only', depends_on: [], status: 'running' })]);
  });

  it('answers 422 ORCHESTRATION_INVALID naming an unknown dependency, a duplicate spec id and a self-dependency; stores nothing', async () => {
    const { projectId, post } = await setup();
    const res = await post('/v1/orchestrations', {
      specs: [
        { spec_id: 'a', depends_on: ['ghost'] },
        { spec_id: 'b', depends_on: ['b'] },
        { spec_id: 'a', depends_on: [] },
      ],
    });

    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({
      code: 'ORCHESTRATION_INVALID',
      status: 422,
      title: 'Orchestration graph is invalid',
      instance: '/v1/orchestrations',
    });
    expect(res.body.errors).toEqual([
      { path: 'body.specs.0.depends_on.0', message: expect.stringContaining('unknown spec "ghost"') },
      { path: 'body.specs.1.depends_on.0', message: 'spec "b" depends on itself' },
      { path: 'body.specs.2.spec_id', message: expect.stringContaining('duplicates spec "a"') },
    ]);
    expect(res.body.detail).toContain('3 problems');
    expect(await t.db.prisma.orchestration.count({ where: { projectId } })).toBe(0);
    expect(await projectSessions(projectId)).toEqual([]);
  });

  it('answers 422 naming the cycle spec by spec, and starts no session for the rest of the graph', async () => {
    const { projectId, post } = await setup();
    const res = await post('/v1/orchestrations', {
      specs: [
        { spec_id: 'root' },
        { spec_id: 'a', depends_on: ['root', 'c'] },
        { spec_id: 'b', depends_on: ['a'] },
        { spec_id: 'c', depends_on: ['b'] },
      ],
    });

    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ path: 'body.specs.1.depends_on', message: 'dependency cycle: a → c → b → a' }]);
    expect(res.body.detail).toContain('a → c → b → a');
    expect(await t.db.prisma.orchestration.count({ where: { projectId } })).toBe(0);
    expect(await projectSessions(projectId)).toEqual([]);
  });

  it.each([
    { name: 'no specs', body: { specs: [] }, path: 'body.specs' },
    { name: 'an unknown field', body: { specs: [{ spec_id: 'a' }], priority: 1 }, path: 'body.priority' },
    { name: 'an unknown spec field', body: { specs: [{ spec_id: 'a', needs: [] }] }, path: 'body.specs.0.needs' },
    { name: 'a spec id of 257 characters', body: { specs: [{ spec_id: 'x'.repeat(257) }] }, path: 'body.specs.0.spec_id' },
    { name: 'an empty spec id', body: { specs: [{ spec_id: '' }] }, path: 'body.specs.0.spec_id' },
    {
      name: 'a dependency named twice',
      body: { specs: [{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a', 'a'] }] },
      path: 'body.specs.1.depends_on.1',
    },
    { name: 'more than 200 specs', body: { specs: Array.from({ length: 201 }, (_, i) => ({ spec_id: `s${i}` })) }, path: 'body.specs' },
    { name: 'max_parallel_sessions 0', body: { specs: [{ spec_id: 'a' }], max_parallel_sessions: 0 }, path: 'body.max_parallel_sessions' },
    { name: 'max_parallel_sessions 1.5', body: { specs: [{ spec_id: 'a' }], max_parallel_sessions: 1.5 }, path: 'body.max_parallel_sessions' },
  ])('answers 400 for $name', async ({ body, path }) => {
    const { projectId, post } = await setup();
    const res = await post('/v1/orchestrations', body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await t.db.prisma.orchestration.count({ where: { projectId } })).toBe(0);
  });

  it('takes 200 specs with ids of 256 characters', async () => {
    const { orchestration } = await setup();
    const id = (i: number) => `${i}`.padStart(256, 's');
    const specs = Array.from({ length: 200 }, (_, i) => ({ spec_id: id(i), depends_on: i === 0 ? [] : [id(i - 1)] }));
    const created = await orchestration(specs, { max_parallel_sessions: 200 });
    expect(created.nodes).toHaveLength(200);
    expect(byStatus(created).running).toEqual([id(0)]);
  });

  it('replays the first response for a retried Idempotency-Key: one orchestration, one set of sessions', async () => {
    const { projectId, auth } = await setup();
    const body = { specs: [{ spec_id: 'a' }, { spec_id: 'b' }] };
    const first = await t.http.post('/v1/orchestrations').set(auth).set('idempotency-key', 'orch-1').send(body);
    const retry = await t.http.post('/v1/orchestrations').set(auth).set('idempotency-key', 'orch-1').send(body);
    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(await t.db.prisma.orchestration.count({ where: { projectId } })).toBe(1);
    expect(await projectSessions(projectId)).toHaveLength(2);
  });

  it('answers 401 without an API key', async () => {
    const res = await t.http.post('/v1/orchestrations').send({ specs: [{ spec_id: 'a' }] });
    expect(res.status).toBe(401);
  });
});

describe('GET /v1/orchestrations/{id} and GET /v1/orchestrations', () => {
  it('reads an orchestration back as it was created', async () => {
    const { make, orchestration } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }]);
    expect(await make.get(`/v1/orchestrations/${created.orchestration_id}`)).toEqual(created);
  });

  it("answers 404 for an unknown orchestration and for another project's", async () => {
    const mine = await setup();
    const theirs = await setup();
    const created = await theirs.orchestration([{ spec_id: 'a' }]);
    const res = await t.http.get(`/v1/orchestrations/${created.orchestration_id}`).set(mine.auth);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('NOT_FOUND');
    expect((await t.http.get('/v1/orchestrations/orch_nope').set(mine.auth)).status).toBe(404);
    expect((await mine.post(`/v1/orchestrations/${created.orchestration_id}/specs/a/complete`)).status).toBe(404);
    expect((await mine.post(`/v1/orchestrations/${created.orchestration_id}/specs/a/explore`)).status).toBe(404);
  });

  it('lists newest first, page by page, filtered by status, only this project', async () => {
    const { auth, orchestration, finish } = await setup();
    await (await setup()).orchestration([{ spec_id: 'elsewhere' }]);
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await orchestration([{ spec_id: `spec-${i}` }]));
    await finish(created[1].orchestration_id, 'spec-1', 'complete');
    const ids = created.map((o) => o.orchestration_id).reverse();

    const page1 = await t.http.get('/v1/orchestrations?limit=2').set(auth);
    expect(page1.status).toBe(200);
    expect(page1.body.data.map((o: { orchestration_id: string }) => o.orchestration_id)).toEqual(ids.slice(0, 2));
    expect(page1.body.data[0]).toEqual(created[4]);
    const page2 = await t.http.get(`/v1/orchestrations?limit=2&cursor=${page1.body.next_cursor}`).set(auth);
    const page3 = await t.http.get(`/v1/orchestrations?limit=2&cursor=${page2.body.next_cursor}`).set(auth);
    expect(page2.body.data.map((o: { orchestration_id: string }) => o.orchestration_id)).toEqual(ids.slice(2, 4));
    expect(page3.body).toEqual({ data: [expect.objectContaining({ orchestration_id: ids[4] })], next_cursor: null });

    const completed = await t.http.get('/v1/orchestrations?status=completed').set(auth);
    expect(completed.body.data.map((o: { orchestration_id: string }) => o.orchestration_id)).toEqual([created[1].orchestration_id]);
    expect((await t.http.get('/v1/orchestrations?status=done').set(auth)).status).toBe(400);
  });
});

describe('POST /v1/orchestrations/{id}/specs/{spec_id}/complete', () => {
  it('completes the spec and starts its dependents in the same call, each with a new session', async () => {
    const { projectId, orchestration, post } = await setup();
    const created = await orchestration([
      { spec_id: 'design' },
      { spec_id: 'build', depends_on: ['design'] },
      { spec_id: 'test', depends_on: ['design'] },
      { spec_id: 'ship', depends_on: ['build', 'test'] },
    ]);
    const id = created.orchestration_id;
    clock.advance(1000);

    const res = await post(`/v1/orchestrations/${id}/specs/design/complete`);

    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const now = clock.now().toISOString();
    expect(byStatus(res.body)).toEqual({ completed: ['design'], running: ['build', 'test'], pending: ['ship'] });
    expect(res.body.nodes[0]).toMatchObject({ session_id: sessionOf(created, 'design'), finished_at: now });
    expect(res.body.nodes[1]).toMatchObject({ started_at: now, finished_at: null });
    expect(res.body.ready).toEqual(['build', 'test']);
    expect(res.body.updated_at).toBe(now);
    const sessions = await projectSessions(projectId);
    expect(sessions.map((s) => s.taskId).sort()).toEqual(['build', 'design', 'test']);
    expect(sessions.find((s) => s.taskId === 'build')!.id).toBe(sessionOf(res.body, 'build'));
    // The completed spec's session is left as it is: the client decides when to archive it.
    expect(sessions.find((s) => s.taskId === 'design')!.status).toBe('active');
    expect(await sessionCreatedEvents(projectId)).toHaveLength(3);
  });

  it('starts a dependent only when all of its dependencies completed', async () => {
    const { orchestration, finish } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b' }, { spec_id: 'c', depends_on: ['a', 'b'] }]);
    const afterA = await finish(created.orchestration_id, 'a', 'complete');
    expect(byStatus(afterA)).toEqual({ completed: ['a'], running: ['b'], pending: ['c'] });
    const afterB = await finish(created.orchestration_id, 'b', 'complete');
    expect(byStatus(afterB)).toEqual({ completed: ['a', 'b'], running: ['c'] });
  });

  it('fills a freed slot with the next spec in request order, never more than the limit', async () => {
    const { projectId, orchestration, finish } = await setup();
    const created = await orchestration(
      ['a', 'b', 'c', 'd'].map((spec_id) => ({ spec_id })),
      { max_parallel_sessions: 2 },
    );
    const id = created.orchestration_id;
    const afterB = await finish(id, 'b', 'complete');
    expect(byStatus(afterB)).toEqual({ running: ['a', 'c'], completed: ['b'], pending: ['d'] });
    expect(await projectSessions(projectId)).toHaveLength(3);
    const afterA = await finish(id, 'a', 'complete');
    expect(byStatus(afterA)).toEqual({ completed: ['a', 'b'], running: ['c', 'd'] });
  });

  it('completes the orchestration with the last spec and emits orchestration.completed once', async () => {
    const { projectId, orchestration, finish } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }], { max_parallel_sessions: 1 });
    const id = created.orchestration_id;
    await finish(id, 'a', 'complete');
    expect(await completedEvents(projectId)).toEqual([]);
    clock.advance(5000);

    const done = await finish(id, 'b', 'complete');

    const now = clock.now().toISOString();
    expect(done).toMatchObject({ status: 'completed', completed_at: now, ready: [] });
    expect(byStatus(done)).toEqual({ completed: ['a', 'b'] });
    const events = await completedEvents(projectId);
    expect(events).toHaveLength(1);
    expect(events[0]!.sessionId).toBeNull();
    expect(events[0]!.data).toEqual({
      orchestration_id: id,
      status: 'completed',
      completed_at: now,
      summary: { total: 2, completed: 2, failed: 0, blocked: 0 },
      nodes: [
        { spec_id: 'a', status: 'completed', session_id: sessionOf(done, 'a') },
        { spec_id: 'b', status: 'completed', session_id: sessionOf(done, 'b') },
      ],
    });
    const row = await t.db.prisma.orchestration.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ status: 'completed', completedAt: clock.now() });
  });

  it('answers 409 SPEC_NOT_RUNNING for a pending spec and for one already completed, changing nothing', async () => {
    const { projectId, make, orchestration, finish, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }, { spec_id: 'c' }]);
    const id = created.orchestration_id;

    const pending = await post(`/v1/orchestrations/${id}/specs/b/complete`);
    expect(pending.status).toBe(409);
    expect(pending.body).toMatchObject({ code: 'SPEC_NOT_RUNNING', title: 'Spec is not running' });
    expect(pending.body.detail).toContain('is pending');
    expect(await make.get(`/v1/orchestrations/${id}`)).toEqual(created);

    const afterA = await finish(id, 'a', 'complete');
    const again = await post(`/v1/orchestrations/${id}/specs/a/complete`);
    expect(again.status).toBe(409);
    expect(again.body.detail).toContain('is completed');
    const failAgain = await post(`/v1/orchestrations/${id}/specs/a/fail`);
    expect(failAgain.status).toBe(409);

    const rows = await t.db.prisma.orchestrationNode.findMany({ where: { orchestrationId: id }, orderBy: { position: 'asc' } });
    expect(rows.map((n) => n.status)).toEqual(afterA.nodes.map((n: { status: string }) => n.status));
    expect(await projectSessions(projectId)).toHaveLength(3);
  });

  it('answers 404 for a spec the orchestration does not have, and 400 for a body with fields', async () => {
    const { orchestration, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }]);
    const unknown = await post(`/v1/orchestrations/${created.orchestration_id}/specs/zz/complete`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toContain('has no spec "zz"');
    const withBody = await post(`/v1/orchestrations/${created.orchestration_id}/specs/a/complete`, { result: 'ok' });
    expect(withBody.status).toBe(400);
    expect(withBody.body.errors).toEqual([{ path: 'body.result', message: 'unknown field "result"' }]);
  });

  it('takes spec ids with spaces and slashes, percent-encoded in the path', async () => {
    const { orchestration, finish } = await setup();
    const created = await orchestration([{ spec_id: 'api/v2 users' }, { spec_id: 'next', depends_on: ['api/v2 users'] }]);
    const done = await finish(created.orchestration_id, encodeURIComponent('api/v2 users'), 'complete');
    expect(byStatus(done)).toEqual({ completed: ['api/v2 users'], running: ['next'] });
  });
});

describe('POST /v1/orchestrations/{id}/specs/{spec_id}/fail', () => {
  it('blocks the specs that depend on it, transitively, and lets independent specs run and start', async () => {
    const { projectId, orchestration, finish } = await setup();
    const created = await orchestration(
      [
        { spec_id: 'a' },
        { spec_id: 'b', depends_on: ['a'] },
        { spec_id: 'c', depends_on: ['b'] },
        { spec_id: 'x' },
        { spec_id: 'y', depends_on: ['x'] },
      ],
      { max_parallel_sessions: 2 },
    );
    const id = created.orchestration_id;
    clock.advance(1000);

    const failed = await finish(id, 'a', 'fail');

    const now = clock.now().toISOString();
    expect(failed.status).toBe('running');
    expect(byStatus(failed)).toEqual({ failed: ['a'], blocked: ['b', 'c'], running: ['x'], pending: ['y'] });
    expect(failed.nodes[1]).toMatchObject({ session_id: null, started_at: null, finished_at: now });
    expect(await completedEvents(projectId)).toEqual([]);

    const afterX = await finish(id, 'x', 'complete');
    expect(byStatus(afterX)).toEqual({ failed: ['a'], blocked: ['b', 'c'], completed: ['x'], running: ['y'] });

    const ended = await finish(id, 'y', 'complete');
    expect(ended.status).toBe('failed');
    expect(ended.completed_at).toBe(now);
    const events = await completedEvents(projectId);
    expect(events).toHaveLength(1);
    expect(events[0]!.data).toMatchObject({
      orchestration_id: id,
      status: 'failed',
      summary: { total: 5, completed: 2, failed: 1, blocked: 2 },
    });
    // Blocked specs never got a session.
    expect((await projectSessions(projectId)).map((s) => s.taskId).sort()).toEqual(['a', 'x', 'y']);
  });

  it('fails the orchestration at once when nothing else is left to run', async () => {
    const { projectId, orchestration, finish } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }]);
    const ended = await finish(created.orchestration_id, 'a', 'fail');
    expect(ended).toMatchObject({ status: 'failed', ready: [] });
    expect(byStatus(ended)).toEqual({ failed: ['a'], blocked: ['b'] });
    expect((await completedEvents(projectId)).map((e) => e.data)).toEqual([
      expect.objectContaining({ status: 'failed', summary: { total: 2, completed: 0, failed: 1, blocked: 1 } }),
    ]);
  });

  it('answers 409 SPEC_NOT_RUNNING for a blocked spec', async () => {
    const { orchestration, finish, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }, { spec_id: 'c' }]);
    await finish(created.orchestration_id, 'a', 'fail');
    const res = await post(`/v1/orchestrations/${created.orchestration_id}/specs/b/fail`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SPEC_NOT_RUNNING');
    expect(res.body.detail).toContain('is blocked');
  });
});

describe('POST /v1/orchestrations/{id}/specs/{spec_id}/explore', () => {
  it("forks the spec's session from its latest checkpoint and records the fork in the graph", async () => {
    const { auth, make, orchestration, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }]);
    const id = created.orchestration_id;
    const specSession = sessionOf(created, 'a')!;
    await t.http
      .patch(`/v1/sessions/${specSession}`)
      .set(auth)
      .send({ context: { plan: 'v1' } });
    const checkpoint = await make.checkpoint(specSession, { phase: 'design' });
    clock.advance(1000);

    const res = await post(`/v1/orchestrations/${id}/specs/a/explore`);

    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.headers.location).toBe(`/v1/sessions/${res.body.session_id}`);
    expect(res.body).toMatchObject({
      task_id: 'fork_a',
      parent_session_id: specSession,
      fork_checkpoint_id: checkpoint.checkpoint_id,
      context: { spec_id: 'a', plan: 'v1' },
      status: 'active',
    });
    const after = await make.get(`/v1/orchestrations/${id}`);
    expect(after.explorations).toEqual([{ spec_id: 'a', session_id: res.body.session_id, created_at: clock.now().toISOString() }]);
    expect(after.updated_at).toBe(clock.now().toISOString());
    // The exploration is no spec: the graph and its limit are unchanged.
    expect(after.nodes).toEqual(created.nodes);
    expect((await eventsOf(t.db, res.body.session_id)).map((e) => e.type)).toEqual(['session.created']);
  });

  it('takes the fork options (task_id, token_budget) and records several explorations, of finished specs too', async () => {
    const { orchestration, finish, post, make } = await setup();
    const created = await orchestration([{ spec_id: 'a' }]);
    const id = created.orchestration_id;
    const first = await post(`/v1/orchestrations/${id}/specs/a/explore`, { task_id: 'a-alt', token_budget: { total: 50_000 } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ task_id: 'a-alt', token_budget: { total: 50_000, used: 0 } });
    await finish(id, 'a', 'complete');
    const second = await post(`/v1/orchestrations/${id}/specs/a/explore`);
    expect(second.status).toBe(201);
    const after = await make.get(`/v1/orchestrations/${id}`);
    expect(after.explorations.map((e: { session_id: string }) => e.session_id)).toEqual([first.body.session_id, second.body.session_id]);
    expect(after.status).toBe('completed');
  });

  it('answers 409 SPEC_NOT_RUNNING for a spec without a session, and records nothing', async () => {
    const { projectId, orchestration, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }]);
    const res = await post(`/v1/orchestrations/${created.orchestration_id}/specs/b/explore`);
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SPEC_NOT_RUNNING');
    expect(res.body.detail).toContain('has no session');
    expect(await t.db.prisma.orchestrationExploration.count({ where: { orchestrationId: created.orchestration_id } })).toBe(0);
    expect(await projectSessions(projectId)).toHaveLength(1);
  });

  it('answers 422 for a checkpoint of another session and 400 for an unknown field, recording nothing', async () => {
    const { projectId, make, orchestration, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }]);
    const other = await make.session();
    const foreign = await make.checkpoint(other.session_id);

    const res = await post(`/v1/orchestrations/${created.orchestration_id}/specs/a/explore`, { checkpoint_id: foreign.checkpoint_id });
    expect(res.status).toBe(422);
    expect(res.body.code).toBe('CHECKPOINT_NOT_IN_SESSION');
    const typo = await post(`/v1/orchestrations/${created.orchestration_id}/specs/a/explore`, { task: 'x' });
    expect(typo.status).toBe(400);
    expect(await t.db.prisma.orchestrationExploration.count({ where: { orchestrationId: created.orchestration_id } })).toBe(0);
    expect(await projectSessions(projectId)).toHaveLength(2);
  });

  it('answers 404 for an unknown spec', async () => {
    const { orchestration, post } = await setup();
    const created = await orchestration([{ spec_id: 'a' }]);
    expect((await post(`/v1/orchestrations/${created.orchestration_id}/specs/nope/explore`)).status).toBe(404);
  });
});
