// The client's resource methods (client.sessions.create() …): each operation of openapi.yaml has
// one and it sends that operation's request; against the real service listening on a loopback
// port they do what the API does, page through lists, and carry per-call options.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createClient, PagedList, ProblemError, RESOURCE_METHODS, type ClientOptions, type SessionStateClient } from '@session-state/client';
import { OPENAPI_YAML_PATH } from '../../scripts/openapi-document.js';
import { TEST_ADMIN_TOKEN, useTestApp } from '../helpers/app.js';

const t = useTestApp({ listen: true });

async function newClient(options: Partial<ClientOptions> = {}) {
  const project = await t.newProject();
  const client = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0, ...options });
  return { ...project, client };
}

interface DocumentedOperation {
  operationId: string;
  method: string;
  path: string;
}

async function documentedOperations(): Promise<DocumentedOperation[]> {
  const document = parseYaml(await readFile(OPENAPI_YAML_PATH, 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
  return Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([, operation]) => typeof operation === 'object' && operation?.operationId)
      .map(([method, operation]) => ({ operationId: operation.operationId!, method: method.toUpperCase(), path })),
  );
}

/** The function at a dotted path of the client (`sessions.usage.create`), bound to its resource. */
function methodAt(client: SessionStateClient, dotted: string): (...args: unknown[]) => unknown {
  const parts = dotted.split('.');
  const owner = parts.slice(0, -1).reduce<Record<string, unknown>>((node, part) => node[part] as Record<string, unknown>, client as never);
  const method = owner[parts.at(-1)!];
  expect(typeof method, `client.${dotted} is a function`).toBe('function');
  return (method as (...args: unknown[]) => unknown).bind(owner);
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

describe('resource methods', () => {
  it('give every operation of openapi.yaml a method that sends its method and path', async () => {
    const sent: { method: string; pathname: string; body: string }[] = [];
    const recording: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      sent.push({ method: request.method, pathname: new URL(request.url).pathname, body: await request.text() });
      if (request.method === 'DELETE') return new Response(null, { status: 204 });
      if (request.headers.get('accept') === 'text/event-stream') {
        const event = { id: 'evt_1', type: 'session.created', created_at: new Date(0).toISOString(), data: {} };
        return new Response(`id: evt_1\nevent: session.created\ndata: ${JSON.stringify(event)}\n\n`, {
          headers: { 'content-type': 'text/event-stream' },
        });
      }
      return Response.json({ data: [], next_cursor: null });
    };
    const client = createClient({ baseUrl: 'http://sss.invalid', apiKey: 'sss_recording', fetch: recording, retries: 0 });
    const operations = await documentedOperations();

    expect(Object.keys(RESOURCE_METHODS).sort()).toEqual(operations.map((o) => o.operationId).sort());
    for (const { operationId, method, path } of operations) {
      // Path parameters in path order, then an empty body or query.
      const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const result = methodAt(client, RESOURCE_METHODS[operationId as keyof typeof RESOURCE_METHODS])(...names.map((n) => `${n}_1`), {});
      if (result instanceof PagedList) await result.firstPage();
      else if (isAsyncIterable(result)) {
        // The event stream: its first event, then the stream closed.
        const events = result[Symbol.asyncIterator]();
        await events.next();
        await events.return?.(undefined);
      } else await result;
      const request = sent.pop();
      expect(request, operationId).toBeDefined();
      expect({ operationId, method: request!.method, pathname: request!.pathname }).toEqual({
        operationId,
        method,
        pathname: names.reduce((p, n) => p.replace(`{${n}}`, `${n}_1`), path),
      });
      expect(sent, `${operationId} sent one request`).toEqual([]);
    }
  });

  it('create, read, update and count a session, and page through its usage newest first', async () => {
    const { client } = await newClient();
    const session = await client.sessions.create({ task_id: 'SPEC-001', token_budget: { total: 100_000 }, context: { plan: 'p' } });
    expect(session).toMatchObject({ task_id: 'SPEC-001', status: 'active', token_budget: { total: 100_000, used: 0 } });

    const first = await client.sessions.usage.create(session.session_id, { input_tokens: 60_000, output_tokens: 20_000, source: 'plan' });
    expect(first.crossed).toEqual([75]);
    for (const tokens of [100, 200, 300, 400]) await client.sessions.usage.create(session.session_id, { tokens });

    const usage = client.sessions.usage.list(session.session_id, { limit: 2 });
    const page = await usage.firstPage();
    expect(page.data.map((entry) => entry.tokens)).toEqual([400, 300]);
    expect(page.hasNextPage()).toBe(true);
    const all = [];
    for await (const entry of usage) all.push(entry.tokens);
    expect(all).toEqual([400, 300, 200, 100, 80_000]);
    expect((await usage.toArray({ max: 3 })).map((entry) => entry.tokens)).toEqual([400, 300, 200]);

    const budget = await client.sessions.budget(session.session_id);
    expect(budget.token_budget).toMatchObject({ used: 81_000, available: 19_000 });
    const read = await client.sessions.get(session.session_id);
    const updated = await client.sessions.update(session.session_id, { context: { notes: 'n' } }, { ifVersion: read.version });
    expect(updated.context).toEqual({ plan: 'p', notes: 'n' });
    const stale = await client.sessions.update(session.session_id, { context: { notes: 'x' } }, { ifVersion: read.version }).catch((e: unknown) => e);
    expect(stale).toBeInstanceOf(ProblemError);
    expect((stale as ProblemError).status).toBe(412);
    expect((await client.sessions.get(session.session_id)).context).toEqual({ plan: 'p', notes: 'n' });
  });

  it('list sessions across pages with the status and task_id filters', async () => {
    const { client } = await newClient();
    const made = [];
    for (let i = 0; i < 5; i++) made.push(await client.sessions.create({ task_id: i % 2 === 0 ? 'even' : 'odd' }));
    await client.sessions.archive(made[4]!.session_id);

    const even = await client.sessions.list({ task_id: 'even', limit: 1 }).toArray();
    expect(even.map((s) => s.session_id)).toEqual([made[4]!, made[2]!, made[0]!].map((s) => s.session_id));
    const activeEven = [];
    for await (const s of client.sessions.list({ task_id: 'even', status: 'active', limit: 1 })) activeEven.push(s.session_id);
    expect(activeEven).toEqual([made[2]!.session_id, made[0]!.session_id]);

    const firstPage = await client.sessions.list({ limit: 2 }).firstPage();
    const second = await firstPage.nextPage();
    const fromCursor = await client.sessions.list({ limit: 2, cursor: firstPage.next_cursor! }).firstPage();
    expect(fromCursor.data).toEqual(second!.data);
    expect(second!.data.map((s) => s.session_id)).toEqual([made[2]!, made[1]!].map((s) => s.session_id));
  });

  it('checkpoint, restore, fork, merge, resume, recover, and read lineage and export', async () => {
    const { client } = await newClient();
    const { session_id: id } = await client.sessions.create({ task_id: 'SPEC-002', token_budget: { total: 100_000 }, context: { step: 1 } });
    const checkpoint = await client.checkpoints.create(id, { phase: 'iteration_0' });
    await client.sessions.update(id, { context: { step: 2 } });
    expect((await client.checkpoints.get(checkpoint.checkpoint_id)).phase).toBe('iteration_0');
    expect((await client.checkpoints.list(id, { phase: 'iteration_0' }).toArray()).map((c) => c.checkpoint_id)).toEqual([checkpoint.checkpoint_id]);
    expect((await client.checkpoints.restore(checkpoint.checkpoint_id)).context).toEqual({ step: 1 });

    const fork = await client.sessions.fork(id, { task_id: 'SPEC-002-alt' });
    await client.sessions.update(fork.session_id, { context: { alt: true } });
    const merged = await client.sessions.merge(id, { fork_session_id: fork.session_id, strategy: 'shallow' });
    expect(merged.context).toEqual({ step: 1, alt: true });
    expect((await client.sessions.resume(id)).status).toBe('resumed');

    const recovery = await client.sessions.emergencyRecovery(id);
    expect(recovery.original_session_id).toBe(id);
    expect(recovery.new_session).toMatchObject({ task_id: 'SPEC-002', status: 'active', recovered_from_session_id: id });
    const lineage = await client.sessions.lineage(id);
    expect(JSON.stringify(lineage)).toContain(recovery.new_session.session_id);
    expect((await client.sessions.export(id)).session.session_id).toBe(id);
    const minimal = await client.checkpoints.create(
      recovery.new_session.session_id,
      { phase: 'snapshot', context_snapshot: { big: 'x' } },
      { returnMinimal: true },
    );
    expect(minimal).not.toHaveProperty('context_snapshot');
    expect((await client.checkpoints.get(minimal.checkpoint_id)).context_snapshot).toEqual({ big: 'x' });
    expect((await client.sessions.archive(recovery.new_session.session_id)).status).toBe('archived');
  });

  it('register agents, hand off and answer, run an orchestration, and read models, context and metrics', async () => {
    const { client } = await newClient();
    await client.agents.put('tdd-implementer', { accepts_handoffs_from: ['spec-builder'] });
    await client.agents.put('reviewer', { accepts_handoffs_from: [] });
    // Once a project registers agents, both agents of a handoff must be registered.
    await client.agents.put('spec-builder', { accepts_handoffs_from: [] });
    expect((await client.agents.get('tdd-implementer')).accepts_handoffs_from).toEqual(['spec-builder']);
    expect((await client.agents.list().toArray()).map((a) => a.name).sort()).toEqual(['reviewer', 'spec-builder', 'tdd-implementer']);
    await client.agents.delete('reviewer');
    expect((await client.agents.list().toArray()).map((a) => a.name)).toEqual(['spec-builder', 'tdd-implementer']);

    const session = await client.sessions.create({ task_id: 'SPEC-003' });
    const handoff = () =>
      client.handoffs.create({ from_agent: 'spec-builder', to_agent: 'tdd-implementer', session_id: session.session_id, task_context: {} });
    const accepted = await client.handoffs.accept((await handoff()).handoff_id);
    const rejected = await client.handoffs.reject((await handoff()).handoff_id, { reason: 'busy' });
    expect([accepted.status, rejected.status]).toEqual(['accepted', 'rejected']);
    expect((await client.handoffs.get(accepted.handoff_id)).status).toBe('accepted');
    expect((await client.handoffs.list({ status: 'rejected' }).toArray()).map((h) => h.handoff_id)).toEqual([rejected.handoff_id]);

    const orchestration = await client.orchestrations.create({
      specs: [
        { spec_id: 'a', depends_on: [] },
        { spec_id: 'b', depends_on: ['a'] },
        { spec_id: 'c', depends_on: [] },
      ],
      max_parallel_sessions: 2,
    });
    const id = orchestration.orchestration_id;
    expect((await client.orchestrations.specs.explore(id, 'a')).parent_session_id).not.toBeNull();
    await client.orchestrations.specs.complete(id, 'a');
    await client.orchestrations.specs.fail(id, 'c');
    expect((await client.orchestrations.get(id)).status).toBe('running');
    expect((await client.orchestrations.list({ status: 'running' }).toArray()).map((o) => o.orchestration_id)).toEqual([id]);

    expect((await client.models.list()).length).toBeGreaterThan(0);
    await client.context.mcpServers.put('github', { tool_definition_tokens: 1_500 });
    expect((await client.context.mcpServers.list().toArray()).map((s) => s.name)).toContain('github');
    const analysis = await client.context.analyzeMcpServers({ servers: ['github'] });
    expect(JSON.stringify(analysis)).toContain('1500');
    await client.context.mcpServers.delete('github');
    expect((await client.metrics.summary()).sessions).toBeDefined();
    expect(await client.health.live()).toEqual({ status: 'ok' });
    expect(await client.health.ready()).toEqual({ status: 'ok' });
    expect(await client.problems.get('session-archived')).toMatchObject({
      type: '/problems/session-archived',
      code: 'SESSION_ARCHIVED',
      status: 409,
    });
  });

  it('manage webhooks: create, read, update, test, list deliveries, retry, rotate, delete', async () => {
    const { client } = await newClient();
    const created = await client.webhooks.create({ url: 'https://hooks.example.com/sss', events: ['webhook.test'] });
    expect(created.secret).toMatch(/^whsec_/);
    expect((await client.webhooks.get(created.webhook_id)).url).toBe('https://hooks.example.com/sss');
    expect((await client.webhooks.update(created.webhook_id, { description: 'ops' })).description).toBe('ops');
    expect((await client.webhooks.list().toArray()).map((w) => w.webhook_id)).toEqual([created.webhook_id]);
    await client.webhooks.test(created.webhook_id);
    const [delivery] = await client.webhooks.deliveries.list(created.webhook_id).toArray();
    expect(delivery?.event_type).toBe('webhook.test');
    expect((await client.webhooks.deliveries.retry(created.webhook_id, delivery!.delivery_id)).delivery_id).toBe(delivery!.delivery_id);
    expect((await client.webhooks.rotateSecret(created.webhook_id)).secret).not.toBe(created.secret);
    await client.webhooks.delete(created.webhook_id);
    expect(await client.webhooks.list().toArray()).toEqual([]);
  });

  it('create projects and keys with the admin token, and revoke a key', async () => {
    const admin = createClient({ baseUrl: t.baseUrl, apiKey: TEST_ADMIN_TOKEN, retries: 0 });
    const project = await admin.admin.projects.create({ name: 'resources-test' });
    const key = await admin.admin.projects.createApiKey(project.project_id);
    const client = createClient({ baseUrl: t.baseUrl, apiKey: key.api_key, retries: 0 });
    expect((await client.sessions.create({ task_id: 'SPEC-004' })).project_id).toBe(project.project_id);
    await admin.admin.apiKeys.revoke(key.api_key_id);
    const refused = await client.sessions
      .list()
      .firstPage()
      .catch((e: unknown) => e);
    expect((refused as ProblemError).status).toBe(401);
  });
});

describe('createClient()', () => {
  // In a child process: tests never change their own process.env.
  const withEnv = async (env: Record<string, string>, script: string) => {
    const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SESSION_STATE_')));
    const code = `import { createClient } from '@session-state/client';\n${script}`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      env: { ...clean, ...env },
    });
    return stdout.trim();
  };

  it('connects to SESSION_STATE_URL with SESSION_STATE_API_KEY when given no options', async () => {
    const { apiKey, client } = await newClient();
    const printed = await withEnv(
      { SESSION_STATE_URL: t.baseUrl, SESSION_STATE_API_KEY: apiKey },
      "const s = await createClient().sessions.create({ task_id: 'FROM-ENV' }); console.log(s.session_id);",
    );
    expect((await client.sessions.get(printed)).task_id).toBe('FROM-ENV');
  });

  it('says which setting is missing when neither the options nor the environment give it', async () => {
    const noUrl = await withEnv({ SESSION_STATE_API_KEY: 'sss_x' }, 'try { createClient(); } catch (e) { console.log(e.message); }');
    const noKey = await withEnv({ SESSION_STATE_URL: t.baseUrl }, 'try { createClient(); } catch (e) { console.log(e.message); }');
    expect(noUrl).toMatch(/no baseUrl.*SESSION_STATE_URL/);
    expect(noKey).toMatch(/no apiKey.*SESSION_STATE_API_KEY/);
  });
});

describe('per-call options', () => {
  it('count a usage report sent twice with the same idempotencyKey once', async () => {
    const { client } = await newClient();
    const { session_id: id } = await client.sessions.create({ task_id: 'SPEC-005' });
    const first = await client.sessions.usage.create(id, { tokens: 1_000 }, { idempotencyKey: 'report-1' });
    const again = await client.sessions.usage.create(id, { tokens: 1_000 }, { idempotencyKey: 'report-1' });
    expect(again).toEqual(first);
    await client.sessions.usage.create(id, { tokens: 1_000 });
    expect((await client.sessions.get(id)).token_budget.used).toBe(2_000);
  });

  it('stop a call when its signal aborts', async () => {
    const { client } = await newClient();
    const controller = new AbortController();
    controller.abort();
    const aborted = await client.sessions.create({ task_id: 'SPEC-006' }, { signal: controller.signal }).catch((e: unknown) => e);
    expect((aborted as Error).name).toBe('AbortError');
    expect(await client.sessions.list().toArray()).toEqual([]);
  });

  it('throw the ProblemError of the answer, with its code', async () => {
    const { client } = await newClient();
    const missing = await client.sessions.get('sess_00000000000000000000000000000000').catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ProblemError);
    expect(missing).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });
});
