// Lifecycle races on PostgreSQL (PGlite has one connection, so nothing there runs concurrently).
// Every race sends its requests at once over real sockets and then checks the rows, not just the
// responses: a lost lock shows up as a second event, a double count or a 500.
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

type Auth = Record<string, string>;

/** Sorted statuses, so that one comparison states the whole outcome of a race. */
const statusesOf = (responses: { status: number }[]) => responses.map((r) => r.status).sort((a, b) => a - b);

describe.skipIf(!onPostgres)('lifecycle operations racing on PostgreSQL', () => {
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
    async function created(path: string, body: object, status = 201) {
      const res = await post(path, body);
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      return res.body;
    }
    return {
      post,
      session: (body: object = {}) => created('/v1/sessions', { task_id: 'RACE-1', ...body }),
      fork: (id: string) => created(`/v1/sessions/${id}/fork`, {}),
      patchContext: async (id: string, context: object) => {
        const res = await http.patch(`/v1/sessions/${id}`).set(auth).send({ context });
        expect(res.status, JSON.stringify(res.body)).toBe(200);
      },
    };
  }

  const sessionRow = (id: string) => t.db.prisma.session.findUniqueOrThrow({ where: { id } });
  const eventsOfType = async (sessionId: string, type: string) => (await eventsOf(t.db, sessionId)).filter((e) => e.type === type);

  it('lets exactly one of 15 racing merges of a fork succeed; the others get 409 FORK_ALREADY_MERGED', async () => {
    const a = api((await t.newProject()).auth);
    const parent = await a.session({ context: { shared: 'parent', notes: { a: 1 } } });
    const fork = await a.fork(parent.session_id);
    await a.patchContext(fork.session_id, { shared: 'fork', notes: { b: 2 } });
    const parentVersionBefore = (await sessionRow(parent.session_id)).version;

    const responses = await Promise.all(
      Array.from({ length: 15 }, () => a.post(`/v1/sessions/${parent.session_id}/merge`, { fork_session_id: fork.session_id, strategy: 'deep' })),
    );

    expect(statusesOf(responses)).toEqual([200, ...Array(14).fill(409)]);
    for (const refused of responses.filter((r) => r.status === 409)) expect(refused.body.code).toBe('FORK_ALREADY_MERGED');
    const winner = responses.find((r) => r.status === 200)!;
    expect(winner.body.context).toEqual({ shared: 'fork', notes: { a: 1, b: 2 } });

    const forkRow = await sessionRow(fork.session_id);
    expect(forkRow).toMatchObject({ status: 'archived', mergedIntoSessionId: parent.session_id });
    expect(forkRow.archivedAt).not.toBeNull();
    const parentRow = await sessionRow(parent.session_id);
    expect(parentRow.status).toBe('active');
    // One write to the parent: a second merge that slipped through would have bumped it again.
    expect(parentRow.version).toBe(parentVersionBefore + 1);
    const archived = await eventsOfType(fork.session_id, 'session.archived');
    expect(archived).toHaveLength(1);
    expect(archived[0]!.data).toMatchObject({ reason: 'merged', merged_into_session_id: parent.session_id });
  });

  it('recovers a session once under 15 racing emergency recoveries; the others get 409 SESSION_ALREADY_RECOVERED', async () => {
    const a = api((await t.newProject()).auth);
    const original = await a.session({ context: { plan: 'p' } });

    const responses = await Promise.all(Array.from({ length: 15 }, () => a.post(`/v1/sessions/${original.session_id}/emergency-recovery`)));

    expect(statusesOf(responses)).toEqual([201, ...Array(14).fill(409)]);
    for (const refused of responses.filter((r) => r.status === 409)) expect(refused.body.code).toBe('SESSION_ALREADY_RECOVERED');
    const winner = responses.find((r) => r.status === 201)!;

    const recovered = await t.db.prisma.session.findMany({ where: { recoveredFromSessionId: original.session_id } });
    expect(recovered.map((s) => s.id)).toEqual([winner.body.new_session.session_id]);
    const finalCheckpoints = await t.db.prisma.checkpoint.findMany({
      where: { sessionId: original.session_id, phase: 'emergency_recovery' },
    });
    expect(finalCheckpoints.map((c) => c.id)).toEqual([winner.body.checkpoint.checkpoint_id]);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: original.session_id } })).toBe(1);
    expect(await sessionRow(original.session_id)).toMatchObject({ status: 'archived', checkpointsCount: 1 });
    expect(await eventsOfType(original.session_id, 'session.emergency_recovered')).toHaveLength(1);
    expect(await eventsOfType(original.session_id, 'session.archived')).toHaveLength(1);
  });

  it('counts exactly the usage answered 200 when 20 updates race an archive; the rest get 409 SESSION_ARCHIVED', async () => {
    const a = api((await t.newProject()).auth);
    const session = await a.session({ token_budget: { total: 1_000_000 } });
    const path = `/v1/sessions/${session.session_id}`;
    // Distinct amounts (powers of two) so that the final sum names exactly which updates were counted.
    const tokensOf = (n: number) => 2 ** n;

    // A supertest request leaves when it is awaited (then): the archive goes out in the middle of
    // the burst, so that updates land on both sides of it.
    const sendUsage = (n: number) => a.post(`${path}/usage`, { tokens: tokensOf(n) }).then((res) => ({ n, res }));
    const before = Array.from({ length: 10 }, (_, n) => sendUsage(n));
    const archive = a.post(`${path}/archive`).then((res) => res);
    const after = Array.from({ length: 10 }, (_, n) => sendUsage(10 + n));
    const [usageResults, archived] = await Promise.all([Promise.all([...before, ...after]), archive]);

    expect(archived.status, JSON.stringify(archived.body)).toBe(200);
    for (const { res } of usageResults) {
      expect([200, 409], JSON.stringify(res.body)).toContain(res.status);
      if (res.status === 409) expect(res.body.code).toBe('SESSION_ARCHIVED');
    }
    const counted = usageResults.filter(({ res }) => res.status === 200);
    const countedSum = counted.reduce((sum, { n }) => sum + tokensOf(n), 0);

    const row = await sessionRow(session.session_id);
    expect(row.status).toBe('archived');
    expect(row.used).toBe(BigInt(countedSum));
    const usageRows = await t.db.prisma.usageRecord.findMany({ where: { sessionId: session.session_id } });
    expect(usageRows).toHaveLength(counted.length);
    expect(usageRows.map((u) => u.tokens).sort((x, y) => x - y)).toEqual(counted.map(({ n }) => tokensOf(n)).sort((x, y) => x - y));
    // Nothing was counted after the archive: the archived session it answered already held the final sum.
    expect(archived.body.token_budget.used).toBe(countedSum);
    expect(Math.max(0, ...usageRows.map((u) => Number(u.usedAfter)))).toBe(countedSum);
  });

  it('answers 201 to each of 20 racing checkpoints and counts every one of them on the session', async () => {
    const { auth } = await t.newProject();
    const a = api(auth);
    const session = await a.session({ context: { plan: 'p' } });

    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, n) => a.post(`/v1/sessions/${session.session_id}/checkpoints`, { phase: `phase-${n}` })),
    );

    expect(statusesOf(responses)).toEqual(Array(20).fill(201));
    expect(new Set(responses.map((r) => r.body.checkpoint_id)).size).toBe(20);
    const rows = await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } });
    expect(rows).toBe(20);
    expect((await sessionRow(session.session_id)).checkpointsCount).toBe(rows);
    const viaApi = await http.get(`/v1/sessions/${session.session_id}`).set(auth);
    expect(viaApi.body.checkpoints_count).toBe(20);
    expect(await eventsOfType(session.session_id, 'checkpoint.created')).toHaveLength(20);
  });

  it('settles a merge of a fork racing an archive of its parent one way or the other, never with a 500 or a deadlock', async () => {
    const a = api((await t.newProject()).auth);
    // Ten parent/fork pairs raced at once, so both orders (merge first, archive first) get a chance.
    const pairs = await Promise.all(
      Array.from({ length: 10 }, async (_, n) => {
        const parent = await a.session({ task_id: `PAIR-${n}`, context: { from: 'parent' } });
        const fork = await a.fork(parent.session_id);
        await a.patchContext(fork.session_id, { fork_note: n });
        return { n, parentId: parent.session_id as string, forkId: fork.session_id as string };
      }),
    );

    const outcomes = await Promise.all(
      pairs.map(async (pair) => {
        const merge = () => a.post(`/v1/sessions/${pair.parentId}/merge`, { fork_session_id: pair.forkId }).then((res) => res);
        const archive = () => a.post(`/v1/sessions/${pair.parentId}/archive`).then((res) => res);
        // Half the pairs send the archive first (a supertest request leaves when awaited).
        if (pair.n % 2 === 0) {
          const [merged, archived] = await Promise.all([merge(), archive()]);
          return { ...pair, merge: merged, archive: archived };
        }
        const [archived, merged] = await Promise.all([archive(), merge()]);
        return { ...pair, merge: merged, archive: archived };
      }),
    );

    for (const { n, parentId, forkId, merge, archive } of outcomes) {
      expect(archive.status, JSON.stringify(archive.body)).toBe(200);
      expect([200, 409], JSON.stringify(merge.body)).toContain(merge.status);
      const parent = await sessionRow(parentId);
      const fork = await sessionRow(forkId);
      const parentEvents = (await eventsOf(t.db, parentId)).filter((e) => e.type === 'session.archived');
      const forkEvents = (await eventsOf(t.db, forkId)).filter((e) => e.type === 'session.archived');
      expect(parent.status).toBe('archived');
      expect(parentEvents).toHaveLength(1);
      if (merge.status === 200) {
        // The merge came first: the parent took the fork's context and was archived after it.
        expect(fork).toMatchObject({ status: 'archived', mergedIntoSessionId: parentId });
        expect(parent.context).toEqual({ from: 'parent', fork_note: n });
        expect(archive.body.context).toEqual(parent.context);
        expect(forkEvents).toHaveLength(1);
        expect(parent.archivedAt!.getTime()).toBeGreaterThanOrEqual(fork.archivedAt!.getTime());
      } else {
        // The archive came first: the merge changed nothing.
        expect(merge.body.code).toBe('SESSION_ARCHIVED');
        expect(fork).toMatchObject({ status: 'active', mergedIntoSessionId: null, archivedAt: null });
        expect(parent.context).toEqual({ from: 'parent' });
        expect(forkEvents).toHaveLength(0);
      }
    }
  });

  it('settles chained merges (a fork into its parent while that parent merges into its own) without a 500', async () => {
    const a = api((await t.newProject()).auth);
    const chains = await Promise.all(
      Array.from({ length: 8 }, async (_, n) => {
        const root = await a.session({ task_id: `CHAIN-${n}`, context: { level: 'root' } });
        const middle = await a.fork(root.session_id);
        await a.patchContext(middle.session_id, { middle: true });
        const leaf = await a.fork(middle.session_id);
        await a.patchContext(leaf.session_id, { leaf: true });
        return { n, rootId: root.session_id as string, middleId: middle.session_id as string, leafId: leaf.session_id as string };
      }),
    );

    // The two merges share the middle session's row: one locks (root, middle), the other (middle, leaf).
    const outcomes = await Promise.all(
      chains.map(async (chain) => {
        const mergeUpper = () => a.post(`/v1/sessions/${chain.rootId}/merge`, { fork_session_id: chain.middleId }).then((res) => res);
        const mergeLower = () => a.post(`/v1/sessions/${chain.middleId}/merge`, { fork_session_id: chain.leafId }).then((res) => res);
        // Half the chains send the lower merge first, so that both orders happen.
        if (chain.n % 2 === 0) {
          const [upper, lower] = await Promise.all([mergeUpper(), mergeLower()]);
          return { ...chain, upper, lower };
        }
        const [lower, upper] = await Promise.all([mergeLower(), mergeUpper()]);
        return { ...chain, upper, lower };
      }),
    );

    for (const { rootId, middleId, leafId, upper, lower } of outcomes) {
      expect(upper.status, JSON.stringify(upper.body)).toBe(200);
      const root = await sessionRow(rootId);
      const middle = await sessionRow(middleId);
      const leaf = await sessionRow(leafId);
      expect(middle).toMatchObject({ status: 'archived', mergedIntoSessionId: rootId });
      if (lower.status === 200) {
        // The leaf merged first, so its key travelled up with the middle session's context.
        expect(leaf).toMatchObject({ status: 'archived', mergedIntoSessionId: middleId });
        expect(root.context).toEqual({ level: 'root', middle: true, leaf: true });
      } else {
        expect(lower.status, JSON.stringify(lower.body)).toBe(409);
        expect(lower.body.code).toBe('SESSION_ARCHIVED');
        expect(leaf).toMatchObject({ status: 'active', mergedIntoSessionId: null });
        expect(root.context).toEqual({ level: 'root', middle: true });
      }
    }
  });
});
