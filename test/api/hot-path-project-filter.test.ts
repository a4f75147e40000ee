// Every statement the hot paths send names the project of each distributed table it touches, so
// that project_id can become the distribution column (Citus, see README "Scaling out") and each
// statement routes to one shard group: usage updates (fast path and crossing), checkpoint writes
// (one and a batch), Idempotency-Key replays, and the event stream's reads. The statements are
// captured as the service sends them (the database's query hook: Prisma's and the prepared ones).
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { openEventSource, until } from '../helpers/event-stream.js';
import { createWebhookReceiver } from '../helpers/webhook-receiver.js';

const statements: string[] = [];
const t = useTestApp({
  listen: true,
  config: { authCacheTtlMs: 60_000, eventStreamHeartbeatMs: 100 },
  onQuery: (sql) => statements.push(sql),
});

/**
 * Tables distributed by project_id on Citus; the others are reference tables (projects, api_keys:
 * looked up by key hash before the project is known; event_stream_listeners: read by the events
 * trigger on every shard) or belong to a distributed row's children (orchestration_*).
 */
const DISTRIBUTED = [
  'sessions',
  'checkpoints',
  'usage_records',
  'idempotency_records',
  'events',
  'webhook_endpoints',
  'webhook_deliveries',
  'webhook_attempts',
  'handoffs',
  'agents',
  'mcp_servers',
  'orchestrations',
];

const NOT_AN_ALIAS = new Set([
  'where',
  'set',
  'on',
  'using',
  'values',
  'select',
  'join',
  'left',
  'inner',
  'order',
  'group',
  'limit',
  'returning',
  'with',
  'for',
  'cross',
]);
const quoted = (name: string) => `"?${name}"?`;

/** Each reference of a statement to a distributed table: the table, its alias, and how it is used. */
function references(sql: string): { table: string; alias: string; insert: boolean; at: number }[] {
  const found: { table: string; alias: string; insert: boolean; at: number }[] = [];
  const reference = /\b(FROM|JOIN|UPDATE|INTO)\s+(?:"?public"?\.)?"?([a-z_]+)"?(?:\s+(?:AS\s+)?"?([a-z_][a-z0-9_]*)"?)?/gi;
  for (const match of sql.matchAll(reference)) {
    const table = match[2]!.toLowerCase();
    if (!DISTRIBUTED.includes(table)) continue;
    const alias = match[3] && !NOT_AN_ALIAS.has(match[3].toLowerCase()) ? match[3] : table;
    found.push({ table, alias, insert: match[1]!.toUpperCase() === 'INTO', at: match.index });
  }
  return found;
}

/**
 * What a statement lacks: an INSERT that does not set project_id, or a read, update or delete of
 * a distributed table without `<alias or table>.project_id = …` (or `= ANY`, `IN`), or, when it is
 * the statement's only distributed table, an unqualified `project_id = …`.
 */
function missingProjectFilter(sql: string): string[] {
  const refs = references(sql);
  const missing: string[] = [];
  for (const { table, alias, insert, at } of refs) {
    if (insert) {
      const columns = /^\s*(?:"?public"?\.)?"?\w+"?\s*(?:AS\s+\w+\s*)?\(([^)]*)\)/i.exec(sql.slice(at).replace(/^INTO/i, ''));
      if (!columns || !/\bproject_id\b/.test(columns[1]!)) missing.push(`INSERT INTO ${table} without project_id`);
      continue;
    }
    const qualifiers = [alias, table].map((name) => `(?:${quoted('public')}\\.)?${quoted(name)}\\.`);
    const filter = new RegExp(`(?:${qualifiers.join('|')})${quoted('project_id')}\\s*(?:=|IN\\b)`, 'i');
    const bare = new RegExp(`(?<![.\\w"])${quoted('project_id')}\\s*(?:=|IN\\b)`, 'i');
    const onlyTable = refs.filter((ref) => !ref.insert).length === 1;
    if (!filter.test(sql) && !(onlyTable && bare.test(sql))) missing.push(`${table} ${alias} without a project_id filter`);
  }
  return missing;
}

/** The statements `run` sent that touch a distributed table, each with what it lacks. */
async function sentBy(run: () => Promise<unknown>): Promise<{ sql: string; missing: string[] }[]> {
  statements.length = 0;
  await run();
  return statements
    .filter((sql) => references(sql).length > 0)
    .map((sql) => ({ sql: sql.replace(/\s+/g, ' ').slice(0, 400), missing: missingProjectFilter(sql) }));
}

describe('hot-path statements filter by project_id (the Citus distribution column)', () => {
  it('the checker finds a missing filter, and accepts the forms the service writes', () => {
    expect(missingProjectFilter('SELECT * FROM sessions WHERE id = $1')).toEqual(['sessions sessions without a project_id filter']);
    expect(missingProjectFilter('UPDATE sessions s SET used = 1 WHERE s.id = $1')).toEqual(['sessions s without a project_id filter']);
    expect(missingProjectFilter('INSERT INTO events (id, type) VALUES ($1, $2)')).toEqual(['INSERT INTO events without project_id']);
    expect(missingProjectFilter('SELECT 1 FROM events e JOIN webhook_endpoints w ON w.enabled WHERE e.project_id = $1')).toEqual([
      'webhook_endpoints w without a project_id filter',
    ]);
    expect(missingProjectFilter('SELECT "public"."sessions"."id" FROM "public"."sessions" WHERE ("public"."sessions"."project_id" = $1)')).toEqual(
      [],
    );
    expect(missingProjectFilter('DELETE FROM sessions WHERE project_id = ANY ($1)')).toEqual([]);
    expect(missingProjectFilter('INSERT INTO usage_records (id, project_id) SELECT $1, s.project_id FROM x s')).toEqual([]);
  });

  it('usage updates: the fast path, with an Idempotency-Key, a crossing with its events and deliveries, and a replay', async () => {
    const { auth } = await t.newProject();
    const receiver = await createWebhookReceiver();
    try {
      await t.http
        .post('/v1/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}/hook`, events: ['session.threshold_crossed'] })
        .expect(201);
      const session = await t.http
        .post('/v1/sessions')
        .set(auth)
        .send({ task_id: 'citus', token_budget: { total: 1000 } })
        .expect(201);
      const url = `/v1/sessions/${session.body.session_id}/usage`;
      await t.http.post(url).set(auth).send({ tokens: 1 }).expect(200); // warms the key cache

      const sent = [
        ...(await sentBy(() => t.http.post(url).set(auth).send({ tokens: 10 }).expect(200))),
        ...(await sentBy(() => t.http.post(url).set(auth).set('idempotency-key', 'u-1').send({ tokens: 10 }).expect(200))),
        ...(await sentBy(() => t.http.post(url).set(auth).set('idempotency-key', 'u-2').send({ tokens: 800 }).expect(200))),
        ...(await sentBy(() => t.http.post(url).set(auth).set('idempotency-key', 'u-2').send({ tokens: 800 }).expect(200))),
      ];
      expect(sent.length).toBeGreaterThanOrEqual(4);
      expect(sent.filter((statement) => statement.missing.length > 0)).toEqual([]);
    } finally {
      await receiver.close();
    }
  });

  it('checkpoint writes, one and a batch, and the replay of a keyed one', async () => {
    const { auth } = await t.newProject();
    const session = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'citus' }).expect(201);
    const id = session.body.session_id as string;
    await t.http.post(`/v1/sessions/${id}/checkpoints`).set(auth).send({ phase: 'warm', context_snapshot: {} }).expect(201);

    const one = (key: string) =>
      t.http
        .post(`/v1/sessions/${id}/checkpoints`)
        .set(auth)
        .set('prefer', 'return=minimal')
        .set('idempotency-key', key)
        .send({ phase: 'p', context_snapshot: { n: 1 } })
        .expect(201);
    const sent = [
      ...(await sentBy(() =>
        t.http
          .post(`/v1/sessions/${id}/checkpoints`)
          .set(auth)
          .set('prefer', 'return=minimal')
          .send({ phase: 'p', context_snapshot: { n: 0 } })
          .expect(201),
      )),
      ...(await sentBy(() => one('c-1'))),
      ...(await sentBy(() => one('c-1'))),
      ...(await sentBy(() =>
        t.http
          .post(`/v1/sessions/${id}/checkpoints/batch`)
          .set(auth)
          .set('prefer', 'return=minimal')
          .send({
            checkpoints: [
              { phase: 'a', context_snapshot: {} },
              { phase: 'b', context_snapshot: {} },
            ],
          })
          .expect(201),
      )),
    ];
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.filter((statement) => statement.missing.length > 0)).toEqual([]);
  });

  it("the event stream's reads: from the start, and the events written while it is open", async () => {
    const { auth, apiKey } = await t.newProject();
    statements.length = 0;
    const stream = openEventSource(t.baseUrl!, apiKey);
    try {
      await until(() => stream.opens === 1, 'the stream to open');
      const session = await t.http.post('/v1/sessions').set(auth).send({ task_id: 'citus' }).expect(201);
      await stream.waitFor(1, 'session.created');
      await t.http.post(`/v1/sessions/${session.body.session_id}/checkpoints`).set(auth).send({ phase: 'p', context_snapshot: {} }).expect(201);
      await stream.waitFor(2, 'checkpoint.created');
    } finally {
      stream.close();
    }
    const sent = statements
      .filter((sql) => references(sql).length > 0)
      .map((sql) => ({ sql: sql.replace(/\s+/g, ' ').slice(0, 400), missing: missingProjectFilter(sql) }));
    expect(sent.some(({ sql }) => /FROM "?events"?/i.test(sql))).toBe(true);
    expect(sent.filter((statement) => statement.missing.length > 0)).toEqual([]);
  });
});
