import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';

const t = useTestApp();

async function newSession(auth: Record<string, string>, body: Record<string, unknown> = {}) {
  const res = await t.http
    .post('/v1/sessions')
    .set(auth)
    .send({ task_id: 'idem', ...body });
  expect(res.status).toBe(201);
  return res.body.session_id as string;
}

describe('Idempotency-Key on the routes that change something', () => {
  it('replays the first 201 with its headers for a retry and creates one session', async () => {
    const { auth } = await t.newProject();
    const first = await t.http
      .post('/v1/sessions')
      .set(auth)
      .set('idempotency-key', 'create-1')
      .send({ task_id: 'a', metadata: { x: 1 } });
    const retry = await t.http
      .post('/v1/sessions')
      .set(auth)
      .set('idempotency-key', 'create-1')
      .send({ metadata: { x: 1 }, task_id: 'a' });

    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers.etag).toBe(first.headers.etag);
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(1);
  });

  it('answers 422 for the same key with another body, and for a usage key reused here', async () => {
    const { auth } = await t.newProject();
    await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'k1').send({ task_id: 'a' });
    const other = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'k1').send({ task_id: 'b' });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_KEY_REUSED');

    const session = (await t.http.get('/v1/sessions').set(auth)).body.data[0];
    await t.http.post(`/v1/sessions/${session.session_id}/usage`).set(auth).set('idempotency-key', 'k2').send({ tokens: 5 });
    const crossed = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'k2').send({ task_id: 'a' });
    expect(crossed.status).toBe(422);
    const back = await t.http.post(`/v1/sessions/${session.session_id}/usage`).set(auth).set('idempotency-key', 'k1').send({ tokens: 5 });
    expect(back.status).toBe(422);
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(1);
    expect((await t.http.get(`/v1/sessions/${session.session_id}`).set(auth)).body.token_budget.used).toBe(5);
  });

  it('replays a refusal as it was, though the same request would succeed now', async () => {
    const { auth } = await t.newProject();
    const id = await newSession(auth, { token_budget: { total: 1000 } });
    const checkpoint = await t.http.post(`/v1/sessions/${id}/checkpoints`).set(auth).send({ phase: 'start' });
    await t.http.post(`/v1/sessions/${id}/usage`).set(auth).send({ tokens: 900 }); // past 85%: emergency_recovery

    const resume = () => t.http.post(`/v1/sessions/${id}/resume`).set(auth).set('idempotency-key', 'resume-1').send({});
    const refused = await resume();
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('INVALID_TRANSITION');

    // A restore makes the session active: a fresh resume would now be 200.
    expect((await t.http.post(`/v1/checkpoints/${checkpoint.body.checkpoint_id}/restore`).set(auth).send({})).status).toBe(200);
    const retry = await resume();
    expect(retry.status).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(retry.body).toEqual(refused.body);
    expect((await t.http.get(`/v1/sessions/${id}`).set(auth)).body.status).toBe('active');
    expect((await t.http.post(`/v1/sessions/${id}/resume`).set(auth).set('idempotency-key', 'resume-2').send({})).status).toBe(200);
  });

  it('replays a merge instead of merging the fork again', async () => {
    const { auth } = await t.newProject();
    const parent = await newSession(auth, { context: { plan: 'p' } });
    const fork = (await t.http.post(`/v1/sessions/${parent}/fork`).set(auth).send({})).body.session_id as string;
    const merge = () => t.http.post(`/v1/sessions/${parent}/merge`).set(auth).set('idempotency-key', 'merge-1').send({ fork_session_id: fork });
    const first = await merge();
    expect(first.status).toBe(200);
    const retry = await merge();
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // Without the key, the same merge again is refused: it really ran once.
    expect((await t.http.post(`/v1/sessions/${parent}/merge`).set(auth).send({ fork_session_id: fork })).body.code).toBe('FORK_ALREADY_MERGED');
  });

  it.each([
    ['256 characters', 'x'.repeat(256)],
    ['a space', 'has space'],
    ['a character outside ASCII', 'clé-1'],
    ['a control character', 'tab\tkey'],
  ])('refuses a key with %s, on every route that takes one, changing nothing', async (_name, key) => {
    const { auth } = await t.newProject();
    const id = await newSession(auth);
    const responses = await Promise.all([
      t.http.post('/v1/sessions').set(auth).set('idempotency-key', key).send({ task_id: 'a' }),
      t.http.post(`/v1/sessions/${id}/usage`).set(auth).set('idempotency-key', key).send({ tokens: 5 }),
      t.http.post(`/v1/sessions/${id}/checkpoints`).set(auth).set('idempotency-key', key).send({ phase: 'p' }),
    ]);
    for (const res of responses) {
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.errors).toEqual([{ path: 'headers.idempotency-key', message: 'must be 1 to 255 visible ASCII characters' }]);
    }
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(1);
    const session = (await t.http.get(`/v1/sessions/${id}`).set(auth)).body;
    expect(session.token_budget.used).toBe(0);
    expect(session.checkpoints_count).toBe(0);
  });

  it('takes the longest and the oddest valid keys', async () => {
    const { auth } = await t.newProject();
    for (const key of ['x'.repeat(255), '!~"#$%&()*+,-./:;<=>?@[\\]^_`{|}']) {
      const res = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', key).send({ task_id: 'a' });
      expect(res.status).toBe(201);
    }
  });

  it('keeps keys per project: another project may use the same key for its own request', async () => {
    const one = await t.newProject();
    const two = await t.newProject();
    const a = await t.http.post('/v1/sessions').set(one.auth).set('idempotency-key', 'shared').send({ task_id: 'a' });
    const b = await t.http.post('/v1/sessions').set(two.auth).set('idempotency-key', 'shared').send({ task_id: 'b' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.task_id).toBe('b');
  });

  it('replays a counted usage update after the session was archived, instead of refusing it', async () => {
    const { auth } = await t.newProject();
    const id = await newSession(auth, { token_budget: { total: 1000 } });
    const use = () => t.http.post(`/v1/sessions/${id}/usage`).set(auth).set('idempotency-key', 'counted').send({ tokens: 900 });
    const first = await use();
    expect(first.status).toBe(200);
    expect(first.body.status).toBe('emergency_recovery');
    const recovery = await t.http.post(`/v1/sessions/${id}/emergency-recovery`).set(auth).send({});
    expect(recovery.status).toBe(201);

    const retry = await use();
    expect(retry.status).toBe(200);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
    // A new update on the archived session is still refused.
    const fresh = await t.http.post(`/v1/sessions/${id}/usage`).set(auth).set('idempotency-key', 'new').send({ tokens: 1 });
    expect(fresh.status).toBe(409);
    expect(fresh.body.code).toBe('SESSION_ARCHIVED');
  });
});

describe('Idempotency-Keys past their time', () => {
  const clock = createTestClock();
  const aged = useTestApp({ clock });

  it('takes a key afresh once it expired, though housekeeping has not pruned it yet', async () => {
    const TTL_MS = aged.config.idempotencyTtlHours * 3_600_000;
    const { auth } = await aged.newProject();
    const created = await aged.http.post('/v1/sessions').set(auth).set('idempotency-key', 'old').send({ task_id: 'a' });
    const id = created.body.session_id as string;
    const use = (tokens: number) => aged.http.post(`/v1/sessions/${id}/usage`).set(auth).set('idempotency-key', 'old-usage').send({ tokens });
    expect((await use(5)).status).toBe(200);

    clock.advance(TTL_MS + 60_000);
    const again = await aged.http.post('/v1/sessions').set(auth).set('idempotency-key', 'old').send({ task_id: 'b' });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    const reused = await use(7);
    expect(reused.status).toBe(200);
    expect(reused.headers['idempotent-replayed']).toBeUndefined();
    expect(reused.body.token_budget.used).toBe(12);
    expect((await use(7)).headers['idempotent-replayed']).toBe('true');
  });
});
