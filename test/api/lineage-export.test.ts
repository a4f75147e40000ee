import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp();

async function setup() {
  const project = await t.newProject();
  return { ...project, make: apiFactories(t, project.auth) };
}

/**
 * root ─┬─ fork f1 ─┬─ fork f1a
 *       │           └─ recovery f1r ── fork f1rx
 *       └─ recovery rootR
 */
async function threeLevelTree() {
  const project = await setup();
  const { make } = project;
  const root = await make.session({ task_id: 'root' });
  await make.checkpoint(root.session_id);
  const f1 = await make.fork(root.session_id, { task_id: 'f1' });
  const f1a = await make.fork(f1.session_id, { task_id: 'f1a' });
  const f1r = (await make.recover(f1.session_id)).new_session;
  const f1rx = await make.fork(f1r.session_id, { task_id: 'f1rx' });
  const rootR = (await make.recover(root.session_id)).new_session;
  return { ...project, root, f1, f1a, f1r, f1rx, rootR };
}

const summary = (nodes: { session_id: string; depth: number; relation: string | null; from_session_id: string | null }[]) =>
  nodes.map(({ session_id, depth, relation, from_session_id }) => ({ session_id, depth, relation, from_session_id }));

describe('GET /v1/sessions/{id}/lineage', () => {
  it('walks descendants through forks and recoveries, generation by generation', async () => {
    const { make, root, f1, f1a, f1r, f1rx, rootR } = await threeLevelTree();
    const lineage = await make.get(`/v1/sessions/${root.session_id}/lineage`);
    expect(lineage.session_id).toBe(root.session_id);
    expect(lineage.root_session_id).toBe(root.session_id);
    expect(lineage.ancestors).toEqual([]);
    expect(summary(lineage.descendants)).toEqual([
      { session_id: f1.session_id, depth: 1, relation: 'fork', from_session_id: root.session_id },
      { session_id: rootR.session_id, depth: 1, relation: 'recovery', from_session_id: root.session_id },
      { session_id: f1a.session_id, depth: 2, relation: 'fork', from_session_id: f1.session_id },
      { session_id: f1r.session_id, depth: 2, relation: 'recovery', from_session_id: f1.session_id },
      { session_id: f1rx.session_id, depth: 3, relation: 'fork', from_session_id: f1r.session_id },
    ]);
    expect(lineage.descendants[0]).toMatchObject({ task_id: 'f1', status: 'archived', fork_checkpoint_id: f1.fork_checkpoint_id });
  });

  it('walks ancestors nearest first up to the root', async () => {
    const { make, root, f1, f1r, f1rx } = await threeLevelTree();
    const lineage = await make.get(`/v1/sessions/${f1rx.session_id}/lineage`);
    expect(lineage.root_session_id).toBe(root.session_id);
    expect(summary(lineage.ancestors)).toEqual([
      { session_id: f1r.session_id, depth: 1, relation: 'recovery', from_session_id: f1.session_id },
      { session_id: f1.session_id, depth: 2, relation: 'fork', from_session_id: root.session_id },
      { session_id: root.session_id, depth: 3, relation: null, from_session_id: null },
    ]);
    expect(lineage.descendants).toEqual([]);
  });

  it('shows both directions from the middle, and marks a merged fork', async () => {
    const { auth, make, root, f1, f1a, f1r, f1rx } = await threeLevelTree();
    const lineage = await make.get(`/v1/sessions/${f1.session_id}/lineage`);
    expect(lineage.ancestors.map((node: { session_id: string }) => node.session_id)).toEqual([root.session_id]);
    expect(lineage.descendants.map((node: { session_id: string }) => node.session_id)).toEqual([f1a.session_id, f1r.session_id, f1rx.session_id]);

    await t.http.post(`/v1/sessions/${f1r.session_id}/merge`).set(auth).send({ fork_session_id: f1rx.session_id });
    const after = await make.get(`/v1/sessions/${f1r.session_id}/lineage`);
    expect(after.descendants).toEqual([expect.objectContaining({ session_id: f1rx.session_id, merged_into_session_id: f1r.session_id })]);
  });

  it("answers 404 for another project's session and never lists another project's sessions", async () => {
    const { root } = await threeLevelTree();
    const other = await setup();
    expect((await t.http.get(`/v1/sessions/${root.session_id}/lineage`).set(other.auth)).status).toBe(404);
    const own = await other.make.session();
    expect(await other.make.get(`/v1/sessions/${own.session_id}/lineage`)).toMatchObject({ ancestors: [], descendants: [] });
  });
});

/** RFC 8785 for the plain values these tests use (ASCII keys and strings, integers). */
const canonical = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(canonical).join(',')}]`
    : value !== null && typeof value === 'object'
      ? `{${Object.keys(value)
          .sort()
          .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
          .join(',')}}`
      : JSON.stringify(value);

describe('GET /v1/sessions/{id}/export', () => {
  it('sums the usage rows per class and prices them per model called, exactly', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ model: 'gpt-5', token_budget: { total: 100_000 } });
    const use = (body: Record<string, unknown>) => t.http.post(`/v1/sessions/${session.session_id}/usage`).set(auth).send(body);
    // gpt-5: 100×1.25 + 900×0.125 + 50×10 = 737.5 µ$, three times.
    for (let i = 0; i < 3; i++) {
      await use({
        provider: 'openai_responses',
        usage: {
          input_tokens: 1000,
          input_tokens_details: { cached_tokens: 900 },
          output_tokens: 50,
          output_tokens_details: { reasoning_tokens: 40 },
        },
      });
    }
    // Gemini 2.5 Pro named by the update: 10×1.25 + 10×10 = 112.5 µ$.
    await use({ provider: 'gemini', model: 'gemini-2.5-pro', usage: { promptTokenCount: 10, candidatesTokenCount: 6, thoughtsTokenCount: 4 } });
    const exported = (await t.http.get(`/v1/sessions/${session.session_id}/export`).set(auth)).body;
    expect(exported.usage.map((entry: { cost_usd: string }) => entry.cost_usd)).toEqual(['0.0007375', '0.0007375', '0.0007375', '0.0001125']);
    expect(exported.usage_summary).toEqual({
      cost_usd: '0.002325',
      tokens_by_class: { input: 310, cache_read: 2700, cache_write: 0, cache_write_1h: 0, output: 160, reasoning: 124, unclassified: 0 },
      by_model: [
        { model: 'gemini-2.5-pro', updates: 1, tokens: 20, cost_usd: '0.0001125' },
        { model: 'gpt-5', updates: 3, tokens: 3150, cost_usd: '0.0022125' },
      ],
    });
  });

  it('holds the session, every checkpoint, the usage history and the events as one document', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ task_id: 'exported', token_budget: { total: 1000 }, context: { step: 0 } });
    const checkpoints = [];
    for (let step = 1; step <= 3; step++) {
      await make.usage(session.session_id, 300);
      await t.http
        .patch(`/v1/sessions/${session.session_id}`)
        .set(auth)
        .send({ context: { step, [`note_${step}`]: { z: step, a: [step] } } });
      checkpoints.push(await make.checkpoint(session.session_id, { phase: `step-${step}` }));
    }

    const res = await t.http.get(`/v1/sessions/${session.session_id}/export`).set(auth);
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="${session.session_id}.json"`);
    const exported = res.body;
    expect(exported.format).toBe('session-state-service/session-export/v1');
    expect(exported.session).toEqual(await make.get(`/v1/sessions/${session.session_id}`));
    expect(exported.usage.map((entry: { used: number }) => entry.used)).toEqual([300, 600, 900]);
    expect(exported.usage_summary).toEqual({
      cost_usd: '0',
      tokens_by_class: { input: 0, cache_read: 0, cache_write: 0, cache_write_1h: 0, output: 0, reasoning: 0, unclassified: 900 },
      by_model: [{ model: 'claude-sonnet-4-5-20250929', updates: 3, tokens: 900, cost_usd: '0' }],
    });
    expect(exported.handoffs).toEqual([]);
    expect(exported.events.map((event: { type: string }) => event.type)).toEqual([
      'session.created',
      'checkpoint.created',
      'checkpoint.created',
      'session.threshold_crossed',
      'session.threshold_crossed',
      'checkpoint.created',
    ]);

    // Every checkpoint comes back whole: the same as GET, and its snapshot still hashes to its sha256.
    expect(exported.checkpoints).toEqual(checkpoints);
    for (const checkpoint of exported.checkpoints) {
      expect(await make.get(`/v1/checkpoints/${checkpoint.checkpoint_id}`)).toEqual(checkpoint);
      expect(createHash('sha256').update(canonical(checkpoint.context_snapshot)).digest('hex')).toBe(checkpoint.sha256);
    }
  });

  it("answers 404 for an unknown session or another project's", async () => {
    const { auth, make } = await setup();
    const other = await setup();
    const session = await make.session();
    expect((await t.http.get(`/v1/sessions/${session.session_id}/export`).set(other.auth)).status).toBe(404);
    expect((await t.http.get('/v1/sessions/sess_nope/export').set(auth)).status).toBe(404);
  });
});
