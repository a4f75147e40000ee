import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

const t = useTestApp();

describe('POST /v1/checkpoints/{id}/restore takes no fields', () => {
  it.each([['{"bogus":1}'], ['[1,2,3]'], ['"x"'], ['1'], ['null']])('answers %s with 400 and restores nothing', async (body) => {
    const { auth } = await t.newProject();
    const make = apiFactories(t, auth);
    const session = await make.session({ context: { plan: 'v1' } });
    const checkpoint = await make.checkpoint(session.session_id);
    expect(
      (
        await t.http
          .patch(`/v1/sessions/${session.session_id}`)
          .set(auth)
          .send({ context: { plan: 'v2' } })
      ).status,
    ).toBe(200);

    const res = await t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth).set('content-type', 'application/json').send(body);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.code).toBe('VALIDATION_FAILED');
    if (body === '{"bogus":1}') expect(res.body.errors).toEqual([{ path: 'body.bogus', message: 'unknown field "bogus"' }]);
    const after = await make.get(`/v1/sessions/${session.session_id}`);
    expect(after.context).toEqual({ plan: 'v2' });
    expect(after.last_recovery_at).toBeNull();
  });

  it('restores with no body or {}', async () => {
    const { auth } = await t.newProject();
    const make = apiFactories(t, auth);
    const session = await make.session({ context: { plan: 'v1' } });
    const checkpoint = await make.checkpoint(session.session_id);
    for (const send of [undefined, {}]) {
      const req = t.http.post(`/v1/checkpoints/${checkpoint.checkpoint_id}/restore`).set(auth);
      const res = await (send === undefined ? req : req.send(send));
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.context).toEqual({ plan: 'v1' });
    }
  });
});

describe('the contract', () => {
  it('declares a request body for every POST, PUT and PATCH, so that none takes fields it then ignores', async () => {
    const document = t.app.swagger() as { paths: Record<string, Record<string, { operationId?: string; requestBody?: unknown }>> };
    const without = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([method, operation]) => ['post', 'put', 'patch'].includes(method) && operation.requestBody === undefined)
        .map(([method, operation]) => `${method.toUpperCase()} ${path} (${operation.operationId})`),
    );
    expect(without).toEqual([]);
  });
});
