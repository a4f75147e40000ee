// POST /v1/sessions/{id}/checkpoints/batch: several checkpoints in one request, as many creates in a
// row would store them (the LangGraph saver sends a checkpoint with its pending writes this way).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp({ config: { checkpointMaxBytes: 2000 } });

async function setup() {
  const project = await t.newProject();
  return { ...project, make: apiFactories(t, project.auth) };
}

const batchUrl = (sessionId: string) => `/v1/sessions/${sessionId}/checkpoints/batch`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

describe('POST /v1/sessions/{id}/checkpoints/batch', () => {
  it('stores every snapshot in the order sent, with the budget of that moment, and counts them on the session', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 100_000 } });
    await make.usage(session.session_id, 25_000);

    const res = await t.http
      .post(batchUrl(session.session_id))
      .set(auth)
      .send({
        checkpoints: [
          { phase: 'writes', context_snapshot: { b: 1, a: [true] } },
          { phase: 'state', context_snapshot: { step: 2 } },
          { phase: 'writes', context_snapshot: {} },
        ],
      });

    expect(res.status).toBe(201);
    const created = res.body.data as { checkpoint_id: string; phase: string; sha256: string }[];
    expect(created.map((checkpoint) => checkpoint.phase)).toEqual(['writes', 'state', 'writes']);
    expect(created[0]).toMatchObject({
      session_id: session.session_id,
      token_usage: { total: 100_000, used: 25_000, available: 75_000, position_percent: 25 },
      context_snapshot: { a: [true], b: 1 },
      sha256: sha256('{"a":[true],"b":1}'),
      size_bytes: '{"a":[true],"b":1}'.length,
    });
    const ids = created.map((checkpoint) => checkpoint.checkpoint_id);
    expect([...ids].sort()).toEqual(ids);

    // Listed newest first, as if created one after another.
    const listed = await make.get(`/v1/sessions/${session.session_id}/checkpoints`);
    expect(listed.data.map((checkpoint: { checkpoint_id: string }) => checkpoint.checkpoint_id)).toEqual([...ids].reverse());
    expect((await make.get(`/v1/checkpoints/${ids[1]}`)).context_snapshot).toEqual({ step: 2 });
    const after = await make.get(`/v1/sessions/${session.session_id}`);
    expect(after.checkpoints_count).toBe(3);
  });

  it('writes one checkpoint.created per checkpoint, in their order, as the single create does', async () => {
    const { auth, make } = await setup();
    const session = await make.session({ token_budget: { total: 3 } });
    await make.usage(session.session_id, 1);
    const single = await make.checkpoint(session.session_id, { phase: 'one', context_snapshot: { n: 0 } });
    const res = await t.http
      .post(batchUrl(session.session_id))
      .set(auth)
      .send({
        checkpoints: [
          { phase: 'two', context_snapshot: { n: 1 } },
          { phase: 'three', context_snapshot: { n: 2 } },
        ],
      });
    expect(res.status).toBe(201);

    const events = (await eventsOf(t.db, session.session_id)).filter((event) => event.type === 'checkpoint.created');
    expect(events.map((event) => event.data.checkpoint_id)).toEqual([
      single.checkpoint_id,
      ...res.body.data.map((checkpoint: { checkpoint_id: string }) => checkpoint.checkpoint_id),
    ]);
    const shape = (data: Record<string, unknown>) => ({ ...data, checkpoint_id: 'id', phase: 'phase', sha256: 'sha' });
    expect(shape(events[1]!.data)).toEqual(shape(events[0]!.data));
    expect(events[2]!.data).toMatchObject({
      phase: 'three',
      sha256: sha256('{"n":2}'),
      token_usage: { total: 3, used: 1, available: 2, position_percent: 33.33 },
    });
  });

  it('leaves the snapshots out of the answer under Prefer: return=minimal', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const res = await t.http
      .post(batchUrl(session.session_id))
      .set(auth)
      .set('prefer', 'return=minimal')
      .send({ checkpoints: [{ phase: 'lean', context_snapshot: { big: 'value' } }] });
    expect(res.status).toBe(201);
    expect(res.headers['preference-applied']).toBe('return=minimal');
    expect(res.body.data[0]).not.toHaveProperty('context_snapshot');
    expect((await make.get(`/v1/checkpoints/${res.body.data[0].checkpoint_id}`)).context_snapshot).toEqual({ big: 'value' });
  });

  it('stores none of them when one snapshot is over the size limit (413)', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const res = await t.http
      .post(batchUrl(session.session_id))
      .set(auth)
      .send({
        checkpoints: [
          { phase: 'small', context_snapshot: { ok: true } },
          { phase: 'big', context_snapshot: { blob: 'x'.repeat(2000) } },
        ],
      });
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('CHECKPOINT_TOO_LARGE');
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } })).toBe(0);
    expect((await make.get(`/v1/sessions/${session.session_id}`)).checkpoints_count).toBe(0);
  });

  it('validates the body: 1 to 100 checkpoints, each with a phase and a snapshot object, no unknown fields', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const post = (body: unknown) =>
      t.http
        .post(batchUrl(session.session_id))
        .set(auth)
        .send(body as object);
    const item = { phase: 'p', context_snapshot: {} };
    const cases: [unknown, string][] = [
      [{}, 'body.checkpoints'],
      [{ checkpoints: [] }, 'body.checkpoints'],
      [{ checkpoints: Array.from({ length: 101 }, () => item) }, 'body.checkpoints'],
      [{ checkpoints: [{ phase: 'p' }] }, 'body.checkpoints.0.context_snapshot'],
      [{ checkpoints: [item, { phase: '', context_snapshot: {} }] }, 'body.checkpoints.1.phase'],
      [{ checkpoints: [{ ...item, context_snapshot: [1] }] }, 'body.checkpoints.0.context_snapshot'],
      [{ checkpoints: [{ ...item, snapshot: {} }] }, 'body.checkpoints.0.snapshot'],
    ];
    for (const [body, path] of cases) {
      const res = await post(body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path })]));
    }
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } })).toBe(0);
  });

  it("answers 404 for an unknown or another project's session and 409 for an archived one", async () => {
    const { auth, make } = await setup();
    const other = await setup();
    const theirs = await other.make.session();
    const body = { checkpoints: [{ phase: 'p', context_snapshot: {} }] };
    expect((await t.http.post(batchUrl(theirs.session_id)).set(auth).send(body)).status).toBe(404);
    expect((await t.http.post(batchUrl('sess_nope')).set(auth).send(body)).status).toBe(404);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: theirs.session_id } })).toBe(0);

    const session = await make.session();
    await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth);
    const archived = await t.http.post(batchUrl(session.session_id)).set(auth).send(body);
    expect(archived.status).toBe(409);
    expect(archived.body.code).toBe('SESSION_ARCHIVED');
  });

  it('stores the batch once for a retried Idempotency-Key', async () => {
    const { auth, make } = await setup();
    const session = await make.session();
    const body = {
      checkpoints: [
        { phase: 'a', context_snapshot: { n: 1 } },
        { phase: 'b', context_snapshot: { n: 2 } },
      ],
    };
    const first = await t.http.post(batchUrl(session.session_id)).set(auth).set('idempotency-key', 'batch-1').send(body);
    const retry = await t.http.post(batchUrl(session.session_id)).set(auth).set('idempotency-key', 'batch-1').send(body);
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body.data).toEqual(first.body.data);
    expect(await t.db.prisma.checkpoint.count({ where: { sessionId: session.session_id } })).toBe(2);
  });
});
