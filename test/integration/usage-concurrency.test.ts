// Races on PostgreSQL (PGlite has one connection, so nothing there runs concurrently).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { thresholdEventsOf } from '../helpers/events.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** The fields these tests read from session and usage responses. */
interface ResponseBody {
  session_id: string;
  crossed: number[];
  token_budget: { used: number };
}

describe.skipIf(!onPostgres)('usage updates racing on PostgreSQL', () => {
  let t: TestApp;
  let baseUrl: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ config: { databasePoolMax: 20 } });
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    auth = (await t.newProject()).auth;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ResponseBody };
  }

  it('ends with exactly the sum and reports every crossing exactly once per session', async () => {
    const SESSIONS = 4;
    const UPDATES_PER_SESSION = 100;
    const sessions = await Promise.all(
      Array.from(
        { length: SESSIONS },
        async (_, i) => (await post('/v1/sessions', { task_id: `race-${i}`, token_budget: { total: 10000 } })).body.session_id as string,
      ),
    );
    // 100 updates of 2..200 tokens per session: 10,100 in all, past 75%, 85% and 100% of 10,000.
    const tokensFor = (n: number) => 2 * ((n % 100) + 1);
    const responses = await Promise.all(
      sessions.flatMap((id) =>
        Array.from({ length: UPDATES_PER_SESSION }, (_, n) => post(`/v1/sessions/${id}/usage`, { tokens: tokensFor(n) }).then((r) => ({ id, ...r }))),
      ),
    );

    expect(responses.every((r) => r.status === 200)).toBe(true);
    const expectedSum = Array.from({ length: UPDATES_PER_SESSION }, (_, n) => tokensFor(n)).reduce((a, b) => a + b, 0);
    expect(expectedSum).toBe(10100);
    for (const id of sessions) {
      const row = await t.db.prisma.session.findUniqueOrThrow({ where: { id } });
      expect(row.used).toBe(BigInt(expectedSum));
      const mine = responses.filter((r) => r.id === id);
      expect(mine.flatMap((r) => r.body.crossed as number[]).sort()).toEqual([75, 85]);
      expect((await thresholdEventsOf(t.db, id)).map((e) => e.data.threshold)).toEqual([75, 85]);
      expect(await t.db.prisma.usageRecord.count({ where: { sessionId: id } })).toBe(UPDATES_PER_SESSION);
      // Every response saw a distinct total: the increments were serialized, none lost.
      expect(new Set(mine.map((r) => r.body.token_budget.used)).size).toBe(UPDATES_PER_SESSION);
    }
  });

  it('counts racing retries with one Idempotency-Key once, and they all get the same answer', async () => {
    const id = (await post('/v1/sessions', { task_id: 'retry-race', token_budget: { total: 1000 } })).body.session_id as string;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => post(`/v1/sessions/${id}/usage`, { tokens: 800 }, { 'idempotency-key': 'same-call' })),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(new Set(responses.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(responses[0]!.body).toMatchObject({ crossed: [75], token_budget: { used: 800 } });
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id } })).used).toBe(800n);
    expect(await thresholdEventsOf(t.db, id)).toHaveLength(1);
  });

  it('creates one session for racing retries of POST /v1/sessions with one key', async () => {
    const { auth: projectAuth } = await t.newProject();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        fetch(`${baseUrl}/v1/sessions`, {
          method: 'POST',
          headers: { ...projectAuth, 'content-type': 'application/json', 'idempotency-key': 'create-once' },
          body: JSON.stringify({ task_id: 'once' }),
        }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    // The first one creates; the rest either replay it (201) or are told it is still running (409).
    expect(statuses.filter((s) => s === 201).length).toBeGreaterThanOrEqual(1);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const list = await fetch(`${baseUrl}/v1/sessions`, { headers: projectAuth });
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(1);
  });
});
