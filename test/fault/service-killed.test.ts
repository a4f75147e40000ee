// The service process is SIGKILLed under load and started again: nothing it acknowledged is lost,
// and every outbox event is delivered at least once. Runs against a PostgreSQL cluster of its own.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { announceSkip, eventually, killSpawnedServers, send, sleep, spawnServer, type ServerProcess } from './support.js';

const API_KEY = 'sss_fault_tests_bootstrap_key_0123456789';
const REQUEST_DEADLINE_MS = 8000;
const WORKERS = 8;
const SESSIONS = 4;
/** Small budgets, so both thresholds of every session are crossed well before the kill. */
const SESSION_BUDGET = 100;
/** The kill comes once this many updates were acknowledged; the load is bounded well above it. */
const KILL_AFTER_ACKS = 120;
const MAX_KEYS = 1000;
const LOAD_DEADLINE_MS = 30_000;
const PAUSE_MS = 5;
/** The receiver answers this late, so that some deliveries are in flight when the process dies. */
const RECEIVER_DELAY_MS = 300;
/**
 * A delivery the killed process had claimed falls due again when its lease ends (the attempt
 * timeout, 1 s here, plus the dispatcher's 30 s margin): the wait for every event covers that.
 */
const DELIVERY_WAIT_MS = 50_000;
const MAX_RETRIES_PER_KEY = 50;

const skip = announceSkip('the service killed under load');

describe.skipIf(skip)('the service killed under load', () => {
  let cluster: PgCluster;
  let receiver: WebhookReceiver;
  let databaseUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startPgCluster();
    databaseUrl = await cluster.createDatabase('sss_fault_kill');
    receiver = await createWebhookReceiver();
    receiver.respondWith(() => ({ status: 204, delayMs: RECEIVER_DELAY_MS }));
    env = {
      DATABASE_URL: databaseUrl,
      BOOTSTRAP_API_KEY: API_KEY,
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_TIMEOUT_MS: '1000',
      WEBHOOK_RETRY_DELAYS: '1,1,1,1,1',
    };
  });

  afterAll(async () => {
    await killSpawnedServers();
    await receiver?.close().catch(() => undefined);
    await cluster?.destroy();
  }, 60_000);

  it('keeps every acknowledged usage update and delivers every outbox event after a SIGKILL and a restart', { timeout: 180_000 }, async () => {
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' };
    let server: ServerProcess = await spawnServer(env);
    const post = (path: string, body: unknown, extra: Record<string, string> = {}) =>
      send(`${server.baseUrl}${path}`, {
        method: 'POST',
        headers: { ...headers, ...extra },
        body: JSON.stringify(body),
        deadlineMs: REQUEST_DEADLINE_MS,
      });

    const hook = await post('/v1/webhooks', { url: `${receiver.url}/hooks`, events: ['session.created', 'session.threshold_crossed'] });
    expect(hook.status, hook.body).toBe(201);
    const sessionIds: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const created = await post('/v1/sessions', { task_id: `KILL-${i}`, token_budget: { total: SESSION_BUDGET } });
      expect(created.status, created.body).toBe(201);
      sessionIds.push((JSON.parse(created.body) as { session_id: string }).session_id);
    }

    // The load: one attempt per key until the kill; an update counts as acknowledged on a 200.
    const issued: { key: string; sessionId: string; tokens: number }[] = [];
    const acked = new Set<string>();
    let killed = false;
    const loadDeadline = Date.now() + LOAD_DEADLINE_MS;
    const usageOf = (item: (typeof issued)[number]) =>
      post(`/v1/sessions/${item.sessionId}/usage`, { tokens: item.tokens }, { 'idempotency-key': item.key });

    async function worker(): Promise<void> {
      while (!killed && issued.length < MAX_KEYS && Date.now() < loadDeadline) {
        const index = issued.length;
        const item = { key: `kill-key-${index}`, sessionId: sessionIds[index % SESSIONS]!, tokens: 1 + (index % 7) };
        issued.push(item);
        const answer = await usageOf(item);
        if (answer.status === 200 && !killed) acked.add(item.key);
        await sleep(PAUSE_MS);
      }
    }
    const load = Promise.all(Array.from({ length: WORKERS }, () => worker()));
    try {
      expect(await eventually(() => acked.size >= KILL_AFTER_ACKS, 20_000), 'the load got going').toBe(true);
      // Acknowledgements stop counting before the signal: an answer racing the kill is not trusted.
      killed = true;
      server.child.kill('SIGKILL');
      expect(await server.exited).toBe('SIGKILL');
    } finally {
      killed = true;
      await load;
    }

    server = await spawnServer(env);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // Every acknowledged update is stored, per session: its row, under its key, with its tokens.
      const stored = await client.query<{ key: string; session_id: string; tokens: number }>(
        `SELECT i.key, u.session_id, u.tokens FROM idempotency_records i JOIN usage_records u ON u.id = i.usage_record_id
         WHERE i.key = ANY($1::text[])`,
        [[...acked]],
      );
      const perSession = (rows: { sessionId: string; tokens: number }[]) => {
        const sums = new Map(sessionIds.map((id) => [id, { rows: 0, tokens: 0 }]));
        for (const row of rows) {
          const entry = sums.get(row.sessionId)!;
          entry.rows += 1;
          entry.tokens += row.tokens;
        }
        return sums;
      };
      const ackedItems = issued.filter((item) => acked.has(item.key));
      expect(perSession(stored.rows.map((row) => ({ sessionId: row.session_id, tokens: row.tokens })))).toEqual(perSession(ackedItems));

      // The updates the kill left unanswered, retried with their keys on the new process, are
      // counted once whether or not the killed one had committed them.
      for (const item of issued.filter((entry) => !acked.has(entry.key))) {
        let answer = await usageOf(item);
        for (let retry = 1; answer.status !== 200 && retry < MAX_RETRIES_PER_KEY; retry++) {
          await sleep(100);
          answer = await usageOf(item);
        }
        expect(answer.status, `${item.key}: ${answer.body}`).toBe(200);
      }
      const totals = await client.query<{ session_id: string; rows: number; tokens: number; used: number }>(
        `SELECT s.id AS session_id, count(u.id)::int AS rows, coalesce(sum(u.tokens), 0)::int AS tokens, s.used::int AS used
         FROM sessions s LEFT JOIN usage_records u ON u.session_id = s.id
         WHERE s.id = ANY($1::text[]) GROUP BY s.id`,
        [sessionIds],
      );
      const expected = perSession(issued);
      for (const row of totals.rows) {
        expect({ rows: row.rows, tokens: row.tokens }).toEqual(expected.get(row.session_id));
        expect(row.used).toBe(row.tokens);
      }

      // At least once: every event of these sessions reaches the receiver, duplicates allowed.
      const events = await client.query<{ id: string; type: string }>('SELECT id, type FROM events WHERE session_id = ANY($1::text[]) ORDER BY id', [
        sessionIds,
      ]);
      expect(events.rows.filter((event) => event.type === 'session.created')).toHaveLength(SESSIONS);
      expect(events.rows.filter((event) => event.type === 'session.threshold_crossed')).toHaveLength(SESSIONS * 2);
      const arrivals = () => {
        const counts = new Map<string, number>();
        for (const request of receiver.requests) {
          const id = request.headers['webhook-id'] ?? '';
          counts.set(id, (counts.get(id) ?? 0) + 1);
        }
        return counts;
      };
      const allArrived = await eventually(() => events.rows.every((event) => arrivals().has(event.id)), DELIVERY_WAIT_MS, 250);
      const counts = arrivals();
      const missing = events.rows.filter((event) => !counts.has(event.id)).map((event) => event.id);
      expect(allArrived, `events never delivered: ${missing.join(', ')}\n${server.output()}`).toBe(true);
      const duplicates = [...counts.values()].reduce((sum, count) => sum + count - 1, 0);
      console.info(
        `fault test "service killed": ${acked.size} of ${issued.length} updates acknowledged before the kill; ` +
          `${events.rows.length} events, ${receiver.requests.length} deliveries received, ${duplicates} duplicate(s)`,
      );
    } finally {
      await client.end();
    }
  });
});
