import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';
import { apiFactories } from '../helpers/factories.js';

const MINUTE_MS = 60_000;
// Every test moves this clock forward only, so the durations it measures are exact.
const clock = createTestClock();
const t = useTestApp({ clock });

async function setup() {
  const project = await t.newProject();
  const make = apiFactories(t, project.auth);
  const post = async (url: string, body: Record<string, unknown> = {}) => {
    const res = await t.http.post(url).set(project.auth).send(body);
    expect(res.status, `${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };
  const handoff = (sessionId: string) =>
    post('/v1/handoffs', { from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: sessionId, task_context: {} });
  const summary = async (query: Record<string, string> = {}) => {
    const res = await t.http.get('/v1/metrics/summary').query(query).set(project.auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  /** A session of 100,000 tokens with `used` of them used. */
  const session = async (used = 0) => {
    const created = await make.session({ token_budget: { total: 100_000 } });
    if (used > 0) await make.usage(created.session_id, used);
    return created.session_id as string;
  };
  return { ...project, make, post, handoff, summary, session };
}

const EMPTY_DISTRIBUTION = { count: 0, p50: null, p95: null, max: null };

describe('GET /v1/metrics/summary', () => {
  it('summarizes sessions, tokens, handoffs, recoveries and durations with exact figures, and the targets they miss', async () => {
    const { make, post, handoff, summary, session } = await setup();
    const start = clock.now();
    // t = 0: five sessions of 100,000 tokens. C reaches 90% (its emergency starts now).
    const a = await session(50_000);
    await session(65_000); // B
    const c = await session(90_000);
    const d = await session();
    const e = await session();
    // t = 1 min: D reaches 86%.
    clock.advance(MINUTE_MS);
    await make.usage(d, 86_000);
    // t = 4 min: C is recovered, 4 min after its emergency began; C lived 4 min.
    clock.advance(3 * MINUTE_MS);
    await make.recover(c);
    // t = 10 min: E is archived after 10 min.
    clock.advance(6 * MINUTE_MS);
    await post(`/v1/sessions/${e}/archive`);
    // t = 13 min: D is recovered, 12 min after its emergency began; D lived 13 min.
    clock.advance(3 * MINUTE_MS);
    await make.recover(d);
    // Four handoffs of A: two accepted, one rejected, one pending.
    const handoffs = [await handoff(a), await handoff(a), await handoff(a), await handoff(a)];
    await post(`/v1/handoffs/${handoffs[0].handoff_id}/accept`);
    await post(`/v1/handoffs/${handoffs[1].handoff_id}/accept`);
    await post(`/v1/handoffs/${handoffs[2].handoff_id}/reject`, { reason: 'busy' });
    // t = 45 min: A and B are 45 min old, C' (from C) 41 min, D' (from D) 32 min.
    clock.advance(32 * MINUTE_MS);

    const body = await summary();

    expect(body).toEqual({
      generated_at: new Date(start.getTime() + 45 * MINUTE_MS).toISOString(),
      since: null,
      sessions: {
        total: 7,
        live: 4,
        by_status: { active: 4, resumed: 0, recovering: 0, emergency_recovery: 0, archived: 3 },
      },
      tokens: {
        used: 50_000 + 65_000 + 90_000 + 86_000,
        budget: 700_000,
        live_by_level: {
          normal: { sessions: 3, used: 50_000 },
          progressive_disclosure: { sessions: 1, used: 65_000 },
          defer_non_critical: { sessions: 0, used: 0 },
          emergency: { sessions: 0, used: 0 },
        },
      },
      // Plain { tokens } updates: no classes, so no cost, all on the sessions' model.
      usage: {
        cost_usd: '0',
        tokens_by_class: { input: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0, output: 0, reasoning: 0, unclassified: 291_000 },
        by_model: [{ model: 'claude-sonnet-4-5-20250929', updates: 4, tokens: 291_000, cost_usd: '0' }],
      },
      handoffs: { total: 4, by_status: { pending: 1, accepted: 2, rejected: 1 }, success_percent: 66.67 },
      // 240 s and 720 s: p50 = 480, p95 = 240 + 0.95 * 480 = 696.
      recovery_time_seconds: { count: 2, p50: 480, p95: 696, max: 720 },
      session_duration_seconds: {
        // 240, 600, 780 s: p50 = 600, p95 = 600 + 0.9 * 180 = 762.
        archived: { count: 3, p50: 600, p95: 762, max: 780 },
        // 1920, 2460, 2700, 2700 s: p50 = 2580, p95 = 2700.
        live: { count: 4, p50: 2580, p95: 2700, max: 2700 },
      },
      targets: [
        {
          metric: 'token_usage_percent',
          target: '<60%',
          actual: 65,
          unit: 'percent',
          missed: true,
          action: 'Enable progressive disclosure',
          detail: '1 of 4 live sessions at 60% of their budget or more (progressive_disclosure: 1, defer_non_critical: 0, emergency: 0)',
        },
        {
          metric: 'session_duration',
          target: '<30 min',
          actual: 45,
          unit: 'minutes',
          missed: true,
          action: 'Create checkpoint every 10 min',
          detail: 'of 4 live sessions, 4 running 30 min or more, 0 running 60 min or more',
        },
        {
          metric: 'handoff_success_percent',
          target: '>99%',
          actual: 66.67,
          unit: 'percent',
          missed: true,
          action: 'Monitor for issues',
          detail: '2 of 3 decided handoffs accepted, 1 rejected',
        },
        {
          metric: 'recovery_time',
          target: '<5 min',
          actual: 11.6,
          unit: 'minutes',
          missed: true,
          action: 'Optimize checkpoint strategy',
          detail: 'p95 of 2 recoveries',
        },
      ],
    });
  });

  it('reports every status, level and handoff status as 0, no distribution and no missed target for a project with nothing', async () => {
    const { summary } = await setup();

    const body = await summary();

    expect(body).toEqual({
      generated_at: clock.now().toISOString(),
      since: null,
      sessions: { total: 0, live: 0, by_status: { active: 0, resumed: 0, recovering: 0, emergency_recovery: 0, archived: 0 } },
      tokens: {
        used: 0,
        budget: 0,
        live_by_level: {
          normal: { sessions: 0, used: 0 },
          progressive_disclosure: { sessions: 0, used: 0 },
          defer_non_critical: { sessions: 0, used: 0 },
          emergency: { sessions: 0, used: 0 },
        },
      },
      usage: {
        cost_usd: '0',
        tokens_by_class: { input: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0, output: 0, reasoning: 0, unclassified: 0 },
        by_model: [],
      },
      handoffs: { total: 0, by_status: { pending: 0, accepted: 0, rejected: 0 }, success_percent: null },
      recovery_time_seconds: EMPTY_DISTRIBUTION,
      session_duration_seconds: { archived: EMPTY_DISTRIBUTION, live: EMPTY_DISTRIBUTION },
      targets: [
        {
          metric: 'token_usage_percent',
          target: '<60%',
          actual: null,
          unit: 'percent',
          missed: false,
          action: 'Normal operation',
          detail: 'no live sessions',
        },
        { metric: 'session_duration', target: '<30 min', actual: null, unit: 'minutes', missed: false, action: 'Normal', detail: 'no live sessions' },
        {
          metric: 'handoff_success_percent',
          target: '>99%',
          actual: null,
          unit: 'percent',
          missed: false,
          action: 'Monitor for issues',
          detail: 'no decided handoffs',
        },
        {
          metric: 'recovery_time',
          target: '<5 min',
          actual: null,
          unit: 'minutes',
          missed: false,
          action: 'Acceptable',
          detail: 'no measured recoveries',
        },
      ],
    });
  });

  it('meets every target with young, light sessions, accepted handoffs and a quick recovery', async () => {
    const { make, post, handoff, summary, session } = await setup();
    const light = await session(10_000);
    const heavy = await session(85_000);
    clock.advance(2 * MINUTE_MS);
    await make.recover(heavy);
    await post(`/v1/handoffs/${(await handoff(light)).handoff_id}/accept`);

    const body = await summary();

    expect(body.recovery_time_seconds).toEqual({ count: 1, p50: 120, p95: 120, max: 120 });
    expect(body.handoffs.success_percent).toBe(100);
    expect(body.targets.map((check: { missed: boolean }) => check.missed)).toEqual([false, false, false, false]);
    expect(body.targets.map((check: { actual: number }) => check.actual)).toEqual([10, 2, 100, 2]);
  });

  it('reports tokens per class and exact cost per model called', async () => {
    const { make, post, summary, session } = await setup();
    const a = await session();
    const b = (await make.session({ model: 'gpt-4o', token_budget: { total: 100_000 } })).session_id as string;
    // Sonnet 4.5: 100×3 + 1000×0.3 + 10×15 = 750 µ$; twice.
    for (let i = 0; i < 2; i++) {
      await post(`/v1/sessions/${a}/usage`, {
        provider: 'anthropic',
        usage: { input_tokens: 100, cache_read_input_tokens: 1000, output_tokens: 10 },
      });
    }
    // gpt-4o: 20×2.5 + 80×1.25 + 5×10 = 200 µ$, with 3 reasoning tokens.
    await post(`/v1/sessions/${b}/usage`, {
      provider: 'openai',
      usage: {
        prompt_tokens: 100,
        prompt_tokens_details: { cached_tokens: 80 },
        completion_tokens: 5,
        completion_tokens_details: { reasoning_tokens: 3 },
      },
    });
    // Haiku named by the update on a gpt-4o session: 1000×1.25 (5m) + 1000×2 (1h) = 3250 µ$.
    await post(`/v1/sessions/${b}/usage`, {
      provider: 'anthropic',
      model: 'claude-haiku-4-5-20251001',
      usage: { cache_creation: { ephemeral_5m_input_tokens: 1000, ephemeral_1h_input_tokens: 1000 } },
    });
    await make.usage(b, 7);

    expect((await summary()).usage).toEqual({
      cost_usd: '0.00495',
      tokens_by_class: { input: 220, cache_read: 2080, cache_write: 2000, cache_write_1h: 1000, output: 25, reasoning: 3, unclassified: 7 },
      by_model: [
        { model: 'claude-haiku-4-5-20251001', updates: 1, tokens: 2000, cost_usd: '0.00325' },
        { model: 'claude-sonnet-4-5-20250929', updates: 2, tokens: 2220, cost_usd: '0.0015' },
        { model: 'gpt-4o', updates: 2, tokens: 112, cost_usd: '0.0002' },
      ],
    });
  });

  it('counts only the calling project', async () => {
    const mine = await setup();
    const theirs = await setup();
    await mine.session(1000);
    const other = await theirs.session(90_000);
    await theirs.make.recover(other);
    await theirs.handoff(await theirs.session(1000));

    const body = await mine.summary();

    expect(body.sessions.total).toBe(1);
    expect(body.tokens).toMatchObject({ used: 1000, budget: 100_000 });
    expect(body.handoffs.total).toBe(0);
    expect(body.recovery_time_seconds.count).toBe(0);
  });

  it('points a live session past 85% at emergency recovery, and one older than an hour at a new session', async () => {
    const { summary, session } = await setup();
    await session(91_234);
    clock.advance(60 * MINUTE_MS);

    const body = await summary();

    expect(body.sessions.by_status).toMatchObject({ emergency_recovery: 1 });
    expect(body.tokens.live_by_level.emergency).toEqual({ sessions: 1, used: 91_234 });
    expect(body.targets.slice(0, 2)).toEqual([
      expect.objectContaining({ actual: 91.23, missed: true, action: 'Emergency recovery' }),
      expect.objectContaining({
        actual: 60,
        missed: true,
        action: 'Consider new session',
        detail: 'of 1 live session, 1 running 30 min or more, 1 running 60 min or more',
      }),
    ]);
  });

  it('measures a recovery from the first update at 85% or more, not a later one, and not one of a session that never got there', async () => {
    const { make, summary, session } = await setup();
    const twice = await session(85_000);
    clock.advance(MINUTE_MS);
    await make.usage(twice, 5000);
    clock.advance(6 * MINUTE_MS);
    await make.recover(twice);
    const neverInEmergency = await session(84_999);
    clock.advance(MINUTE_MS);
    await make.recover(neverInEmergency);

    const body = await summary();

    expect(body.recovery_time_seconds).toEqual({ count: 1, p50: 420, p95: 420, max: 420 });
    expect(body.targets[3]).toMatchObject({
      actual: 7,
      missed: true,
      action: 'Watch: above the <5 min target; above 10 min: Optimize checkpoint strategy',
    });
  });

  it('with ?since= counts only what was created at or after that moment', async () => {
    const { make, post, handoff, summary, session } = await setup();
    const old = await session(20_000);
    await post(`/v1/handoffs/${(await handoff(old)).handoff_id}/reject`, { reason: 'old' });
    clock.advance(MINUTE_MS);
    const since = clock.now().toISOString();
    const recent = await session(30_000);
    await post(`/v1/handoffs/${(await handoff(recent)).handoff_id}/accept`);
    clock.advance(MINUTE_MS);
    await make.recover(recent);

    const windowed = await summary({ since });
    const all = await summary();

    expect(windowed.since).toBe(since);
    // The recent session and the one its recovery created; the handoff of the old session is out.
    expect(windowed.sessions).toMatchObject({ total: 2, live: 1 });
    expect(windowed.tokens.used).toBe(30_000);
    expect(windowed.handoffs).toMatchObject({ total: 1, success_percent: 100 });
    expect(all.sessions).toMatchObject({ total: 3, live: 2 });
    expect(all.handoffs).toMatchObject({ total: 2, success_percent: 50 });
    // An offset is the same moment.
    const offset = new Date(Date.parse(since) + 2 * 3_600_000).toISOString().replace('Z', '+02:00');
    expect((await summary({ since: offset })).sessions.total).toBe(2);
  });

  it.each([
    { query: 'since=yesterday', path: 'query.since' },
    { query: 'since=2026-01-01', path: 'query.since' },
    { query: 'limit=5', path: 'query.limit' },
  ])('refuses ?$query with 400 naming $path', async ({ query, path }) => {
    const { auth } = await setup();

    const res = await t.http.get(`/v1/metrics/summary?${query}`).set(auth);

    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual({ path, message: expect.any(String) });
  });

  it('is 401 without an API key', async () => {
    expect((await t.http.get('/v1/metrics/summary')).status).toBe(401);
  });
});
