import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';

// A merge must not make a context no checkpoint can hold (CHECKPOINT_MAX_BYTES), as PATCH may not:
// the session could then not be checkpointed, nor PATCHed small.
const CHECKPOINT_MAX_BYTES = 1000;
const t = useTestApp({ config: { checkpointMaxBytes: CHECKPOINT_MAX_BYTES } });

async function parentAndFork() {
  const { auth } = await t.newProject();
  const make = apiFactories(t, auth);
  const parent = await make.session({ context: { a: 'x'.repeat(600) } });
  const fork = await make.fork(parent.session_id);
  // The fork drops the parent's key and adds its own: each side alone fits, both together do not.
  const patched = await t.http
    .patch(`/v1/sessions/${fork.session_id}`)
    .set(auth)
    .send({ context: { a: null, b: 'y'.repeat(600) } });
  expect(patched.status, JSON.stringify(patched.body)).toBe(200);
  return { auth, make, parent, fork };
}

describe('POST /v1/sessions/{id}/merge and the context size limit', () => {
  it.each([['shallow'], ['deep']])('answers a %s merge that would outgrow CHECKPOINT_MAX_BYTES with 413, changing nothing', async (strategy) => {
    const { auth, make, parent, fork } = await parentAndFork();
    const res = await t.http.post(`/v1/sessions/${parent.session_id}/merge`).set(auth).send({ fork_session_id: fork.session_id, strategy });

    expect(res.status, JSON.stringify(res.body)).toBe(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'CONTEXT_TOO_LARGE', status: 413 });
    expect(res.body.detail).toContain(`at most ${CHECKPOINT_MAX_BYTES}`);

    const parentAfter = await make.get(`/v1/sessions/${parent.session_id}`);
    expect(parentAfter.context).toEqual({ a: 'x'.repeat(600) });
    expect(parentAfter.version).toBe(parent.version);
    const forkAfter = await make.get(`/v1/sessions/${fork.session_id}`);
    expect(forkAfter).toMatchObject({ status: 'active', archived_at: null });
    expect((await eventsOf(t.db, fork.session_id)).map((event) => event.type)).not.toContain('session.archived');
  });

  it('merges once the fork has shrunk to fit, and the merged session can be checkpointed', async () => {
    const { auth, make, parent, fork } = await parentAndFork();
    expect(
      (
        await t.http
          .patch(`/v1/sessions/${fork.session_id}`)
          .set(auth)
          .send({ context: { b: 'small' } })
      ).status,
    ).toBe(200);
    const res = await t.http.post(`/v1/sessions/${parent.session_id}/merge`).set(auth).send({ fork_session_id: fork.session_id });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.context).toEqual({ a: 'x'.repeat(600), b: 'small' });
    await make.checkpoint(parent.session_id);
  });
});
