// Real resources for the fuzzer to aim at, so that requests get past the 404 checks, and the
// project snapshot that shows whether a refused request changed anything.
import type { TestApp } from '../helpers/app.js';
import { TEST_ADMIN_TOKEN } from '../helpers/app.js';

type Json = Record<string, unknown>;

export interface FixtureProject {
  projectId: string;
  auth: Record<string, string>;
  /** Ids and names by the path segment that precedes them in a route (`sessions` → session ids). */
  byKind: Record<string, string[]>;
  /** Every id and name of this project, for string fields of generated bodies. */
  known: string[];
  /** Real values by body field name. */
  hints: Record<string, string[]>;
}

export const ADMIN_AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

/**
 * The path parameter kinds the fuzzer knows, by the segment before the parameter. A route with a
 * parameter of another kind fails the coverage test until it is added here and to createFixtures.
 * `tenantScoped`: another project's id must never answer 2xx.
 */
export const PARAM_KINDS: Record<string, { tenantScoped: boolean; unknown: () => string }> = {
  sessions: { tenantScoped: true, unknown: () => fakeId('sess') },
  checkpoints: { tenantScoped: true, unknown: () => fakeId('ckpt') },
  webhooks: { tenantScoped: true, unknown: () => fakeId('wh') },
  deliveries: { tenantScoped: true, unknown: () => fakeId('dlv') },
  handoffs: { tenantScoped: true, unknown: () => fakeId('hoff') },
  reservations: { tenantScoped: true, unknown: () => fakeId('rsv') },
  orchestrations: { tenantScoped: true, unknown: () => fakeId('orch') },
  specs: { tenantScoped: false, unknown: () => 'no-such-spec' },
  agents: { tenantScoped: false, unknown: () => 'no-such-agent' },
  'mcp-servers': { tenantScoped: false, unknown: () => 'no-such-server' },
  // PUT /v1/models/{model}/prices takes any model name (a project may price its own models).
  models: { tenantScoped: false, unknown: () => 'no-such-model' },
  // GET /problems/{code}: the pages of the error codes, the same for everyone.
  problems: { tenantScoped: false, unknown: () => 'no-such-code' },
  projects: { tenantScoped: false, unknown: () => fakeId('proj') },
  'api-keys': { tenantScoped: false, unknown: () => fakeId('key') },
};

/** Webhook URLs at the edges of what the URL guard allows (the fuzzer's app refuses private networks). */
const WEBHOOK_URLS = [
  'https://example.com/hook',
  'http://127.0.0.1/hook',
  'http://[::1]/hook',
  'http://[::ffff:127.0.0.1]/',
  'http://0x7f000001/',
  'http://2130706433/',
  'http://169.254.169.254/latest/meta-data',
  'http://10.0.0.1:8080/',
  'http://localhost./',
  'ftp://example.com/hook',
  'javascript:alert(1)',
  'https://user:secret@example.com/hook',
  'https://example.com:99999/',
  'https://例え.jp/フック',
  'https://example.com/' + 'p'.repeat(2100),
  'https://',
  '//example.com/hook',
];

let fakeCounter = 0;
function fakeId(prefix: string): string {
  fakeCounter += 1;
  return `${prefix}_${'0'.repeat(24)}${fakeCounter.toString(16).padStart(8, '0')}`;
}

async function call(t: TestApp, method: 'POST' | 'PUT' | 'GET', url: string, headers: Record<string, string>, payload?: Json) {
  const res = await t.app.inject({ method, url, headers, ...(payload ? { payload } : {}) });
  if (res.statusCode >= 300) throw new Error(`fixture ${method} ${url} answered ${res.statusCode}: ${res.body}`);
  return res.json<Json>();
}

/** A project with one of every resource: sessions with checkpoints, a fork, a handoff, a webhook with a delivery, an orchestration. */
export async function createFixtures(t: TestApp, label: string): Promise<FixtureProject> {
  const project = await call(t, 'POST', '/v1/admin/projects', ADMIN_AUTH, { name: `fuzz-${label}` });
  const projectId = project.project_id as string;
  const auth = { authorization: `Bearer ${project.api_key as string}` };
  // A second key that the fuzzer may revoke without locking itself out.
  const spareKey = await call(t, 'POST', `/v1/admin/projects/${projectId}/api-keys`, ADMIN_AUTH);

  const session = await call(t, 'POST', '/v1/sessions', auth, {
    task_id: `fuzz-task-${label}`,
    token_budget: { total: 1_000_000 },
    context: { plan: 'refactor auth', temp_context: { scratch: 'notes' }, files: ['a.ts'] },
    metadata: { owner: 'fuzz' },
  });
  const sessionId = session.session_id as string;
  const first = await call(t, 'POST', `/v1/sessions/${sessionId}/checkpoints`, auth, { phase: 'phase-1' });
  await call(t, 'POST', `/v1/sessions/${sessionId}/usage`, auth, { tokens: 1000, source: 'fuzz' });
  const second = await call(t, 'POST', `/v1/sessions/${sessionId}/checkpoints`, auth, { phase: 'phase-2', context_snapshot: { plan: 'p2' } });
  const fork = await call(t, 'POST', `/v1/sessions/${sessionId}/fork`, auth, {});
  const holds = [
    await call(t, 'POST', `/v1/sessions/${sessionId}/reservations`, auth, { tokens: 500 }),
    await call(t, 'POST', `/v1/sessions/${sessionId}/reservations`, auth, { tokens: 70, ttl_seconds: 1 }),
  ];
  const spare = await call(t, 'POST', '/v1/sessions', auth, { task_id: `fuzz-spare-${label}` });
  // Below the 30,000 available tokens a handoff needs, with non-critical context left to defer.
  const low = await call(t, 'POST', '/v1/sessions', auth, {
    task_id: `fuzz-low-${label}`,
    token_budget: { total: 100_000 },
    context: { plan: 'almost out', temp_context: { scratch: 'notes' } },
  });
  await call(t, 'POST', `/v1/sessions/${low.session_id as string}/usage`, auth, { tokens: 72_000 });

  await call(t, 'PUT', '/v1/agents/agent-a', auth, { accepts_handoffs_from: ['*'] });
  await call(t, 'PUT', '/v1/agents/agent-b', auth, { accepts_handoffs_from: ['agent-a'], description: 'b' });
  const handoff = await call(t, 'POST', '/v1/handoffs', auth, {
    from_agent: 'agent-b',
    to_agent: 'agent-a',
    session_id: sessionId,
    task_context: { phase: 'implementation' },
  });

  const webhook = await call(t, 'POST', '/v1/webhooks', auth, { url: 'https://example.com/hook', events: ['*'] });
  const webhookId = webhook.webhook_id as string;
  await call(t, 'POST', `/v1/webhooks/${webhookId}/test`, auth, {});
  const deliveries = await call(t, 'GET', `/v1/webhooks/${webhookId}/deliveries`, auth);
  const deliveryIds = (deliveries.data as Json[]).map((d) => d.delivery_id as string);

  await call(t, 'PUT', '/v1/context/mcp-servers/my-server', auth, { tool_definition_tokens: 1234 });
  const orchestration = await call(t, 'POST', '/v1/orchestrations', auth, {
    specs: [{ spec_id: 'spec-a' }, { spec_id: 'spec-b', depends_on: ['spec-a'] }, { spec_id: 'spec-c' }],
  });

  const byKind: Record<string, string[]> = {
    sessions: [sessionId, fork.session_id as string, spare.session_id as string, low.session_id as string],
    checkpoints: [first.checkpoint_id as string, second.checkpoint_id as string],
    webhooks: [webhookId],
    deliveries: deliveryIds,
    handoffs: [handoff.handoff_id as string],
    reservations: holds.map((hold) => hold.reservation_id as string),
    orchestrations: [orchestration.orchestration_id as string],
    specs: ['spec-a', 'spec-b', 'spec-c'],
    agents: ['agent-a', 'agent-b'],
    'mcp-servers': ['my-server', 'context7'],
    models: ['claude-sonnet-4-5-20250929', 'gpt-4o'],
    problems: ['session-archived', 'validation-failed'],
    projects: [projectId],
    'api-keys': [spareKey.api_key_id as string],
  };
  const known = [...new Set([...Object.values(byKind).flat(), `fuzz-task-${label}`, 'phase-1', 'shallow', 'deep'])];
  const hints = {
    session_id: [sessionId, spare.session_id as string, low.session_id as string],
    fork_session_id: [fork.session_id as string],
    checkpoint_id: byKind.checkpoints!,
    from_agent: ['agent-b', 'agent-a'],
    to_agent: ['agent-a', 'agent-b'],
    spec_id: byKind.specs!,
    model: ['claude-sonnet-4-5-20250929'],
    url: WEBHOOK_URLS,
  };
  return { projectId, auth, byKind, known, hints };
}

/**
 * One digest per table of everything a project owns (idempotency records aside: a refused request
 * with an Idempotency-Key is stored on purpose, so that its retry gets the same answer).
 */
export async function snapshotQuery(t: TestApp): Promise<string> {
  const rows = await t.db.prisma.$queryRawUnsafe<{ table_name: string; column_name: string }[]>(
    `SELECT table_name, column_name FROM information_schema.columns
      WHERE table_schema = current_schema() AND column_name IN ('project_id', 'orchestration_id')
      ORDER BY table_name, column_name`,
  );
  const owned = new Map<string, string>();
  for (const row of rows) if (!owned.has(row.table_name) || row.column_name === 'project_id') owned.set(row.table_name, row.column_name);
  owned.delete('idempotency_records');
  const parts = [...owned].map(([table, column]) => {
    const where = column === 'project_id' ? `t.project_id = $1` : `t.orchestration_id IN (SELECT id FROM orchestrations WHERE project_id = $1)`;
    return `SELECT '${table}' AS name, md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS digest FROM "${table}" t WHERE ${where}`;
  });
  parts.push(`SELECT 'projects' AS name, md5(coalesce(string_agg(t::text, '|'), '')) AS digest FROM projects t WHERE t.id = $1`);
  return parts.join('\nUNION ALL\n');
}

export async function snapshot(t: TestApp, query: string, projectId: string): Promise<Record<string, string>> {
  const rows = await t.db.prisma.$queryRawUnsafe<{ name: string; digest: string }[]>(query, projectId);
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]));
}
