// Idempotency-Keys racing on PostgreSQL (PGlite has one connection, so nothing there runs concurrently).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)('Idempotency-Keys racing on PostgreSQL', () => {
  const t = useTestApp({ config: { databasePoolMax: 20 }, listen: true });

  async function post(auth: Record<string, string>, path: string, body: unknown, key: string) {
    const res = await fetch(`${t.baseUrl}${path}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
  }

  it('forks once for 20 racing requests with one key: each gets the fork or a 409 to retry, never a second fork', async () => {
    const { auth } = await t.newProject();
    const parent = (await post(auth, '/v1/sessions', { task_id: 'race-parent' }, 'parent')).body.session_id as string;
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => post(auth, `/v1/sessions/${parent}/fork`, { task_id: 'race-fork' }, 'fork-1')),
    );

    const forks = await t.db.prisma.session.findMany({ where: { parentSessionId: parent } });
    expect(forks).toHaveLength(1);
    for (const answer of answers) {
      if (answer.status === 409) {
        expect(answer.body.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
        expect(answer.headers.get('retry-after')).toBe('1');
      } else {
        expect(answer.status).toBe(201);
        expect(answer.body.session_id).toBe(forks[0]!.id);
      }
    }
    const retry = await post(auth, `/v1/sessions/${parent}/fork`, { task_id: 'race-fork' }, 'fork-1');
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(retry.body.session_id).toBe(forks[0]!.id);
  });

  it('answers 409 at once while another request holds the key, and runs the request once it is free', async () => {
    const { auth, projectId } = await t.newProject();
    const holder = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await holder.connect();
    try {
      // What a request still running holds: the key's advisory lock, in its transaction.
      await holder.query('BEGIN');
      await holder.query(`SELECT pg_advisory_xact_lock(72707370, hashtext($1 || ' ' || $2))`, [projectId, 'held']);
      const busy = await post(auth, '/v1/sessions', { task_id: 'held' }, 'held');
      expect(busy.status).toBe(409);
      expect(busy.body.code).toBe('IDEMPOTENCY_REQUEST_IN_PROGRESS');
      expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
      await holder.query('COMMIT');
    } finally {
      await holder.end();
    }
    const free = await post(auth, '/v1/sessions', { task_id: 'held' }, 'held');
    expect(free.status).toBe(201);
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(1);
  });
});
