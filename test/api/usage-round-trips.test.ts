import { describe, expect, it } from 'vitest';
import { RECORD_USAGE_STATEMENT } from '../../src/modules/usage/usage.repository.js';
import { useTestApp } from '../helpers/app.js';

const statements: string[] = [];
// The auth cache on, as in production: a busy agent's key is verified once, not per update.
const t = useTestApp({ config: { authCacheTtlMs: 60_000 }, onQuery: (sql) => statements.push(sql) });

describe('the usage hot path', () => {
  it('costs one database statement per update, with or without an Idempotency-Key, crossing or not', async () => {
    const { auth } = await t.newProject();
    const session = await t.http
      .post('/v1/sessions')
      .set(auth)
      .send({ task_id: 'hot', token_budget: { total: 1000 } });
    const url = `/v1/sessions/${session.body.session_id}/usage`;
    await t.http.post(url).set(auth).send({ tokens: 1 }); // warms the key cache

    const sent: string[][] = [];
    for (const [body, headers] of [
      [{ tokens: 10 }, {}],
      [{ tokens: 10 }, { 'idempotency-key': 'k-1' }],
      [{ tokens: 800 }, { 'idempotency-key': 'k-2' }], // crosses 75% and 85%: events and policies
    ] as const) {
      statements.length = 0;
      const res = await t.http.post(url).set(auth).set(headers).send(body);
      expect(res.status).toBe(200);
      sent.push(statements.map((sql) => (sql.trimStart().startsWith(`/* ${RECORD_USAGE_STATEMENT} */`) ? 'usage' : sql)));
    }
    // One statement each time, and it is the usage statement (the one the benchmark's baseline sends too).
    expect(sent).toEqual([['usage'], ['usage'], ['usage']]);
  });
});
