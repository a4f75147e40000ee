import { describe, expect, it } from 'vitest';
import { RECORD_USAGE_NO_CROSSING_STATEMENT, RECORD_USAGE_STATEMENT } from '../../src/modules/usage/usage-statements.repository.js';
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
      sent.push(statements.map((sql) => /^\s*\/\* (sss_record_usage\w*) \*\//.exec(sql)?.[1] ?? sql));
    }
    // One statement each time: the short one while nothing can cross, the full one for the crossing.
    expect(sent).toEqual([[RECORD_USAGE_NO_CROSSING_STATEMENT], [`${RECORD_USAGE_NO_CROSSING_STATEMENT}_keyed`], [RECORD_USAGE_STATEMENT]]);
  });
});
