// Reservations (holds) on PGlite: grants, refusals, commit, release, exact expiry, and the session's
// ends releasing its holds. The races run on PostgreSQL in test/integration/reservations-concurrency.test.ts.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { thresholdEventsOf } from '../helpers/events.js';

const clock = createTestClock();
const t = useTestApp({ clock });

async function newSession(total = 1000) {
  const project = await t.newProject();
  const res = await t.http.post('/v1/sessions').set(project.auth).send({ task_id: 'SPEC-001', token_budget: { total } });
  expect(res.status).toBe(201);
  const id = res.body.session_id as string;
  return {
    ...project,
    id,
    reserve: (body: Record<string, unknown>, headers: Record<string, string> = {}) =>
      t.http.post(`/v1/sessions/${id}/reservations`).set(project.auth).set(headers).send(body),
    commit: (reservationId: string, body: Record<string, unknown>) =>
      t.http.post(`/v1/reservations/${reservationId}/commit`).set(project.auth).send(body),
    release: (reservationId: string) => t.http.post(`/v1/reservations/${reservationId}/release`).set(project.auth).send({}),
    budget: async () => (await t.http.get(`/v1/sessions/${id}`).set(project.auth)).body.token_budget,
    use: (tokens: number) => t.http.post(`/v1/sessions/${id}/usage`).set(project.auth).send({ tokens }),
  };
}

describe('POST /v1/sessions/{id}/reservations', () => {
  it('holds the tokens: 201 with the reservation and the budget counting it in reserved', async () => {
    const s = await newSession(1000);
    const res = await s.reserve({ tokens: 300, source: 'planner', metadata: { call: 1 } });
    expect(res.status).toBe(201);
    expect(res.headers.location).toBe(`/v1/reservations/${res.body.reservation_id}`);
    expect(res.body).toEqual({
      reservation_id: expect.stringMatching(/^rsv_[0-9a-f]{32}$/),
      session_id: s.id,
      tokens: 300,
      status: 'held',
      source: 'planner',
      metadata: { call: 1 },
      expires_at: new Date(clock.now().getTime() + 300_000).toISOString(),
      created_at: clock.now().toISOString(),
      resolved_at: null,
      release_reason: null,
      token_budget: { total: 1000, used: 0, reserved: 300, available: 700, position_percent: 0 },
    });
    expect(await s.budget()).toEqual({ total: 1000, used: 0, reserved: 300, available: 700, position_percent: 0 });
    const budget = await t.http.get(`/v1/sessions/${s.id}/budget`).set(s.auth);
    expect(budget.body.token_budget).toEqual({ total: 1000, used: 0, reserved: 300, available: 700, position_percent: 0 });
    expect((await t.http.get(`/v1/reservations/${res.body.reservation_id}`).set(s.auth)).body.status).toBe('held');
  });

  it('refuses a hold that does not fit with 409 BUDGET_EXHAUSTED, available and reserved, and holds nothing', async () => {
    const s = await newSession(1000);
    await s.use(200);
    expect((await s.reserve({ tokens: 500 })).status).toBe(201);
    const refused = await s.reserve({ tokens: 301 });
    expect(refused.status).toBe(409);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ code: 'BUDGET_EXHAUSTED', status: 409, available: 300, reserved: 500 });
    expect(await s.budget()).toMatchObject({ used: 200, reserved: 500, available: 300 });
    // Exactly what is left still fits.
    expect((await s.reserve({ tokens: 300 })).status).toBe(201);
    expect(await s.budget()).toMatchObject({ used: 200, reserved: 800, available: 0 });
    const list = await t.http.get(`/v1/sessions/${s.id}/reservations`).set(s.auth);
    expect(list.body.data.map((r: { tokens: number }) => r.tokens)).toEqual([300, 500]);
  });

  it('validates the body: tokens 1…, ttl_seconds 1…3600, no unknown fields', async () => {
    const s = await newSession();
    for (const body of [
      {},
      { tokens: 0 },
      { tokens: 1.5 },
      { tokens: 10, ttl_seconds: 0 },
      { tokens: 10, ttl_seconds: 3601 },
      { tokens: 10, x: 1 },
    ]) {
      const res = await s.reserve(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect(await s.budget()).toMatchObject({ reserved: 0 });
  });

  it('is 404 for a session of another project and 409 on an archived session', async () => {
    const s = await newSession();
    const other = await t.newProject();
    expect((await t.http.post(`/v1/sessions/${s.id}/reservations`).set(other.auth).send({ tokens: 1 })).status).toBe(404);
    expect((await t.http.post(`/v1/sessions/${s.id}/archive`).set(s.auth).send({})).status).toBe(200);
    const res = await s.reserve({ tokens: 1 });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('SESSION_ARCHIVED');
  });

  it('honours Idempotency-Key: a retry returns the first grant and holds nothing more', async () => {
    const s = await newSession(1000);
    const first = await s.reserve({ tokens: 400 }, { 'idempotency-key': 'hold-1' });
    const retry = await s.reserve({ tokens: 400 }, { 'idempotency-key': 'hold-1' });
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(await s.budget()).toMatchObject({ reserved: 400 });
  });
});

describe('exact expiry', () => {
  it('stops counting a hold at expires_at, before any sweep; the sweep then marks it expired', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 600, ttl_seconds: 10 })).body;
    clock.advance(9_999);
    expect(await s.budget()).toMatchObject({ reserved: 600, available: 400 });
    expect((await s.reserve({ tokens: 401 })).status).toBe(409);
    clock.advance(1);
    expect(await s.budget()).toMatchObject({ reserved: 0, available: 1000 });
    expect((await t.http.get(`/v1/reservations/${hold.reservation_id}`).set(s.auth)).body.status).toBe('expired');
    const held = await t.http.get(`/v1/sessions/${s.id}/reservations?status=held`).set(s.auth);
    expect(held.body.data).toEqual([]);
    const expired = await t.http.get(`/v1/sessions/${s.id}/reservations?status=expired`).set(s.auth);
    expect(expired.body.data.map((r: { reservation_id: string }) => r.reservation_id)).toEqual([hold.reservation_id]);
    expect((await s.reserve({ tokens: 1000 })).status).toBe(201);

    expect((await t.container.housekeeping.tick()).expiredHolds).toBeGreaterThanOrEqual(1);
    const row = await t.db.prisma.reservation.findUniqueOrThrow({ where: { id: hold.reservation_id } });
    expect(row.status).toBe('expired');
    const session = await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } });
    expect(session.heldTokens).toBe(1000n);
  });
});

describe('POST /v1/reservations/{id}/commit', () => {
  it('records the usage as POST …/usage does and ends the hold in the same step, the estimate exceeded', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 500 })).body;
    const res = await s.commit(hold.reservation_id, { input_tokens: 600, output_tokens: 200, model: 'm', source: 'agent' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      session_id: s.id,
      token_budget: { total: 1000, used: 800, reserved: 0, available: 200, position_percent: 80 },
      level: 'defer_non_critical',
      crossed: [75],
      status: 'active',
      reservation: { reservation_id: hold.reservation_id, status: 'committed', resolved_at: clock.now().toISOString() },
    });
    const events = await thresholdEventsOf(t.db, s.id);
    expect(events.map((event) => event.data.threshold)).toEqual([75]);
    const history = await t.http.get(`/v1/sessions/${s.id}/usage`).set(s.auth);
    expect(history.body.data).toEqual([expect.objectContaining({ tokens: 800, input_tokens: 600, output_tokens: 200, model: 'm', source: 'agent' })]);
  });

  it('replays a second commit with the same body and refuses one with another body with 409 RESERVATION_NOT_HELD', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 100 })).body;
    const first = await s.commit(hold.reservation_id, { tokens: 90 });
    const again = await s.commit(hold.reservation_id, { tokens: 90 });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const other = await s.commit(hold.reservation_id, { tokens: 91 });
    expect(other.status).toBe(409);
    expect(other.body.code).toBe('RESERVATION_NOT_HELD');
    expect(await s.budget()).toMatchObject({ used: 90, reserved: 0 });
    expect((await s.release(hold.reservation_id)).body.code).toBe('RESERVATION_NOT_HELD');
  });

  it('records a commit after expiry (swept or not): the tokens were spent', async () => {
    const s = await newSession(1000);
    const late = (await s.reserve({ tokens: 100, ttl_seconds: 1 })).body;
    const swept = (await s.reserve({ tokens: 100, ttl_seconds: 1 })).body;
    clock.advance(1000);
    await t.container.housekeeping.tick();
    expect((await t.http.get(`/v1/reservations/${swept.reservation_id}`).set(s.auth)).body.status).toBe('expired');
    expect((await s.commit(late.reservation_id, { tokens: 70 })).status).toBe(200);
    expect((await s.commit(swept.reservation_id, { tokens: 30 })).status).toBe(200);
    expect(await s.budget()).toMatchObject({ used: 100, reserved: 0 });
    const session = await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } });
    expect(session.heldTokens).toBe(0n);
  });

  it('validates the body as POST …/usage does, and is 404 for a reservation of another project', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 100 })).body;
    expect((await s.commit(hold.reservation_id, {})).status).toBe(400);
    expect((await s.commit(hold.reservation_id, { tokens: 1, input_tokens: 1 })).status).toBe(400);
    const other = await t.newProject();
    expect((await t.http.post(`/v1/reservations/${hold.reservation_id}/commit`).set(other.auth).send({ tokens: 1 })).status).toBe(404);
    expect((await t.http.post('/v1/reservations/rsv_nope/commit').set(s.auth).send({ tokens: 1 })).status).toBe(404);
    expect(await s.budget()).toMatchObject({ used: 0, reserved: 100 });
  });
});

describe('POST /v1/reservations/{id}/release', () => {
  it('ends the hold; a second release changes nothing; a commit afterwards is 409 and counts nothing', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 400 })).body;
    const released = await s.release(hold.reservation_id);
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ status: 'released', release_reason: 'client', resolved_at: clock.now().toISOString() });
    expect(await s.budget()).toMatchObject({ reserved: 0, available: 1000 });
    expect((await s.release(hold.reservation_id)).body).toEqual(released.body);
    const commit = await s.commit(hold.reservation_id, { tokens: 10 });
    expect(commit.status).toBe(409);
    expect(commit.body.code).toBe('RESERVATION_NOT_HELD');
    expect(await s.budget()).toMatchObject({ used: 0, reserved: 0 });
  });
});

describe("the session's end releases its holds", () => {
  it('archive', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 400 })).body;
    const archived = await t.http.post(`/v1/sessions/${s.id}/archive`).set(s.auth).send({});
    expect(archived.body.token_budget).toMatchObject({ reserved: 0, available: 1000 });
    expect((await t.http.get(`/v1/reservations/${hold.reservation_id}`).set(s.auth)).body).toMatchObject({
      status: 'released',
      release_reason: 'archived',
    });
    expect((await s.commit(hold.reservation_id, { tokens: 10 })).body.code).toBe('RESERVATION_NOT_HELD');
  });

  it('emergency recovery', async () => {
    const s = await newSession(1000);
    const hold = (await s.reserve({ tokens: 100 })).body;
    expect((await s.use(860)).status).toBe(200);
    const recovered = await t.http.post(`/v1/sessions/${s.id}/emergency-recovery`).set(s.auth).send({});
    expect(recovered.status).toBe(201);
    expect((await t.http.get(`/v1/reservations/${hold.reservation_id}`).set(s.auth)).body).toMatchObject({
      status: 'released',
      release_reason: 'emergency_recovery',
    });
    expect(await s.budget()).toMatchObject({ used: 860, reserved: 0 });
  });

  it('merge of a fork', async () => {
    const s = await newSession(1000);
    const fork = (await t.http.post(`/v1/sessions/${s.id}/fork`).set(s.auth).send({})).body;
    const hold = (await t.http.post(`/v1/sessions/${fork.session_id}/reservations`).set(s.auth).send({ tokens: 50 })).body;
    const merged = await t.http.post(`/v1/sessions/${s.id}/merge`).set(s.auth).send({ fork_session_id: fork.session_id });
    expect(merged.status).toBe(200);
    expect((await t.http.get(`/v1/reservations/${hold.reservation_id}`).set(s.auth)).body).toMatchObject({
      status: 'released',
      release_reason: 'merged',
    });
  });
});

describe('a plain usage update', () => {
  it('keeps working without reservations and shows what others hold', async () => {
    const s = await newSession(1000);
    await s.reserve({ tokens: 300 });
    const res = await s.use(100);
    expect(res.body.token_budget).toEqual({ total: 1000, used: 100, reserved: 300, available: 600, position_percent: 10 });
  });
});
