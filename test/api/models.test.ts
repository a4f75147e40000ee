// The models a session may name: GET /v1/models, MODELS, and ALLOW_UNKNOWN_MODELS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, useTestApp, type TestApp } from '../helpers/app.js';
import { DEFAULT_MODELS } from '../../src/config.js';

// As MODELS='[{"model":"my-model","context_window":32000}]' would configure it.
const MODELS = [...DEFAULT_MODELS, { model: 'my-model', contextWindow: 32_000, price: null }];
const KNOWN = MODELS.map((entry) => entry.model);

const t = useTestApp({ config: { models: MODELS } });

describe('models', () => {
  it('lists the built-in models and those MODELS adds', async () => {
    const { auth } = await t.newProject();
    const res = await t.http.get('/v1/models').set(auth);
    expect(res.status).toBe(200);
    expect(res.body.map(({ model, context_window }: { model: string; context_window: number }) => ({ model, context_window }))).toEqual(
      MODELS.map((entry) => ({ model: entry.model, context_window: entry.contextWindow })),
    );
  });

  it("gives a session of a model MODELS adds that model's context window as its budget", async () => {
    const { auth } = await t.newProject();
    const res = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'a', model: 'my-model' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ model: 'my-model', token_budget: { total: 32_000 } });
  });

  it('refuses an unknown model with 400, listing the known ones, and creates nothing', async () => {
    const { auth, projectId } = await t.newProject();
    const res = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'a', model: 'claude-sonet-4-5' });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.body).toMatchObject({
      status: 400,
      code: 'VALIDATION_FAILED',
      known_models: KNOWN,
      errors: [{ path: 'body.model', message: expect.stringContaining('unknown model "claude-sonet-4-5"') }],
    });
    for (const model of KNOWN) expect(res.body.detail).toContain(model);
    expect(res.body.detail).toContain('ALLOW_UNKNOWN_MODELS');
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
    expect(await t.db.prisma.event.count({ where: { projectId } })).toBe(0);
  });

  it('refuses an unknown model also under an Idempotency-Key, and its retry gets the same 400', async () => {
    const { auth, projectId } = await t.newProject();
    const send = () => t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'create-1').send({ task_id: 'a', model: 'gpt-nope' });
    const first = await send();
    expect(first.status).toBe(400);
    const retry = await send();
    expect(retry.status).toBe(400);
    expect(retry.body.known_models).toEqual(KNOWN);
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });
});

describe("a project's own models", () => {
  it('accepts a model the project priced (PUT /v1/models/{model}/prices), in that project only', async () => {
    const mine = await t.newProject();
    const other = await t.newProject();
    const priced = await t.http.put('/v1/models/acme-llm/prices').set(mine.auth).send({ input: 1, output: 2, cache_read: 0, cache_write: 0 });
    expect(priced.status).toBe(200);

    const res = await t.http.post('/v1/sessions').set(mine.auth).send({ task_id: 'a', model: 'acme-llm' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ model: 'acme-llm', token_budget: { total: 200_000 } });

    const refused = await t.http.post('/v1/sessions').set(mine.auth).send({ task_id: 'a', model: 'acme-llm-2' });
    expect(refused.status).toBe(400);
    expect(refused.body.known_models).toEqual([...KNOWN, 'acme-llm']);
    const theirs = await t.http.post('/v1/sessions').set(other.auth).send({ task_id: 'a', model: 'acme-llm' });
    expect(theirs.status).toBe(400);
    expect(theirs.body.known_models).toEqual(KNOWN);
  });
});

describe('ALLOW_UNKNOWN_MODELS=true', () => {
  let open: TestApp;
  beforeAll(async () => {
    open = await createTestApp({ config: { allowUnknownModels: true } });
  });
  afterAll(async () => {
    await open.close();
  });

  it('accepts a model the catalog lacks, with the 200,000-token default budget', async () => {
    const { auth } = await open.newProject();
    const res = await open.http.post('/v1/sessions').set(auth).send({ task_id: 'a', model: 'some-new-model' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ model: 'some-new-model', token_budget: { total: 200_000 } });
  });
});
