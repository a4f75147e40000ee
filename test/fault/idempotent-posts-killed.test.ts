// The service is SIGKILLed during a burst of forks, checkpoints and merges sent with Idempotency-Keys,
// started again, and every request the kill left unanswered is retried with its key and body: each
// key's change exists exactly once, and every retry gets an answer (the first one, or a fresh run
// when the killed one never committed). Runs against a PostgreSQL cluster of its own.
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { announceSkip, eventually, killSpawnedServers, send, sleep, spawnServer, type ServerProcess } from './support.js';

const API_KEY = 'sss_fault_tests_bootstrap_key_0123456789';
const REQUEST_DEADLINE_MS = 8000;
const WORKERS = 8;
/** Forks made beforehand, for the burst to merge. */
const MERGEABLE_FORKS = 120;
const KILL_AFTER_ANSWERS = 90;
const MAX_RETRIES_PER_KEY = 30;

type Kind = 'fork' | 'checkpoint' | 'merge';
interface Issued {
  key: string;
  kind: Kind;
  path: string;
  body: Record<string, unknown>;
}

const skip = announceSkip('idempotent POSTs killed mid-burst');

describe.skipIf(skip)('idempotent POSTs killed mid-burst', () => {
  let cluster: PgCluster;
  let databaseUrl: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    cluster = await startPgCluster();
    databaseUrl = await cluster.createDatabase('sss_fault_idempotent');
    env = { DATABASE_URL: databaseUrl, BOOTSTRAP_API_KEY: API_KEY, WEBHOOK_DISPATCHER: 'off' };
  });

  afterAll(async () => {
    await killSpawnedServers();
    await cluster?.destroy();
  }, 60_000);

  it('has each key change things exactly once after a SIGKILL, a restart and retries of every unanswered request', { timeout: 180_000 }, async () => {
    let server: ServerProcess = await spawnServer(env);
    const post = (path: string, body: unknown, key?: string) =>
      send(`${server.baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
        body: JSON.stringify(body),
        deadlineMs: REQUEST_DEADLINE_MS,
      });
    const created = await post('/v1/sessions', { task_id: 'KILL-PARENT', context: { plan: 'p' } });
    expect(created.status, created.body).toBe(201);
    const parent = (JSON.parse(created.body) as { session_id: string }).session_id;
    const mergeable: string[] = [];
    for (let i = 0; i < MERGEABLE_FORKS; i++) {
      const fork = await post(`/v1/sessions/${parent}/fork`, { task_id: `mergeable-${i}` });
      expect(fork.status, fork.body).toBe(201);
      mergeable.push((JSON.parse(fork.body) as { session_id: string }).session_id);
    }

    const issued: Issued[] = [];
    const answered = new Set<string>();
    let killed = false;
    const next = (): Issued | undefined => {
      const n = issued.length;
      const kind: Kind = (['fork', 'checkpoint', 'merge'] as const)[n % 3]!;
      const key = `kill-${kind}-${n}`;
      if (kind === 'merge') {
        const fork = mergeable.shift();
        if (!fork) return undefined;
        return { key, kind, path: `/v1/sessions/${parent}/merge`, body: { fork_session_id: fork } };
      }
      if (kind === 'fork') return { key, kind, path: `/v1/sessions/${parent}/fork`, body: { task_id: key } };
      return { key, kind, path: `/v1/sessions/${parent}/checkpoints`, body: { phase: key } };
    };
    const attempt = (item: Issued) => post(item.path, item.body, item.key);

    async function worker(): Promise<void> {
      for (let item = next(); item && !killed; item = next()) {
        issued.push(item);
        const answer = await attempt(item);
        if (answer.status >= 200 && answer.status < 300 && !killed) answered.add(item.key);
      }
    }
    const load = Promise.all(Array.from({ length: WORKERS }, () => worker()));
    try {
      expect(await eventually(() => answered.size >= KILL_AFTER_ANSWERS, 60_000), 'the burst got going').toBe(true);
      killed = true;
      server.child.kill('SIGKILL');
      expect(await server.exited).toBe('SIGKILL');
    } finally {
      killed = true;
      await load;
    }

    server = await spawnServer(env);
    const unanswered = issued.filter((item) => !answered.has(item.key));
    expect(unanswered.length, 'the kill left requests unanswered').toBeGreaterThan(0);
    for (const item of unanswered) {
      let answer = await attempt(item);
      for (let retry = 1; (answer.status < 200 || answer.status >= 300) && retry < MAX_RETRIES_PER_KEY; retry++) {
        await sleep(100);
        answer = await attempt(item);
      }
      expect(answer.status, `${item.key}: ${answer.body}`).toBeLessThan(300);
    }

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const forks = await client.query<{ task_id: string; n: number }>(
        `SELECT task_id, count(*)::int AS n FROM sessions WHERE parent_session_id = $1 AND task_id LIKE 'kill-fork-%' GROUP BY task_id`,
        [parent],
      );
      const checkpoints = await client.query<{ phase: string; n: number }>(
        `SELECT phase, count(*)::int AS n FROM checkpoints WHERE session_id = $1 AND phase LIKE 'kill-checkpoint-%' GROUP BY phase`,
        [parent],
      );
      const counts = new Map([
        ...forks.rows.map((row) => [row.task_id, row.n] as const),
        ...checkpoints.rows.map((row) => [row.phase, row.n] as const),
      ]);
      for (const item of issued.filter((entry) => entry.kind !== 'merge')) expect(counts.get(item.key), item.key).toBe(1);
      expect(counts.size).toBe(issued.filter((entry) => entry.kind !== 'merge').length);

      const merged = issued.filter((entry) => entry.kind === 'merge').map((entry) => entry.body.fork_session_id as string);
      const archived = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM sessions WHERE id = ANY($1::text[]) AND merged_into_session_id = $2 AND status = 'archived'`,
        [merged, parent],
      );
      expect(archived.rows[0]!.n).toBe(merged.length);
      const count = await client.query<{ checkpoints_count: number }>('SELECT checkpoints_count FROM sessions WHERE id = $1', [parent]);
      expect(count.rows[0]!.checkpoints_count).toBe(checkpoints.rows.length);
      console.info(
        `fault test "idempotent POSTs killed": ${answered.size} of ${issued.length} answered before the kill, ${unanswered.length} retried`,
      );
    } finally {
      await client.end();
    }
  });
});
