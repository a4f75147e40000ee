import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { createTestClock } from '../helpers/clock.js';

// Long before any other test's data, so that on a shared PostgreSQL only this test's keys expire.
const clock = createTestClock(new Date('2000-01-01T00:00:00.000Z'));
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ clock });
});
afterAll(async () => {
  await t.close();
});

describe('housekeeping', () => {
  it('forgets Idempotency-Keys after the TTL, not before', async () => {
    const { auth } = await t.newProject();
    const session = await t.http.post('/v1/sessions').set(auth).set('idempotency-key', 'old').send({ task_id: 'a' });
    const url = `/v1/sessions/${session.body.session_id}/usage`;
    await t.http.post(url).set(auth).set('idempotency-key', 'old-usage').send({ tokens: 5 });

    clock.advance(t.config.idempotencyTtlHours * 3_600_000 - 1000);
    expect((await t.container.housekeeping.tick()).idempotencyRecords).toBe(0);
    expect((await t.http.post(url).set(auth).set('idempotency-key', 'old-usage').send({ tokens: 5 })).headers['idempotent-replayed']).toBe('true');

    clock.advance(2000);
    expect(await t.container.housekeeping.tick()).toEqual({ idempotencyRecords: 2 });
    const again = await t.http.post(url).set(auth).set('idempotency-key', 'old-usage').send({ tokens: 5 });
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.body.token_budget.used).toBe(10);
  });
});
