// Orchestration races on PostgreSQL (PGlite has one connection, so nothing there runs concurrently).
// Requests go out at once over real sockets; the rows are checked after every burst, so a lost lock
// shows up as one running spec too many, a spec with two sessions, or a second completion event.
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

type Auth = Record<string, string>;
type Spec = { spec_id: string; depends_on?: string[] };
type WireNode = { spec_id: string; status: string; session_id: string | null };

/** Sorted statuses, so that one comparison states the whole outcome of a race. */
const statusesOf = (responses: { status: number }[]) => responses.map((r) => r.status).sort((a, b) => a - b);

describe.skipIf(!onPostgres)('orchestrations racing on PostgreSQL', () => {
  let t: TestApp;
  let http: ReturnType<typeof supertest>;

  beforeAll(async () => {
    // More connections than the default, so that more of each burst really reaches the database at once.
    t = await createTestApp({ config: { databasePoolMax: 12 } });
    // A listening server, so that supertest opens one connection per request and they really overlap.
    http = supertest(await t.app.listen({ port: 0, host: '127.0.0.1' }));
  });
  afterAll(async () => {
    await t?.close();
  });

  function api(auth: Auth) {
    const post = (path: string, body: object = {}) => http.post(path).set(auth).send(body);
    return {
      post,
      async orchestration(specs: Spec[], maxParallel: number) {
        const res = await post('/v1/orchestrations', { specs, max_parallel_sessions: maxParallel });
        expect(res.status, JSON.stringify(res.body)).toBe(201);
        return res.body as { orchestration_id: string; nodes: WireNode[] };
      },
      finish: (id: string, specId: string, outcome: 'complete' | 'fail') => post(`/v1/orchestrations/${id}/specs/${specId}/${outcome}`),
    };
  }

  const nodeRows = (orchestrationId: string) => t.db.prisma.orchestrationNode.findMany({ where: { orchestrationId }, orderBy: { position: 'asc' } });
  const completionEvents = (projectId: string) => t.db.prisma.event.findMany({ where: { projectId, type: 'orchestration.completed' } });

  /**
   * What must hold between bursts: no more running specs than the limit, no free slot while a spec
   * could start, every started spec with exactly one session (task_id = spec_id) and one
   * session.created event, and no spec started before all its dependencies finished.
   */
  async function expectConsistent(projectId: string, orchestrationId: string, maxParallel: number) {
    const nodes = await nodeRows(orchestrationId);
    const statusOf = new Map(nodes.map((node) => [node.specId, node.status]));
    const running = nodes.filter((node) => node.status === 'running');
    const startable = nodes.filter((node) => node.status === 'pending' && node.dependsOn.every((dep) => statusOf.get(dep) === 'completed'));
    expect(running.length).toBeLessThanOrEqual(maxParallel);
    if (startable.length > 0) expect(running.length, 'a slot was left free while a spec could start').toBe(maxParallel);

    const started = nodes.filter((node) => node.sessionId !== null);
    // Spec sessions, not explorations (forks carry their parent's metadata too).
    const sessions = await t.db.prisma.session.findMany({
      where: { projectId, parentSessionId: null, metadata: { equals: { orchestration_id: orchestrationId } } },
    });
    expect(sessions.map((s) => s.taskId).sort(), 'a spec got two sessions, or a session without its spec').toEqual(
      started.map((n) => n.specId).sort(),
    );
    for (const node of started) expect(sessions.find((s) => s.id === node.sessionId)?.taskId).toBe(node.specId);
    const created = await t.db.prisma.event.count({ where: { projectId, type: 'session.created', sessionId: { in: sessions.map((s) => s.id) } } });
    expect(created).toBe(sessions.length);

    const finishedAt = new Map(nodes.map((node) => [node.specId, node.finishedAt]));
    for (const node of started) {
      for (const dep of node.dependsOn) expect(node.startedAt!.getTime()).toBeGreaterThanOrEqual(finishedAt.get(dep)!.getTime());
    }
    return nodes;
  }

  it('never runs more than max_parallel_sessions nor starts a spec twice while completions of every spec race, burst after burst', async () => {
    const { projectId, auth } = await t.newProject();
    const a = api(auth);
    const maxParallel = 4;
    // 10 roots, 20 specs on pairs of roots, and one spec on all of those: 31 specs.
    const roots = Array.from({ length: 10 }, (_, i) => ({ spec_id: `root-${i}` }));
    const middles = Array.from({ length: 20 }, (_, i) => ({ spec_id: `mid-${i}`, depends_on: [`root-${i % 10}`, `root-${(i + 3) % 10}`] }));
    const specs = [...roots, ...middles, { spec_id: 'final', depends_on: middles.map((m) => m.spec_id) }];
    const { orchestration_id: id } = await a.orchestration(specs, maxParallel);
    await expectConsistent(projectId, id, maxParallel);

    let completions = 0;
    for (let bursts = 0; bursts < 60; bursts++) {
      const status = (await t.db.prisma.orchestration.findUniqueOrThrow({ where: { id } })).status;
      if (status !== 'running') break;
      // Every spec at once, whatever its state: only running specs may answer 200, the others 409.
      const responses = await Promise.all(specs.map((spec) => a.finish(id, spec.spec_id, 'complete')));
      for (const res of responses) {
        expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
        if (res.status === 409) expect(res.body.code).toBe('SPEC_NOT_RUNNING');
        // Each answer is the graph as its own transaction left it: the limit held there too.
        else expect(res.body.nodes.filter((n: WireNode) => n.status === 'running').length).toBeLessThanOrEqual(maxParallel);
      }
      expect(
        responses.some((res) => res.status === 200),
        'a burst completed nothing',
      ).toBe(true);
      completions += responses.filter((res) => res.status === 200).length;
      await expectConsistent(projectId, id, maxParallel);
    }

    // A spec started in the middle of a burst may be completed later in that same burst, so the
    // number of bursts varies; the number of completions answered 200 does not.
    expect(completions).toBe(specs.length);
    const nodes = await nodeRows(id);
    expect(nodes.every((node) => node.status === 'completed')).toBe(true);
    expect((await t.db.prisma.orchestration.findUniqueOrThrow({ where: { id } })).status).toBe('completed');
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(specs.length);
    expect(await completionEvents(projectId)).toHaveLength(1);
  });

  it('fills exactly the freed slots when every running spec completes at once', async () => {
    const { projectId, auth } = await t.newProject();
    const a = api(auth);
    const specs = Array.from({ length: 30 }, (_, i) => ({ spec_id: `s-${String(i).padStart(2, '0')}` }));
    const created = await a.orchestration(specs, 6);
    const running = created.nodes.filter((n) => n.status === 'running').map((n) => n.spec_id);
    expect(running).toHaveLength(6);

    const responses = await Promise.all(running.map((specId) => a.finish(created.orchestration_id, specId, 'complete')));

    expect(statusesOf(responses)).toEqual(Array(6).fill(200));
    const nodes = await expectConsistent(projectId, created.orchestration_id, 6);
    const count = (status: string) => nodes.filter((n) => n.status === status).length;
    expect({ completed: count('completed'), running: count('running'), pending: count('pending') }).toEqual({
      completed: 6,
      running: 6,
      pending: 18,
    });
    // Slots are filled in request order, whichever completion freed them.
    expect(nodes.filter((n) => n.status === 'running').map((n) => n.specId)).toEqual(specs.slice(6, 12).map((s) => s.spec_id));
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(12);
  });

  it('finishes a spec once under 20 racing completes and fails: one 200, nineteen 409, its dependent started once', async () => {
    const { projectId, auth } = await t.newProject();
    const a = api(auth);
    const created = await a.orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }, { spec_id: 'c' }], 3);
    const id = created.orchestration_id;

    const responses = await Promise.all(Array.from({ length: 20 }, (_, n) => a.finish(id, 'a', n % 2 === 0 ? 'complete' : 'fail')));

    expect(statusesOf(responses)).toEqual([200, ...Array(19).fill(409)]);
    for (const refused of responses.filter((r) => r.status === 409)) expect(refused.body.code).toBe('SPEC_NOT_RUNNING');
    const winner = responses.find((r) => r.status === 200)!.body;
    const outcome = winner.nodes[0].status as string;
    const nodes = await expectConsistent(projectId, id, 3);
    expect(nodes.map((n) => n.status)).toEqual(outcome === 'completed' ? ['completed', 'running', 'running'] : ['failed', 'blocked', 'running']);
    expect(await t.db.prisma.session.count({ where: { projectId, taskId: 'b' } })).toBe(outcome === 'completed' ? 1 : 0);
  });

  it('completes each of 10 orchestrations once when their last two specs finish at the same moment', async () => {
    const { projectId, auth } = await t.newProject();
    const a = api(auth);
    const orchestrations = await Promise.all(Array.from({ length: 10 }, () => a.orchestration([{ spec_id: 'left' }, { spec_id: 'right' }], 2)));

    const outcomes = await Promise.all(
      orchestrations.map(async ({ orchestration_id: id }, n) => {
        // Half of them end failed, so that both endings race.
        const [left, right] = await Promise.all([a.finish(id, 'left', 'complete'), a.finish(id, 'right', n % 2 === 0 ? 'complete' : 'fail')]);
        return { id, n, left, right };
      }),
    );

    for (const { id, n, left, right } of outcomes) {
      expect(statusesOf([left, right])).toEqual([200, 200]);
      const row = await t.db.prisma.orchestration.findUniqueOrThrow({ where: { id } });
      expect(row.status).toBe(n % 2 === 0 ? 'completed' : 'failed');
      // The later of the two answers is the one that ended it.
      expect([left.body.status, right.body.status].sort()).toEqual(['running', row.status].sort());
    }
    const events = await completionEvents(projectId);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => (e.data as { orchestration_id: string }).orchestration_id)).size).toBe(10);
  });

  it('records every one of 15 racing explorations of a spec while it completes', async () => {
    const { projectId, auth } = await t.newProject();
    const a = api(auth);
    const created = await a.orchestration([{ spec_id: 'a' }, { spec_id: 'b', depends_on: ['a'] }], 1);
    const id = created.orchestration_id;
    const specSession = created.nodes[0]!.session_id;

    const [completed, ...explored] = await Promise.all([
      a.finish(id, 'a', 'complete'),
      ...Array.from({ length: 15 }, () => a.post(`/v1/orchestrations/${id}/specs/a/explore`)),
    ]);

    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(statusesOf(explored)).toEqual(Array(15).fill(201));
    const explorations = await t.db.prisma.orchestrationExploration.findMany({ where: { orchestrationId: id } });
    expect(explorations.map((e) => e.sessionId).sort()).toEqual(explored.map((r) => r.body.session_id).sort());
    const forks = await t.db.prisma.session.findMany({ where: { projectId, parentSessionId: specSession } });
    expect(forks).toHaveLength(15);
    await expectConsistent(projectId, id, 1);
  });
});
