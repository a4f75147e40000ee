// Handoff and agent races on PostgreSQL (PGlite has one connection, so nothing there runs
// concurrently). Requests go out at once over real sockets; the rows and events are checked after,
// so a decision that slipped through twice shows up as a second event or a changed row.
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

type Auth = Record<string, string>;

/** Sorted statuses, so that one comparison states the whole outcome of a race. */
const statusesOf = (responses: { status: number }[]) => responses.map((r) => r.status).sort((a, b) => a - b);

describe.skipIf(!onPostgres)('handoffs racing on PostgreSQL', () => {
  let t: TestApp;
  let http: ReturnType<typeof supertest>;

  beforeAll(async () => {
    t = await createTestApp();
    // A listening server, so that supertest opens one connection per request and they really overlap.
    http = supertest(await t.app.listen({ port: 0, host: '127.0.0.1' }));
  });
  afterAll(async () => {
    await t?.close();
  });

  function api(auth: Auth) {
    const post = (path: string, body: object = {}) => http.post(path).set(auth).send(body);
    async function created(path: string, body: object) {
      const res = await post(path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return res.body;
    }
    return {
      post,
      put: (path: string, body: object) => http.put(path).set(auth).send(body),
      session: (body: object = {}) => created('/v1/sessions', { task_id: 'RACE-1', ...body }),
      handoff: (sessionId: string) =>
        created('/v1/handoffs', { from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: sessionId, task_context: {} }),
    };
  }

  const decisionEvents = async (sessionId: string) =>
    (await eventsOf(t.db, sessionId)).filter((e) => e.type === 'handoff.accepted' || e.type === 'handoff.rejected');

  it('decides a handoff once under 20 racing accepts and rejects: one 200, nineteen 409, one event', async () => {
    const a = api((await t.newProject()).auth);
    const session = await a.session();
    const handoff = await a.handoff(session.session_id);
    const path = `/v1/handoffs/${handoff.handoff_id}`;

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? a.post(`${path}/accept`) : a.post(`${path}/reject`, { reason: `reason-${n}` }))),
    );

    expect(statusesOf(responses)).toEqual([200, ...Array(19).fill(409)]);
    for (const refused of responses.filter((r) => r.status === 409)) expect(refused.body.code).toBe('HANDOFF_ALREADY_DECIDED');
    const winner = responses.find((r) => r.status === 200)!.body;

    const row = await t.db.prisma.handoff.findUniqueOrThrow({ where: { id: handoff.handoff_id } });
    expect(row.status).toBe(winner.status);
    expect(row.rejectionReason).toBe(winner.rejection_reason);
    const events = await decisionEvents(session.session_id);
    expect(events).toHaveLength(1);
    expect(events[0]!.type).toBe(`handoff.${winner.status}`);
    expect(events[0]!.data).toMatchObject({ handoff_id: handoff.handoff_id, status: winner.status });
  });

  it('decides each of 10 handoffs once when 10 accepts and 10 rejects race on each of them at the same time', async () => {
    const a = api((await t.newProject()).auth);
    const session = await a.session();
    const handoffs = [];
    for (let i = 0; i < 10; i++) handoffs.push(await a.handoff(session.session_id));

    const outcomes = await Promise.all(
      handoffs.map(async (handoff) => {
        const path = `/v1/handoffs/${handoff.handoff_id}`;
        const responses = await Promise.all(
          Array.from({ length: 20 }, (_, n) => (n % 2 === 0 ? a.post(`${path}/reject`, { reason: 'r' }) : a.post(`${path}/accept`))),
        );
        return { id: handoff.handoff_id as string, responses };
      }),
    );

    for (const { id, responses } of outcomes) {
      expect(statusesOf(responses), id).toEqual([200, ...Array(19).fill(409)]);
      const winner = responses.find((r) => r.status === 200)!.body;
      expect((await t.db.prisma.handoff.findUniqueOrThrow({ where: { id } })).status).toBe(winner.status);
    }
    const events = await decisionEvents(session.session_id);
    expect(events).toHaveLength(10);
    expect(new Set(events.map((e) => e.data.handoff_id)).size).toBe(10);
  });

  it('settles a handoff racing an archive of its session either way: created before it, or refused as archived', async () => {
    const a = api((await t.newProject()).auth);
    const sessions = await Promise.all(Array.from({ length: 10 }, (_, n) => a.session({ task_id: `PAIR-${n}` })));

    const outcomes = await Promise.all(
      sessions.map(async (session, n) => {
        const id = session.session_id as string;
        const hand = () => a.post('/v1/handoffs', { from_agent: 'a', to_agent: 'b', session_id: id, task_context: {} }).then((res) => res);
        const archive = () => a.post(`/v1/sessions/${id}/archive`).then((res) => res);
        // Half the pairs send the archive first (a supertest request leaves when awaited).
        if (n % 2 === 0) {
          const [handed, archived] = await Promise.all([hand(), archive()]);
          return { id, handed, archived };
        }
        const [archived, handed] = await Promise.all([archive(), hand()]);
        return { id, handed, archived };
      }),
    );

    for (const { id, handed, archived } of outcomes) {
      expect(archived.status, JSON.stringify(archived.body)).toBe(200);
      const rows = await t.db.prisma.handoff.findMany({ where: { sessionId: id } });
      const created = (await eventsOf(t.db, id)).filter((e) => e.type === 'handoff.created');
      if (handed.status === 201) {
        // The handoff came first: it saw a live session.
        expect(handed.body.session_context.status).toBe('active');
        expect(rows.map((row) => row.id)).toEqual([handed.body.handoff_id]);
        expect(created).toHaveLength(1);
      } else {
        expect(handed.status, JSON.stringify(handed.body)).toBe(422);
        expect(handed.body.errors).toEqual([expect.objectContaining({ path: 'session_context.status' })]);
        expect(rows).toHaveLength(0);
        expect(created).toHaveLength(0);
      }
    }
  });

  it('creates an agent once under 15 racing PUTs of a new name: one 201, the rest 200, one row', async () => {
    const { projectId, auth } = await t.newProject();
    const a = api(auth);

    const responses = await Promise.all(
      Array.from({ length: 15 }, (_, n) => a.put('/v1/agents/reviewer', { accepts_handoffs_from: [`agent-${n}`] })),
    );

    expect(statusesOf(responses)).toEqual([...Array(14).fill(200), 201]);
    const rows = await t.db.prisma.agent.findMany({ where: { projectId } });
    expect(rows).toHaveLength(1);
    // The row holds one of the registrations that were sent, whole.
    expect(responses.map((r) => r.body.accepts_handoffs_from[0])).toContain(rows[0]!.acceptsHandoffsFrom[0]);
    expect(rows[0]!.acceptsHandoffsFrom).toHaveLength(1);
  });
});
