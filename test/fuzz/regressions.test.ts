// Plain examples of what the fuzzer found, so that each stays fixed whatever the fuzzer's seed.
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp();

const deeplyNested = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('deeply nested JSON', () => {
  it('refuses a context nested deeper than 100 levels with a 400 naming the field, and stores nothing', async () => {
    const { auth } = await t.newProject();

    const res = await t.http
      .post('/v1/sessions')
      .set(auth)
      .set('content-type', 'application/json')
      .send(`{"task_id":"deep","context":{"k":${deeplyNested(5000)}}}`);

    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: 'body.context', message: 'nests deeper than 100 levels' }] });
    const list = await t.http.get('/v1/sessions').set(auth);
    expect(list.body.data).toEqual([]);
  });

  it('refuses deep metadata patches, checkpoint snapshots and handoff task contexts the same way', async () => {
    const { auth } = await t.newProject();
    const api = apiFactories(t, auth);
    const session = await api.session({ context: { plan: 'p' } });
    const id = session.session_id as string;
    const deep = deeplyNested(3000);

    const patch = await t.http.patch(`/v1/sessions/${id}`).set(auth).set('content-type', 'application/json').send(`{"metadata":{"k":${deep}}}`);
    const checkpoint = await t.http
      .post(`/v1/sessions/${id}/checkpoints`)
      .set(auth)
      .set('content-type', 'application/json')
      .send(`{"phase":"p","context_snapshot":{"k":${deep}}}`);
    const handoff = await t.http
      .post('/v1/handoffs')
      .set(auth)
      .set('content-type', 'application/json')
      .send(`{"from_agent":"a","to_agent":"b","session_id":"${id}","task_context":{"k":${deep}}}`);

    expect([patch.status, checkpoint.status, handoff.status]).toEqual([400, 400, 400]);
    expect(patch.body.errors).toEqual([{ path: 'body.metadata', message: 'nests deeper than 100 levels' }]);
    expect(checkpoint.body.errors).toEqual([{ path: 'body.context_snapshot', message: 'nests deeper than 100 levels' }]);
    expect(handoff.body.errors).toEqual([{ path: 'body.task_context', message: 'nests deeper than 100 levels' }]);
    const after = await api.get(`/v1/sessions/${id}`);
    expect(after).toMatchObject({ version: session.version, metadata: {}, checkpoints_count: 0 });
  });

  it('keeps a context exactly 100 levels deep', async () => {
    const { auth } = await t.newProject();
    // The context object is level 1, "k" holds the 99 levels below it.
    const context = { k: JSON.parse(deeplyNested(99)) as unknown };

    const res = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'deep', context });

    expect(res.status).toBe(201);
    expect(res.body.context).toEqual(context);
  });
});

describe('URLs the router cannot take', () => {
  it('answers a path with an undecodable percent-encoding with a 400 problem document', async () => {
    const { auth } = await t.newProject();

    const res = await t.app.inject({ method: 'GET', url: '/v1/orchestrations/%C0%AF', headers: auth });

    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED', type: '/problems/validation-failed' });
  });

  it('answers a path parameter longer than the router takes with a 400 problem document', async () => {
    const { auth } = await t.newProject();

    const res = await t.app.inject({ method: 'GET', url: `/v1/sessions/${'x'.repeat(4000)}`, headers: auth });

    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});

describe('the OpenAPI document', () => {
  type Operations = Record<string, Record<string, { responses: Record<string, unknown> }>>;

  it('lists the problems every route can answer: 400 for any input, 413 and 415 for bodies, 409 and 422 for Idempotency-Keys', async () => {
    const paths = (t.app.swagger() as unknown as { paths: Operations }).paths;
    const statuses = (path: string, method: string) => Object.keys(paths[path]![method]!.responses);

    expect(statuses('/v1/webhooks/{id}', 'get')).toContain('400');
    expect(statuses('/v1/webhooks/{id}', 'delete')).toEqual(expect.arrayContaining(['400', '413', '415']));
    expect(statuses('/v1/sessions/{id}/resume', 'post')).toEqual(expect.arrayContaining(['400', '413', '415']));
    expect(statuses('/v1/checkpoints/{id}/restore', 'post')).toEqual(expect.arrayContaining(['400', '409', '413', '415', '422']));
    expect(statuses('/v1/models', 'get')).not.toContain('400');
  });
});
