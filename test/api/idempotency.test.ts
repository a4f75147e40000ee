import { describe, expect, it } from 'vitest';
import { requestHash } from '../../src/modules/idempotency/request-hash.js';
import { STALE_CLAIM_MS } from '../../src/plugins/idempotency.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

describe('Idempotency-Key on POST /v1/sessions', () => {
  it('replays the first 201 for a retry and creates one session', async () => {
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
    expect(retry.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.body).toEqual(first.body);
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
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(1);
  });

  it('replays a refused request as refused', async () => {
    const { auth } = await t.newProject();
    const first = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'bad').send({ task_id: 'a', model: '' });
    const retry = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'bad').send({ task_id: 'a', model: '' });
    expect(first.status).toBe(400);
    expect(retry.status).toBe(400);
  });

  it('refuses a key that is too long or not visible ASCII', async () => {
    const { auth } = await t.newProject();
    const res = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'x'.repeat(256)).send({ task_id: 'a' });
    expect(res.status).toBe(400);
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(0);
  });

  it('answers 409 with Retry-After while the first request holds the key, and takes over a stale claim', async () => {
    const { auth, projectId } = await t.newProject();
    const body = { task_id: 'slow' };
    // An unfinished claim, as left by a request still running (or a crashed one).
    const claim = (createdAt: Date) =>
      t.db.prisma.idempotencyRecord.upsert({
        where: { projectId_key: { projectId, key: 'held' } },
        create: { projectId, key: 'held', requestHash: requestHash('POST', '/v1/sessions', body), createdAt },
        update: { createdAt },
      });

    await claim(new Date());
    const busy = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'held').send(body);
    expect(busy.status).toBe(409);
    expect(busy.body.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
    expect(busy.headers['retry-after']).toBe('1');
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(0);

    await claim(new Date(Date.now() - STALE_CLAIM_MS - 1000));
    const takeover = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'held').send(body);
    expect(takeover.status).toBe(201);
    expect((await t.http.get('/v1/sessions').set(auth)).body.data).toHaveLength(1);
  });
});
