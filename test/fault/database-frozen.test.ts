// The database stops answering without closing anything (its processes frozen, as when its host
// hangs): requests must end with a 503 after the pool's timeouts instead of waiting forever,
// /readyz must answer within its own deadline, and retries after the thaw count each key once,
// although updates the service gave up on may have committed once the database woke up.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { READINESS_TIMEOUT_MS } from '../../src/plugins/health.js';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { announceSkip, eventually, send, sleep, startAppOn } from './support.js';

/** Short pool timeouts for the test; /readyz keeps its own (shorter) deadline. */
const TIMEOUTS = { connectMs: 3000, statementMs: 3000, queryMs: 4000 };
/** Well above the timeouts: an answer later than this means the request hung. */
const REQUEST_DEADLINE_MS = 10_000;
const CONCURRENT_UPDATES = 8;
const MAX_RETRIES_PER_KEY = 50;

const skip = announceSkip('the database frozen');

describe.skipIf(skip)('the database frozen', () => {
  let cluster: PgCluster;
  let service: Awaited<ReturnType<typeof startAppOn>>;
  let databaseUrl: string;

  beforeAll(async () => {
    cluster = await startPgCluster();
    databaseUrl = await cluster.createDatabase('sss_fault_frozen');
    // Verified API keys stay cached, so the usage statement itself is what meets the frozen database.
    service = await startAppOn(databaseUrl, { authCacheTtlMs: 60_000 }, TIMEOUTS);
  });

  afterAll(async () => {
    cluster?.thaw();
    await service?.close().catch(() => undefined);
    await cluster?.destroy();
  });

  it(
    'answers 503 problems after the pool timeouts instead of hanging, and counts each retried key once after the thaw',
    { timeout: 60_000 },
    async () => {
      const { baseUrl, container } = service;
      expect(READINESS_TIMEOUT_MS).toBeLessThan(TIMEOUTS.queryMs); // so /readyz is answered by its own deadline
      const project = await container.services.projects.createProject('fault-frozen');
      const headers = { authorization: `Bearer ${project.apiKey}`, 'content-type': 'application/json' };
      const created = await send(`${baseUrl}/v1/sessions`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ task_id: 'FROZEN', token_budget: { total: 100_000 } }),
        deadlineMs: REQUEST_DEADLINE_MS,
      });
      expect(created.status, created.body).toBe(201);
      const sessionId = (JSON.parse(created.body) as { session_id: string }).session_id;
      const usage = (key: string, tokens: number) =>
        send(`${baseUrl}/v1/sessions/${sessionId}/usage`, {
          method: 'POST',
          headers: { ...headers, 'idempotency-key': key },
          body: JSON.stringify({ tokens }),
          deadlineMs: REQUEST_DEADLINE_MS,
        });

      // Warm the pool: its connections are open when the database freezes.
      const warm = await Promise.all(Array.from({ length: 4 }, (_, i) => usage(`warm-${i}`, 1)));
      expect(warm.map((answer) => answer.status)).toEqual([200, 200, 200, 200]);

      const keys = Array.from({ length: CONCURRENT_UPDATES }, (_, i) => ({ key: `frozen-${i}`, tokens: 10 + i }));
      cluster.freeze();
      let whileFrozen;
      let readyWhileFrozen;
      try {
        [whileFrozen, readyWhileFrozen] = await Promise.all([
          Promise.all(keys.map(({ key, tokens }) => usage(key, tokens))),
          send(`${baseUrl}/readyz`, { deadlineMs: REQUEST_DEADLINE_MS }),
        ]);
      } finally {
        cluster.thaw();
      }

      expect(
        whileFrozen.filter((answer) => answer.timedOut),
        'requests still unanswered at their deadline',
      ).toEqual([]);
      for (const answer of whileFrozen) {
        expect(answer.status, answer.body).toBe(503);
        expect(answer.contentType).toContain('application/problem+json');
        expect(JSON.parse(answer.body)).toMatchObject({ status: 503, code: 'NOT_READY' });
      }
      expect(readyWhileFrozen.status, readyWhileFrozen.body).toBe(503);
      expect(JSON.parse(readyWhileFrozen.body)).toMatchObject({
        code: 'NOT_READY',
        detail: `the database did not answer within ${READINESS_TIMEOUT_MS} ms`,
      });

      // After the thaw: ready again, and every key retried until 200.
      expect(await eventually(async () => (await send(`${baseUrl}/readyz`, { deadlineMs: REQUEST_DEADLINE_MS })).status === 200, 15_000)).toBe(true);
      let replayed = 0;
      for (const { key, tokens } of keys) {
        let answer = await usage(key, tokens);
        for (let retry = 1; answer.status !== 200 && retry < MAX_RETRIES_PER_KEY; retry++) {
          await sleep(100);
          answer = await usage(key, tokens);
        }
        expect(answer.status, `${key}: ${answer.body}`).toBe(200);
        if (answer.replayed) replayed += 1;
      }
      // The warm connections had sent their updates before the service gave up on them; the thawed
      // database ran and committed them, so their retries are replays, not second counts.
      expect(replayed).toBeGreaterThan(0);

      const expectedTokens = 4 + keys.reduce((sum, { tokens }) => sum + tokens, 0);
      const session = await send(`${baseUrl}/v1/sessions/${sessionId}`, { headers, deadlineMs: REQUEST_DEADLINE_MS });
      expect((JSON.parse(session.body) as { token_budget: { used: number } }).token_budget.used).toBe(expectedTokens);
      const client = new pg.Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const { rows } = await client.query<{ rows: number; tokens: number }>(
          'SELECT count(*)::int AS rows, sum(tokens)::int AS tokens FROM usage_records WHERE session_id = $1',
          [sessionId],
        );
        expect(rows[0]).toEqual({ rows: 4 + keys.length, tokens: expectedTokens });
      } finally {
        await client.end();
      }
    },
  );
});
