import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { thresholdEventsOf } from '../helpers/events.js';
import { createUsageService } from '../../src/modules/usage/usage.service.js';

const clock = createTestClock();
const t = useTestApp({ clock });

async function newSession(body: Record<string, unknown> = {}) {
  const project = await t.newProject();
  const res = await t.http
    .post('/v1/sessions')
    .set(project.auth)
    .send({ task_id: 'SPEC-001', ...body });
  expect(res.status).toBe(201);
  const id = res.body.session_id as string;
  const use = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    t.http.post(`/v1/sessions/${id}/usage`).set(project.auth).set(headers).send(payload);
  return { ...project, id, use };
}

describe('POST /v1/sessions/{id}/usage', () => {
  it('counts tokens and answers with the new budget, level, crossings and status', async () => {
    const s = await newSession();
    const res = await s.use({ tokens: 15000, model: 'claude-sonnet-4-5-20250929', source: 'planner' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      session_id: s.id,
      token_budget: { total: 200000, used: 15000, reserved: 0, available: 185000, position_percent: 7.5 },
      level: 'normal',
      crossed: [],
      status: 'active',
      // A plain { tokens } update has no classes, so no cost.
      tokens: 15000,
      classes: null,
      cost_usd: null,
      price_version: null,
      cost: { used_usd: '0', limit_usd: null, position_percent: null },
      cost_crossed: [],
    });
  });

  it('counts input_tokens + output_tokens', async () => {
    const s = await newSession();
    const res = await s.use({ input_tokens: 1200, output_tokens: 345 });
    expect(res.body.token_budget.used).toBe(1545);
    const history = await t.http.get(`/v1/sessions/${s.id}/usage`).set(s.auth);
    expect(history.body.data[0]).toMatchObject({ tokens: 1545, input_tokens: 1200, output_tokens: 345 });
  });

  it('emits one event per threshold, in ascending order, when one update jumps from 70% to 90%', async () => {
    const s = await newSession({ token_budget: { total: 1000 } });
    expect((await s.use({ tokens: 700 })).body.crossed).toEqual([]);
    const jump = await s.use({ tokens: 200 });

    expect(jump.body.crossed).toEqual([75, 85]);
    const events = await thresholdEventsOf(t.db, s.id);
    expect(events.map((e) => e.data)).toEqual([
      { session_id: s.id, task_id: 'SPEC-001', threshold: 75, level: 'emergency', position_percent: 90, used: 900, available: 100, total: 1000 },
      { session_id: s.id, task_id: 'SPEC-001', threshold: 85, level: 'emergency', position_percent: 90, used: 900, available: 100, total: 1000 },
    ]);
    expect(events.every((e) => /^evt_[0-9a-f]{32}$/.test(e.id))).toBe(true);
  });

  it('counts landing exactly on a threshold as crossing it, and never fires it again while above', async () => {
    const s = await newSession({ token_budget: { total: 1000 } });
    expect((await s.use({ tokens: 750 })).body.crossed).toEqual([75]);
    expect((await s.use({ tokens: 10 })).body.crossed).toEqual([]);
    expect((await s.use({ tokens: 500 })).body).toMatchObject({ crossed: [85], token_budget: { available: -260, position_percent: 126 } });
    expect((await s.use({ tokens: 1 })).body.crossed).toEqual([]);
    expect((await thresholdEventsOf(t.db, s.id)).map((e) => e.data.threshold)).toEqual([75, 85]);
  });

  it('defers the non-critical context at 75% and switches to emergency_recovery at 85%', async () => {
    const s = await newSession({
      token_budget: { total: 1000 },
      context: { temp_context: 'scratch', notes: 'n', plan: 'keep' },
      non_critical_keys: ['temp_context', 'notes', 'absent'],
    });
    const at75 = await s.use({ tokens: 760 });
    expect(at75.body).toMatchObject({ crossed: [75], status: 'active', level: 'defer_non_critical' });
    let session = (await t.http.get(`/v1/sessions/${s.id}`).set(s.auth)).body;
    expect(session.context).toEqual({ plan: 'keep' });
    expect(session.deferred_context).toEqual({ temp_context: 'scratch', notes: 'n' });

    const at85 = await s.use({ tokens: 100 });
    expect(at85.body).toMatchObject({ crossed: [85], status: 'emergency_recovery', level: 'emergency' });
    session = (await t.http.get(`/v1/sessions/${s.id}`).set(s.auth)).body;
    expect(session).toMatchObject({ status: 'emergency_recovery', context: { plan: 'keep' }, version: 3 });
  });

  it('re-arms a threshold when raising total moves the position back below it', async () => {
    const s = await newSession({ token_budget: { total: 1000 } });
    expect((await s.use({ tokens: 800 })).body.crossed).toEqual([75]);
    await t.http
      .patch(`/v1/sessions/${s.id}`)
      .set(s.auth)
      .send({ token_budget: { total: 2000 } });
    expect((await s.use({ tokens: 600 })).body.crossed).toEqual([]);
    expect((await s.use({ tokens: 200 })).body.crossed).toEqual([75]);
    expect((await thresholdEventsOf(t.db, s.id)).map((e) => e.data.threshold)).toEqual([75, 75]);
  });

  it('uses the session own thresholds', async () => {
    const s = await newSession({ token_budget: { total: 100 }, thresholds: [10, 50] });
    expect((await s.use({ tokens: 60 })).body.crossed).toEqual([10, 50]);
    expect((await s.use({ tokens: 30 })).body.crossed).toEqual([]);
  });

  it('refuses usage on an archived session with 409 and counts nothing', async () => {
    const s = await newSession();
    await t.db.prisma.session.update({ where: { id: s.id }, data: { status: 'archived', archivedAt: new Date() } });
    const res = await s.use({ tokens: 10 });
    expect(res.status).toBe(409);
    expect(res.body).toMatchObject({ code: 'SESSION_ARCHIVED', status: 409 });
    const row = await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } });
    expect(row.used).toBe(0n);
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId: s.id } })).toBe(0);
  });

  it("answers 404 for another project's session and leaves it untouched", async () => {
    const s = await newSession();
    const other = await t.newProject();
    const res = await t.http.post(`/v1/sessions/${s.id}/usage`).set(other.auth).send({ tokens: 10 });
    expect(res.status).toBe(404);
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } })).used).toBe(0n);
  });

  it.each([
    [{}, 'body.tokens'],
    [{ tokens: 0 }, 'body.tokens'],
    [{ tokens: 10_000_001 }, 'body.tokens'],
    [{ tokens: 1.5 }, 'body.tokens'],
    [{ tokens: '10' }, 'body.tokens'],
    [{ tokens: 5, input_tokens: 5, output_tokens: 0 }, 'body.tokens'],
    [{ input_tokens: 5 }, 'body.output_tokens'],
    [{ input_tokens: 0, output_tokens: 0 }, 'body.tokens'],
    [{ input_tokens: 6_000_000, output_tokens: 6_000_000 }, 'body.tokens'],
    [{ tokens: 5, cost: 1 }, 'body.cost'],
  ])('refuses %j with a 400 naming %s and counts nothing', async (body, path) => {
    const s = await newSession();
    const res = await s.use(body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } })).used).toBe(0n);
  });

  it('refuses a source or model with a NUL character, which PostgreSQL cannot store, with 400 and counts nothing', async () => {
    const s = await newSession();
    for (const body of [
      { tokens: 5, source: 'nul\u0000' },
      { tokens: 5, model: 'nul\u0000' },
    ]) {
      const res = await s.use(body);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    }
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } })).used).toBe(0n);
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId: s.id } })).toBe(0);
  });
});

describe('Idempotency-Key on usage', () => {
  it('returns the first response to a retry with the same key and body, and counts once', async () => {
    const s = await newSession({ token_budget: { total: 1000 } });
    const first = await s.use({ tokens: 800 }, { 'idempotency-key': 'call-1' });
    await s.use({ tokens: 10 });
    const retry = await s.use({ tokens: 800 }, { 'idempotency-key': 'call-1' });

    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(retry.body).toMatchObject({ crossed: [75], token_budget: { used: 800 } });
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } })).used).toBe(810n);
    expect(await thresholdEventsOf(t.db, s.id)).toHaveLength(1);
  });

  it('answers 422 to the same key with a different body and counts nothing', async () => {
    const s = await newSession();
    await s.use({ tokens: 100 }, { 'idempotency-key': 'k' });
    const reused = await s.use({ tokens: 101 }, { 'idempotency-key': 'k' });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: s.id } })).used).toBe(100n);
  });

  it('scopes keys to the project', async () => {
    const a = await newSession();
    const b = await newSession();
    expect((await a.use({ tokens: 5 }, { 'idempotency-key': 'shared' })).status).toBe(200);
    const other = await b.use({ tokens: 5 }, { 'idempotency-key': 'shared' });
    expect(other.status).toBe(200);
    expect(other.headers['idempotent-replayed']).toBeUndefined();
    expect(other.body.session_id).toBe(b.id);
  });
});

describe('GET /v1/sessions/{id}/usage', () => {
  it('lists the history newest first, 10 by default, with a cursor', async () => {
    const s = await newSession();
    for (let i = 1; i <= 12; i++) await s.use({ tokens: i, source: `call-${i}` });
    const first = await t.http.get(`/v1/sessions/${s.id}/usage`).set(s.auth);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(10);
    expect(first.body.data[0]).toMatchObject({ tokens: 12, used: 78, available: 199922, position_percent: 0.04, source: 'call-12', crossed: [] });
    const rest = await t.http.get(`/v1/sessions/${s.id}/usage?cursor=${first.body.next_cursor}`).set(s.auth);
    expect(rest.body.data.map((e: { tokens: number }) => e.tokens)).toEqual([2, 1]);
    expect(rest.body.next_cursor).toBeNull();
  });

  it("answers 404 for another project's session", async () => {
    const s = await newSession();
    const other = await t.newProject();
    expect((await t.http.get(`/v1/sessions/${s.id}/usage`).set(other.auth)).status).toBe(404);
  });
});

describe('GET /v1/sessions/{id}/budget', () => {
  it('reports level, recommendations and a forecast from the recent burn rate', async () => {
    const s = await newSession({ token_budget: { total: 100000 } });
    for (let i = 0; i < 4; i++) {
      await s.use({ tokens: 10000 });
      clock.advance(60_000);
    }
    // 4 updates of 10,000 one minute apart: 30,000 tokens over 180 s after the first.
    const res = await t.http.get(`/v1/sessions/${s.id}/budget`).set(s.auth);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      session_id: s.id,
      token_budget: { total: 100000, used: 40000, reserved: 0, available: 60000, position_percent: 40 },
      level: 'normal',
      thresholds: [75, 85],
      session_age_seconds: 240,
      forecast: {
        tokens_per_update: 10000,
        updates_until: { '75': 4, '85': 5, '100': 6 },
        seconds_until: { '75': 210, '85': 270, '100': 360 },
      },
    });
    expect(res.body.recommendations).toEqual([
      { metric: 'token_usage_percent', value: 40, target: '<60%', action: 'Normal operation' },
      { metric: 'session_duration', value: 4, target: '<30 min', action: 'Normal' },
    ]);
  });

  it('slows the forecast down while the session is idle, and has none after 10 idle minutes', async () => {
    const s = await newSession({ token_budget: { total: 100000 } });
    for (let i = 0; i < 4; i++) {
      if (i > 0) clock.advance(60_000);
      await s.use({ tokens: 10000 });
    }
    const secondsUntil = async () => (await t.http.get(`/v1/sessions/${s.id}/budget`).set(s.auth)).body.forecast.seconds_until;
    // 40,000 tokens in the 180 s since the session was created.
    expect(await secondsUntil()).toEqual({ '75': 158, '85': 203, '100': 270 });
    // 4 minutes idle: 40,000 tokens in 420 s.
    clock.advance(240_000);
    expect(await secondsUntil()).toEqual({ '75': 368, '85': 473, '100': 630 });
    // Nothing in the last 10 minutes: no pace to forecast from.
    clock.advance(600_000);
    expect(await secondsUntil()).toEqual({ '75': null, '85': null, '100': null });
  });

  it('has no forecast before any usage', async () => {
    const s = await newSession();
    const res = await t.http.get(`/v1/sessions/${s.id}/budget`).set(s.auth);
    expect(res.body.forecast).toEqual({
      tokens_per_update: null,
      updates_until: { '75': null, '85': null, '100': null },
      seconds_until: { '75': null, '85': null, '100': null },
    });
  });
});

describe('usage statements chosen by what this process last saw', () => {
  it('still counts a crossing when another replica moved the session since (a stale hint)', async () => {
    const s = await newSession({ token_budget: { total: 1000 } });
    // Another replica: the same database, its own services (and so its own hints).
    const { repositories } = t.container;
    const replica = createUsageService({
      usage: repositories.usage,
      sessions: repositories.sessions,
      idempotency: t.container.services.idempotency,
      clock,
    });
    expect((await replica.record(s.projectId, s.id, { tokens: 10 })).crossed).toEqual([]); // the replica sees 1%
    expect((await s.use({ tokens: 690 })).body.crossed).toEqual([]); // 70%, through the app
    // The replica still thinks 1%: +100 looks harmless to it, but crosses 75% on the row.
    const result = await replica.record(s.projectId, s.id, { tokens: 100 });
    expect(result).toMatchObject({ used: 800, crossed: [75], status: 'active' });
    expect((await thresholdEventsOf(t.db, s.id)).map((e) => e.data.threshold)).toEqual([75]);
  });
});
