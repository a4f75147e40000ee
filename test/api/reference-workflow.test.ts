// The reference's "End-to-End Session Workflow" (section 8 of the seed), step by step over HTTP,
// with the figures it produces.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';

const t = useTestApp();

describe('the reference end-to-end workflow', () => {
  it('creates, spends 5 × 15,000 tokens with checkpoints at 0, 2 and 4, hands off, resumes and reports', async () => {
    const { auth } = await t.newProject();

    // Step 1: create session
    const created = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'SPEC-001' });
    expect(created.status).toBe(201);
    const sessionId: string = created.body.session_id;
    expect(created.body.token_budget).toEqual({ total: 200_000, used: 0, reserved: 0, available: 200_000, position_percent: 0 });

    // Step 2: five updates of ~15K, a checkpoint before major operations on even iterations
    const checkpoints: { checkpoint_id: string; phase: string; token_usage: unknown }[] = [];
    for (let i = 0; i < 5; i++) {
      const usage = await t.http.post(`/v1/sessions/${sessionId}/usage`).set(auth).send({ tokens: 15_000 });
      expect(usage.status).toBe(200);
      expect(usage.body.crossed).toEqual([]);
      if (i % 2 === 0) {
        const checkpoint = await t.http
          .post(`/v1/sessions/${sessionId}/checkpoints`)
          .set(auth)
          .send({ phase: `iteration_${i}` });
        expect(checkpoint.status).toBe(201);
        checkpoints.push(checkpoint.body);
      }
    }
    expect(checkpoints.map(({ phase, token_usage }) => ({ phase, token_usage }))).toEqual([
      { phase: 'iteration_0', token_usage: { total: 200_000, used: 15_000, available: 185_000, position_percent: 7.5 } },
      { phase: 'iteration_2', token_usage: { total: 200_000, used: 45_000, available: 155_000, position_percent: 22.5 } },
      { phase: 'iteration_4', token_usage: { total: 200_000, used: 75_000, available: 125_000, position_percent: 37.5 } },
    ]);

    // Step 3: handoff to another agent
    const handoff = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .send({ from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: sessionId, task_context: { phase: 'implementation' } });
    expect(handoff.status).toBe(201);
    expect(handoff.body).toMatchObject({
      from_agent: 'spec-builder',
      to_agent: 'tdd-implementer',
      status: 'pending',
      session_context: {
        session_id: sessionId,
        model: 'claude-sonnet-4-5-20250929',
        context_position: 37.5,
        available_tokens: 125_000,
        status: 'active',
      },
      task_context: { phase: 'implementation' },
      recovery_info: { last_checkpoint: checkpoints[2]!.checkpoint_id, recovery_tokens_reserved: 55_000, fork_available: true },
    });
    expect(handoff.body.handoff_id).toMatch(/^hoff_[0-9a-f]{32}$/);

    // Step 4: resume after handoff
    const resumed = await t.http.post(`/v1/sessions/${sessionId}/resume`).set(auth);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('resumed');

    // Step 5: the usage report; at 37.5% (not > 80%) no recovery is needed
    const report = await t.http.get(`/v1/sessions/${sessionId}/usage?limit=10`).set(auth);
    expect(report.status).toBe(200);
    expect(report.body.data.map((entry: { used: number }) => entry.used)).toEqual([75_000, 60_000, 45_000, 30_000, 15_000]);
    const latest = report.body.data[0];
    expect(latest).toMatchObject({ tokens: 15_000, used: 75_000, available: 125_000, position_percent: 37.5 });
    expect(latest.position_percent > 80).toBe(false);

    // The result the reference prints: total tokens used 75,000.
    const session = await t.http.get(`/v1/sessions/${sessionId}`).set(auth);
    expect(session.body).toMatchObject({ status: 'resumed', checkpoints_count: 3, token_budget: { used: 75_000 } });
    expect((await eventsOf(t.db, sessionId)).map((event) => event.type)).toEqual([
      'session.created',
      'checkpoint.created',
      'checkpoint.created',
      'checkpoint.created',
      'handoff.created',
    ]);
  });
});
