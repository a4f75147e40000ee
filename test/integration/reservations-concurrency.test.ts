// Reservations under real concurrency: two app instances (two containers, two pools) on one
// PostgreSQL, requests spread over both. PGlite is one in-process session, so the races run on
// PostgreSQL only; the client that reserves and dies runs on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createTestApp, type TestApp } from '../helpers/app.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const INSTANCES = 2;

interface Body {
  session_id: string;
  reservation_id: string;
  code?: string;
  status: number | string;
  available?: number;
  reserved?: number;
  release_reason?: string | null;
  token_budget: { used: number; reserved: number; available: number };
}

/** A clock the test moves, shared by both instances (they agree on when a hold expires). */
function movableClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

describe.skipIf(!onPostgres)('reservations racing on two app instances over one PostgreSQL', () => {
  const clock = movableClock();
  const instances: TestApp[] = [];
  const baseUrls: string[] = [];
  let auth: Record<string, string>;

  beforeAll(async () => {
    for (let i = 0; i < INSTANCES; i++) {
      const instance = await createTestApp({ clock, config: { databasePoolMax: 15, rateLimitMax: 1_000_000 } });
      instances.push(instance);
      baseUrls.push(await instance.app.listen({ port: 0, host: '127.0.0.1' }));
    }
    auth = (await instances[0]!.newProject()).auth;
  });
  afterAll(async () => {
    await Promise.all(instances.map((instance) => instance.close()));
  });

  /** A request to instance `n` (mod 2). */
  async function call(n: number, method: string, path: string, body?: unknown) {
    const res = await fetch(`${baseUrls[n % INSTANCES]}${path}`, {
      method,
      headers: { ...auth, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      type: res.headers.get('content-type'),
      replayed: res.headers.get('idempotent-replayed'),
      body: (await res.json()) as Body,
    };
  }

  async function session(total: number, used = 0) {
    const created = await call(0, 'POST', '/v1/sessions', { task_id: 'race', token_budget: { total } });
    expect(created.status).toBe(201);
    const id = created.body.session_id;
    if (used > 0) expect((await call(1, 'POST', `/v1/sessions/${id}/usage`, { tokens: used })).status).toBe(200);
    return id;
  }

  const row = (id: string) => instances[0]!.db.prisma.session.findUniqueOrThrow({ where: { id } });

  it('never grants past total - used: 1,000 concurrent reservations of random sizes', async () => {
    const TOTAL = 60_000;
    const USED = 7_000;
    const id = await session(TOTAL, USED);
    // Random sizes (seeded, so a failure reproduces) that together ask for about three times what is left.
    const sizes = fc.sample(fc.integer({ min: 1, max: 300 }), { numRuns: 1000, seed: 13 });
    expect(sizes.reduce((a, b) => a + b, 0)).toBeGreaterThan(2 * (TOTAL - USED));
    const answers = await Promise.all(sizes.map((tokens, n) => call(n, 'POST', `/v1/sessions/${id}/reservations`, { tokens, ttl_seconds: 600 })));

    const granted = answers.filter((answer) => answer.status === 201);
    const refused = answers.filter((answer) => answer.status !== 201);
    const grantedSum = sizes.filter((_, n) => answers[n]!.status === 201).reduce((a, b) => a + b, 0);
    expect(grantedSum).toBeLessThanOrEqual(TOTAL - USED);
    expect(refused.length).toBeGreaterThan(0);
    for (const answer of refused) {
      expect(answer.status).toBe(409);
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body.code).toBe('BUDGET_EXHAUSTED');
      // Each refusal was right when it was made: its tokens did not fit in what was available then.
      expect(answer.body.available!).toBeLessThan(sizes[answers.indexOf(answer)]!);
    }
    // Every grant's own answer counted at most what fits, and the session now holds exactly the granted sum.
    for (const answer of granted) expect(answer.body.token_budget.used + answer.body.token_budget.reserved).toBeLessThanOrEqual(TOTAL);
    const budget = (await call(1, 'GET', `/v1/sessions/${id}`)).body.token_budget;
    expect(budget).toMatchObject({ used: USED, reserved: grantedSum, available: TOTAL - USED - grantedSum });
    expect((await row(id)).heldTokens).toBe(BigInt(grantedSum));
    // Refusals only began once the remainder was smaller than the largest request: the budget filled up.
    expect(TOTAL - USED - grantedSum).toBeLessThan(300);
  });

  it('counts a reservation committed twice at once exactly once (same body: one replay; other body: 409)', async () => {
    const id = await session(1_000_000);
    const holds = await Promise.all(Array.from({ length: 40 }, (_, n) => call(n, 'POST', `/v1/sessions/${id}/reservations`, { tokens: 100 })));
    const results = await Promise.all(
      holds.map(async ({ body: { reservation_id } }, n) => {
        const sameBody = n % 2 === 0;
        const [a, b] = await Promise.all([
          call(n, 'POST', `/v1/reservations/${reservation_id}/commit`, { tokens: 50 }),
          call(n + 1, 'POST', `/v1/reservations/${reservation_id}/commit`, { tokens: sameBody ? 50 : 60 }),
        ]);
        return { sameBody, answers: [a, b] };
      }),
    );
    let counted = 0;
    for (const { sameBody, answers } of results) {
      const firsts = answers.filter((answer) => answer.status === 200 && answer.replayed === null);
      expect(firsts).toHaveLength(1);
      const other = answers.find((answer) => answer !== firsts[0])!;
      if (sameBody) {
        expect(other.status).toBe(200);
        expect(other.replayed).toBe('true');
      } else if (other.status === 200) {
        // The 60-token commit won; the 50-token one was refused.
        expect(other.replayed).toBe(null);
      } else {
        expect(other.status).toBe(409);
        expect(other.body.code).toBe('RESERVATION_NOT_HELD');
      }
      counted += firsts.length;
    }
    expect(counted).toBe(40);
    const stored = await row(id);
    const usage = await instances[0]!.db.prisma.usageRecord.findMany({ where: { sessionId: id } });
    expect(usage).toHaveLength(40);
    expect(Number(stored.used)).toBe(usage.reduce((sum, entry) => sum + entry.tokens, 0));
    expect(stored.heldTokens).toBe(0n);
  });

  it('counts a commit racing the expiry sweep exactly once', async () => {
    const id = await session(1_000_000);
    const holds = await Promise.all(
      Array.from({ length: 30 }, (_, n) => call(n, 'POST', `/v1/sessions/${id}/reservations`, { tokens: 100, ttl_seconds: 5 })),
    );
    clock.advance(6_000);
    const [commits] = await Promise.all([
      Promise.all(holds.map(({ body }, n) => call(n, 'POST', `/v1/reservations/${body.reservation_id}/commit`, { tokens: 70 }))),
      instances[0]!.container.housekeeping.tick(),
      instances[1]!.container.housekeeping.tick(),
    ]);
    // Whether the sweep marked a hold expired first or not, its commit is recorded, once.
    expect(commits.map((answer) => answer.status)).toEqual(Array(30).fill(200));
    const stored = await row(id);
    expect(Number(stored.used)).toBe(30 * 70);
    expect(stored.heldTokens).toBe(0n);
    const statuses = await instances[0]!.db.prisma.reservation.findMany({ where: { sessionId: id }, select: { status: true } });
    expect(statuses.every((reservation) => reservation.status === 'committed')).toBe(true);
  });

  it('counts a commit racing an archive exactly once: committed then archived, or released by the archive and refused', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => session(10_000)));
    const holds = await Promise.all(ids.map((id, n) => call(n, 'POST', `/v1/sessions/${id}/reservations`, { tokens: 500 })));
    const outcomes = await Promise.all(
      ids.map(async (id, n) => {
        const [commit, archive] = await Promise.all([
          call(n, 'POST', `/v1/reservations/${holds[n]!.body.reservation_id}/commit`, { tokens: 400 }),
          call(n + 1, 'POST', `/v1/sessions/${id}/archive`, {}),
        ]);
        return { id, reservationId: holds[n]!.body.reservation_id, commit, archive };
      }),
    );
    for (const { id, reservationId, commit, archive } of outcomes) {
      expect(archive.status, JSON.stringify(archive.body)).toBe(200);
      const stored = await row(id);
      const reservation = await instances[0]!.db.prisma.reservation.findUniqueOrThrow({ where: { id: reservationId } });
      expect(stored.heldTokens).toBe(0n);
      if (commit.status === 200) {
        expect(Number(stored.used)).toBe(400);
        expect(reservation.status).toBe('committed');
      } else {
        expect(commit.status).toBe(409);
        expect(commit.body.code).toBe('RESERVATION_NOT_HELD');
        expect(Number(stored.used)).toBe(0);
        expect(reservation).toMatchObject({ status: 'released', releaseReason: 'archived' });
      }
    }
  });
});

describe('a client that reserves and dies', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('stops counting its hold at expires_at, without a sweep', async () => {
    const { auth } = await t.newProject();
    const created = await t.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'dies', token_budget: { total: 1000 } });
    const id = created.body.session_id as string;
    const hold = await t.http.post(`/v1/sessions/${id}/reservations`).set(auth).send({ tokens: 800, ttl_seconds: 1 });
    expect(hold.status).toBe(201);
    const expiresAt = Date.parse(hold.body.expires_at as string);
    // The client is gone: nobody commits or releases. Poll until the hold no longer counts.
    let budget = (await t.http.get(`/v1/sessions/${id}`).set(auth)).body.token_budget;
    while (budget.reserved !== 0) {
      expect(budget).toMatchObject({ reserved: 800, available: 200 });
      expect(Date.now()).toBeLessThan(expiresAt + 10_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      budget = (await t.http.get(`/v1/sessions/${id}`).set(auth)).body.token_budget;
    }
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    expect(budget).toMatchObject({ reserved: 0, available: 1000 });
    expect((await t.http.post(`/v1/sessions/${id}/reservations`).set(auth).send({ tokens: 1000 })).status).toBe(201);
  });
});
