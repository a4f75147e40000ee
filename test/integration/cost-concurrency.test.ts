// Cost thresholds under racing usage updates on PostgreSQL (PGlite has one connection, so nothing
// there runs concurrently): exact decimal sums, one event per crossing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { eventsOf } from '../helpers/events.js';
import { formatScaled } from '../../src/domain/prices.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

interface ResponseBody {
  session_id: string;
  crossed: number[];
  cost_crossed: number[];
  cost_usd: string;
  cost: { used_usd: string };
}

describe.skipIf(!onPostgres)('cost thresholds racing on PostgreSQL', () => {
  let t: TestApp;
  let baseUrl: string;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ config: { databasePoolMax: 20 } });
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
    auth = (await t.newProject()).auth;
  });
  afterAll(async () => {
    await t?.close();
  });

  async function post(path: string, body: unknown) {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as ResponseBody };
  }

  it('400 concurrent updates: exact cost sums, and each cost threshold crossed once, by one update, with one event', async () => {
    const SESSIONS = 4;
    const UPDATES = 100;
    const thresholds = [50, 75, 85, 100];
    const sessions = await Promise.all(
      Array.from({ length: SESSIONS }, async (_, i) => {
        const created = await post('/v1/sessions', {
          task_id: `cost-race-${i}`,
          model: 'claude-haiku-4-5-20251001',
          token_budget: { total: 100_000_000 },
          cost_limit_usd: '0.12',
          cost_thresholds: thresholds,
        });
        return created.body.session_id;
      }),
    );
    // Haiku 4.5: input 1, cache read 0.1, output 5 $/MTok. Update n costs (1000 + n) + 333.3 + 35 µ$;
    // the 100 of a session 141,780 µ$ = 0.14178 $, past every threshold of 0.12 $.
    const usageFor = (n: number) => ({ input_tokens: 1000 + n, cache_read_input_tokens: 3333, output_tokens: 7 });
    const responses = await Promise.all(
      sessions.flatMap((id) =>
        Array.from({ length: UPDATES }, (_, n) =>
          post(`/v1/sessions/${id}/usage`, { provider: 'anthropic', usage: usageFor(n) }).then((r) => ({ id, n, ...r })),
        ),
      ),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(SESSIONS * UPDATES).fill(200));
    // (1368.3 + n) µ$ = (13683 + 10 n) × 10^-7 $
    for (const r of responses) expect(r.body.cost_usd).toBe(formatScaled(BigInt(13683 + 10 * r.n), 7));
    for (const id of sessions) {
      const mine = responses.filter((r) => r.id === id);
      const session = await t.db.prisma.session.findUniqueOrThrow({ where: { id } });
      expect(session.costUsedUsd.toFixed()).toBe('0.14178');
      const [sum] = await t.db.prisma.$queryRaw<{ total: string }[]>`SELECT sum(cost_usd)::text AS total FROM usage_records WHERE session_id = ${id}`;
      expect(Number(sum!.total)).toBe(0.14178);
      expect(sum!.total.replace(/0+$/, '')).toBe('0.14178');
      expect(mine.flatMap((r) => r.body.cost_crossed).sort((a, b) => a - b)).toEqual(thresholds);
      expect(mine.flatMap((r) => r.body.crossed)).toEqual([]);
      const events = (await eventsOf(t.db, id)).filter((e) => e.type === 'session.cost_threshold_crossed');
      expect(events.map((e) => e.data.threshold)).toEqual(thresholds);
      // Each event fired at the first position at or past its threshold: the used cost it reports is
      // the first of the serialized totals to reach it.
      const totals = mine.map((r) => Number(r.body.cost.used_usd)).sort((a, b) => a - b);
      expect(new Set(totals).size).toBe(UPDATES);
      for (const event of events) {
        const first = totals.find((used) => used * 100 >= (event.data.threshold as number) * 0.12);
        expect(Number(event.data.used_usd)).toBe(first);
      }
    }
  });
});
