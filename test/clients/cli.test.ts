// The `session-state` CLI (packages/client/src/cli) run as a child process against the real service listening on
// a loopback port, and the reference workflow example (examples/) against the same service.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runReferenceWorkflow } from '../../examples/reference-workflow.js';
import { createClient, type SessionStateClient } from '@session-state/client';
import { useTestApp } from '../helpers/app.js';
import { createWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = ['--import', 'tsx', 'packages/client/src/cli/main.ts'];

const t = useTestApp({ listen: true });

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The service's variables only: the CLI must not see the developer's own SESSION_STATE_*. */
function childEnv(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env.SESSION_STATE_URL;
  delete env.SESSION_STATE_API_KEY;
  for (const [name, value] of Object.entries(vars)) if (value !== undefined) env[name] = value;
  return env;
}

/** Starts `node packages/client/src/cli/main.ts args…`; `done` resolves when it exits. */
function start(args: string[], vars: Record<string, string | undefined>) {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: REPO_ROOT, env: childEnv(vars) });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...output }));
  });
  return { child, output, done };
}

async function newProject() {
  const project = await t.newProject();
  const client = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0 });
  const env = { SESSION_STATE_URL: t.baseUrl, SESSION_STATE_API_KEY: project.apiKey };
  return { ...project, client, env, cli: (...args: string[]) => start(args, env).done };
}

async function sessionWithUsage(client: SessionStateClient, tokens: number[], body: { token_budget?: { total: number } } = {}) {
  const { data: session } = await client.POST('/v1/sessions', { body: { task_id: 'SPEC-001', context: { plan: 'p', temp_context: 't' }, ...body } });
  for (const [i, amount] of tokens.entries()) {
    await client.POST('/v1/sessions/{id}/usage', { params: { path: { id: session.session_id } }, body: { tokens: amount, source: `step_${i}` } });
  }
  return session.session_id;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

const lines = (text: string) => text.trimEnd().split('\n');

describe('session-state sessions', () => {
  it('lists the sessions newest first, filters by --status and --task-id, and honours --limit', async () => {
    const { client, cli } = await newProject();
    const spec1 = await client.sessions.create({ task_id: 'SPEC-001', token_budget: { total: 100_000 } });
    await client.sessions.usage.create(spec1.session_id, { tokens: 40_000 });
    const spec2 = await client.sessions.create({ task_id: 'SPEC-002' });
    const spec1Again = await client.sessions.create({ task_id: 'SPEC-001' });
    await client.sessions.archive(spec1Again.session_id);

    const [all, active, spec1Runs, archivedSpec1, limited] = await Promise.all([
      cli('sessions'),
      cli('sessions', '--status', 'active'),
      cli('sessions', '--task-id', 'SPEC-001'),
      cli('sessions', '--task-id', 'SPEC-001', '--status', 'archived'),
      cli('sessions', '--limit', '1'),
    ]);

    const ids = (run: Run) =>
      lines(run.stdout)
        .slice(1)
        .map((row) => row.split(/\s+/)[0]);
    expect(all.code, all.stderr).toBe(0);
    expect(lines(all.stdout)[0]).toMatch(/^SESSION\s+TASK\s+MODEL\s+STATUS\s+LEVEL\s+USED\s+TOTAL\s+POSITION\s+UPDATED$/);
    expect(ids(all)).toEqual([spec1Again.session_id, spec2.session_id, spec1.session_id]);
    expect(lines(all.stdout)[3]).toMatch(new RegExp(`^${spec1.session_id}\\s+SPEC-001\\s+\\S+\\s+active\\s+\\S+\\s+40,000\\s+100,000\\s+40%\\s`));
    expect(ids(active)).toEqual([spec2.session_id, spec1.session_id]);
    expect(ids(spec1Runs)).toEqual([spec1Again.session_id, spec1.session_id]);
    expect(ids(archivedSpec1)).toEqual([spec1Again.session_id]);
    expect(lines(limited.stdout)).toHaveLength(3);
    expect(lines(limited.stdout)[1]).toMatch(new RegExp(`^${spec1Again.session_id}\\s`));
    expect(lines(limited.stdout)[2]).toBe('(the newest 1 shown; more with --limit, up to 200)');
  });

  it('prints the API JSON with --json, says when there are none, and refuses an unknown status', async () => {
    const { client, cli } = await newProject();
    const none = await cli('sessions');
    const session = await client.sessions.create({ task_id: 'SPEC-003' });

    const [json, unknown] = await Promise.all([cli('sessions', '--json', '--task-id', 'SPEC-003'), cli('sessions', '--status', 'paused')]);

    expect(none.code, none.stderr).toBe(0);
    expect(none.stdout.trim()).toBe('(no sessions)');
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ data: [await client.sessions.get(session.session_id)], next_cursor: null });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('error: 400');
    expect(unknown.stderr).toContain('status');
  });
});

describe('session-state budget', () => {
  it('prints total, used, available, position, level, recommendations and forecast; --json prints the API JSON', async () => {
    const { client, cli } = await newProject();
    const id = await sessionWithUsage(client, [50_000, 25_000], { token_budget: { total: 100_000 } });

    const [human, json] = await Promise.all([cli('budget', id), cli('budget', id, '--json')]);

    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/^Total\s+100,000$/m);
    expect(human.stdout).toMatch(/^Used\s+75,000$/m);
    expect(human.stdout).toMatch(/^Available\s+25,000$/m);
    expect(human.stdout).toMatch(/^Position\s+75%$/m);
    expect(human.stdout).toMatch(/^Level\s+defer_non_critical$/m);
    expect(human.stdout).toContain('Recommendations');
    expect(human.stdout).toMatch(/token_usage_percent\s+75\s+<60%\s+Defer non-critical context/);
    expect(human.stdout).toContain('Forecast (37,500 tokens per update)');
    expect(human.stdout).toMatch(/^\s*85%\s+1\s/m);

    expect(json.code, json.stderr).toBe(0);
    const { data: api } = await client.GET('/v1/sessions/{id}/budget', { params: { path: { id } } });
    // The age and the time-based parts move between the two reads; the rest is the same JSON.
    expect(JSON.parse(json.stdout)).toMatchObject({
      session_id: api.session_id,
      token_budget: api.token_budget,
      level: api.level,
      thresholds: api.thresholds,
      forecast: { tokens_per_update: 37_500, updates_until: api.forecast.updates_until },
    });
  });
});

describe('session-state checkpoints and restore', () => {
  it('lists checkpoints newest first and restores one, in tables and as JSON', async () => {
    const { client, cli } = await newProject();
    const id = await sessionWithUsage(client, [15_000]);
    const post = (phase: string) => client.POST('/v1/sessions/{id}/checkpoints', { params: { path: { id } }, body: { phase } });
    const { data: first } = await post('iteration_0');
    await client.PATCH('/v1/sessions/{id}', { params: { path: { id } }, body: { context: { plan: 'changed' } } });
    const { data: second } = await post('iteration_2');

    const [human, json] = await Promise.all([cli('checkpoints', id), cli('checkpoints', id, '--json')]);
    expect(human.code, human.stderr).toBe(0);
    const [header, ...rows] = lines(human.stdout);
    expect(header).toMatch(/^CHECKPOINT\s+PHASE\s+USED\s+POSITION\s+SIZE\s+CREATED$/);
    expect(rows.map((row) => row.split(/\s+/).slice(0, 4))).toEqual([
      [second.checkpoint_id, 'iteration_2', '15,000', '7.5%'],
      [first.checkpoint_id, 'iteration_0', '15,000', '7.5%'],
    ]);
    expect(JSON.parse(json.stdout)).toEqual({ data: [second, first], next_cursor: null });

    const restored = await cli('restore', first.checkpoint_id);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Restored ${first.checkpoint_id} into ${id}.`);
    expect(restored.stdout).toMatch(/^Status\s+active$/m);
    const { data: session } = await client.GET('/v1/sessions/{id}', { params: { path: { id } } });
    expect(session.context).toEqual(first.context_snapshot);

    const restoredJson = await cli('restore', second.checkpoint_id, '--json');
    expect(restoredJson.code, restoredJson.stderr).toBe(0);
    const { data: after } = await client.GET('/v1/sessions/{id}', { params: { path: { id } } });
    expect(JSON.parse(restoredJson.stdout)).toEqual(after);
    expect(after.context).toEqual({ plan: 'changed', temp_context: 't' });
  });
});

describe('session-state recover', () => {
  it('runs an emergency recovery and prints the new session; --json prints the API JSON', async () => {
    const { client, cli } = await newProject();
    const id = await sessionWithUsage(client, [180_000]);
    const other = await sessionWithUsage(client, [180_000]);

    const human = await cli('recover', id);
    expect(human.code, human.stderr).toBe(0);
    const { data: original } = await client.GET('/v1/sessions/{id}', { params: { path: { id } } });
    expect(original.status).toBe('archived');
    const newId = /into (sess_[0-9a-f]{32})/.exec(human.stdout)?.[1];
    expect(newId).toBeDefined();
    const { data: fresh } = await client.GET('/v1/sessions/{id}', { params: { path: { id: newId! } } });
    expect(fresh).toMatchObject({ recovered_from_session_id: id, task_id: 'SPEC-001', status: 'active' });
    expect(human.stdout).toMatch(/^Budget\s+0 of 200,000 used \(0%\), 200,000 available$/m);

    const json = await cli('recover', other, '--json');
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout);
    expect(result).toMatchObject({ original_session_id: other, checkpoint: { phase: 'emergency_recovery' } });
    const { data: recovered } = await client.GET('/v1/sessions/{id}', { params: { path: { id: result.new_session.session_id } } });
    expect(result.new_session).toEqual(recovered);
  });
});

describe('session-state usage', () => {
  it('prints the usage history newest first, honours --limit, and --json prints the API JSON', async () => {
    const { client, cli } = await newProject();
    const id = await sessionWithUsage(client, [10_000, 20_000, 130_000]);

    const [human, limited, json] = await Promise.all([cli('usage', id), cli('usage', id, '--limit', '2'), cli('usage', id, '--json')]);

    expect(human.code, human.stderr).toBe(0);
    const [header, ...rows] = lines(human.stdout);
    expect(header).toMatch(/^CREATED\s+TOKENS\s+USED\s+AVAILABLE\s+POSITION\s+CROSSED\s+CLASSES\s+COST\s+SOURCE$/);
    // Plain { tokens } updates: no classes, no cost.
    expect(rows.map((row) => row.split(/\s{2,}/).slice(1))).toEqual([
      ['130,000', '160,000', '40,000', '80%', '75%', '—', '—', 'step_2'],
      ['20,000', '30,000', '170,000', '15%', '—', '—', '—', 'step_1'],
      ['10,000', '10,000', '190,000', '5%', '—', '—', '—', 'step_0'],
    ]);
    expect(lines(limited.stdout)).toHaveLength(1 + 2 + 1);
    expect(limited.stdout).toContain('the newest 2 shown');
    const { data: api } = await client.GET('/v1/sessions/{id}/usage', { params: { path: { id } } });
    expect(JSON.parse(json.stdout)).toEqual(api);
  });
});

describe('session-state: token classes and cost', () => {
  it("usage shows each update's classes and cost; budget shows the cost against its limit", async () => {
    const { client, cli } = await newProject();
    const session = await client.sessions.create({ task_id: 'priced', cost_limit_usd: '0.1', token_budget: { total: 1_000_000 } });
    const id = session.session_id;
    await client.sessions.usage.create(id, {
      provider: 'anthropic',
      usage: { input_tokens: 50, cache_read_input_tokens: 100_000, cache_creation_input_tokens: 248, output_tokens: 503 },
      source: 'planner',
    });

    const [usage, budget] = await Promise.all([cli('usage', id), cli('budget', id)]);
    expect(usage.code, usage.stderr).toBe(0);
    const [, row] = lines(usage.stdout);
    // 50×3 + 100000×0.3 + 248×3.75 + 503×15 = 38625 µ$ (Sonnet 4.5, 5-minute cache writes).
    expect(row!.split(/\s{2,}/).slice(1)).toEqual([
      '100,801',
      '100,801',
      '899,199',
      '10.08%',
      '—',
      '50 in · 100,000 cache read · 248 cache write · 503 out',
      '$0.038625',
      'planner',
    ]);
    expect(budget.stdout).toMatch(/^Counts\s+all tokens$/m);
    expect(budget.stdout).toMatch(/^Cost\s+\$0\.038625 of \$0\.1 \(38\.63%\)$/m);
    expect(budget.stdout).toMatch(/^Cost thresholds\s+75%, 85%$/m);
  });
});

describe('session-state deliveries', () => {
  let receiver: WebhookReceiver;
  beforeEach(async () => {
    receiver = await createWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it("prints a webhook's deliveries and each attempt's status and response; --json prints the API JSON", async () => {
    const { client, cli, projectId } = await newProject();
    receiver.respondWith(() => ({ status: 500, body: 'endpoint exploded' }));
    const { data: hook } = await client.POST('/v1/webhooks', { body: { url: `${receiver.url}/hooks`, events: ['webhook.test'] } });
    const { data: test } = await client.POST('/v1/webhooks/{id}/test', { params: { path: { id: hook.webhook_id } }, body: {} });
    await t.container.webhookDispatcher.tick({ projectId });
    await receiver.waitFor(1);

    const [human, json] = await Promise.all([cli('deliveries', hook.webhook_id), cli('deliveries', hook.webhook_id, '--json')]);

    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(new RegExp(`^${test.delivery_id}\\s+webhook\\.test\\s+pending\\s+1\\s+500\\s`, 'm'));
    expect(human.stdout).toContain('Attempts');
    expect(human.stdout).toMatch(new RegExp(`^${test.delivery_id}\\s+1\\s+\\S+ \\S+\\s+500\\s+\\d+ ms\\s+endpoint exploded$`, 'm'));
    const { data: api } = await client.GET('/v1/webhooks/{id}/deliveries', { params: { path: { id: hook.webhook_id } } });
    expect(JSON.parse(json.stdout)).toEqual(api);
  });
});

describe('session-state watch', () => {
  it("prints a session's events, its forks' too, as they happen on the stream, and stops after --count events", async () => {
    const { client, env } = await newProject();
    const id = await sessionWithUsage(client, [], { token_budget: { total: 100_000 } });
    const watch = start(['watch', id, '--count', '3'], env);
    await until(() => t.container.eventHub.openStreams > 0, 'the stream to open');

    await client.POST('/v1/sessions/{id}/checkpoints', { params: { path: { id } }, body: { phase: 'plan' } });
    await client.POST('/v1/sessions/{id}/usage', { params: { path: { id } }, body: { tokens: 80_000 } });
    const { data: forked } = await client.POST('/v1/sessions/{id}/fork', { params: { path: { id } }, body: {} });
    const run = await watch.done;

    expect(run.code, run.stderr).toBe(0);
    const [header, ...rows] = lines(run.stdout);
    expect(header).toMatch(/^CREATED\s+EVENT\s+SESSION\s+WHAT/);
    expect(rows.map((row) => row.split(/\s{2,}/).slice(1, 3))).toEqual([
      ['checkpoint.created', id],
      ['session.threshold_crossed', id],
      ['session.created', forked.session_id],
    ]);
    expect(rows[1]).toContain('75% crossed: 80,000 of 100,000 used');
    expect(rows[2]).toContain(`fork of ${id}`);
  });

  it('follows live as JSON lines (the webhook bodies) until interrupted, then exits 0', async () => {
    const { client, env } = await newProject();
    const id = await sessionWithUsage(client, []);
    const before = t.container.eventHub.openStreams;
    const watch = start(['watch', id, '--json'], env);
    const events = () =>
      lines(watch.output.stdout)
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { type: string; data: { phase?: string } });
    await until(() => t.container.eventHub.openStreams > before, 'the stream to open');

    await client.POST('/v1/sessions/{id}/checkpoints', { params: { path: { id } }, body: { phase: 'live' } });
    await until(() => events().length === 1, 'the event');
    watch.child.kill('SIGINT');
    const run = await watch.done;

    expect(run.code, run.stderr).toBe(0);
    expect(events().map(({ type, data }) => [type, data.phase])).toEqual([['checkpoint.created', 'live']]);
  });
});

describe('exit codes and errors', () => {
  it('exits 1 with the problem on stderr for an unknown session (404)', async () => {
    const { cli } = await newProject();
    const missing = 'sess_00000000000000000000000000000000';

    const [human, json, watch] = await Promise.all([cli('budget', missing), cli('usage', missing, '--json'), cli('watch', missing, '--once')]);

    expect(human.code).toBe(1);
    expect(human.stdout).toBe('');
    expect(human.stderr).toContain(`error: 404 Resource not found: session ${missing} does not exist in this project (NOT_FOUND)`);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stderr)).toMatchObject({ status: 404, code: 'NOT_FOUND', title: 'Resource not found' });
    expect(watch.code).toBe(1);
    expect(watch.stdout).toBe('');
    expect(watch.stderr).toContain('error: 404 Resource not found');
  });

  it('exits 3 when the URL or the key is not configured, and flags override the environment', async () => {
    const { apiKey, client } = await newProject();
    const id = await sessionWithUsage(client, [1_000]);
    const port = await closedPort();

    const [noUrl, noKey, overridden] = await Promise.all([
      start(['usage', id], { SESSION_STATE_API_KEY: apiKey }).done,
      start(['usage', id], { SESSION_STATE_URL: t.baseUrl }).done,
      start(['usage', id, '--url', t.baseUrl, '--api-key', apiKey], {
        SESSION_STATE_URL: `http://127.0.0.1:${port}`,
        SESSION_STATE_API_KEY: 'sss_wrong',
      }).done,
    ]);

    expect(noUrl.code).toBe(3);
    expect(noUrl.stderr).toContain('SESSION_STATE_URL');
    expect(noKey.code).toBe(3);
    expect(noKey.stderr).toContain('SESSION_STATE_API_KEY');
    expect(overridden.code, overridden.stderr).toBe(0);
    expect(overridden.stdout).toContain('1,000');
  });

  it('exits 3 when nothing listens at the URL', async () => {
    const { apiKey } = await newProject();
    const url = `http://127.0.0.1:${await closedPort()}`;

    const run = await start(['budget', 'sess_00000000000000000000000000000000'], { SESSION_STATE_URL: url, SESSION_STATE_API_KEY: apiKey }).done;

    expect(run.code).toBe(3);
    expect(run.stderr).toContain(`cannot reach ${url}`);
    expect(run.stderr).toContain('ECONNREFUSED');
  });

  it.each([
    [[], 'Usage: session-state'],
    [['explode', 'x'], 'unknown command "explode"'],
    [['budget'], 'missing argument: session-state budget <session_id>'],
    [['budget', 'a', 'b'], 'unexpected argument "b"'],
    [['usage', 'x', '--limit', '0'], '--limit must be an integer from 1 to 200'],
    [['usage', 'x', '--jsn'], "Unknown option '--jsn'"],
    [['budget', 'x', '--once'], '--once only applies to watch'],
    [['watch', 'x', '--interval', 'soon'], '--interval must be a number of seconds'],
    [['sessions', 'sess_x'], 'unexpected argument "sess_x"'],
    [['usage', 'x', '--status', 'active'], '--status only applies to sessions'],
    [['budget', 'x', '--task-id', 'SPEC-001'], '--task-id only applies to sessions'],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const { env } = await newProject();
    const run = await start(args, env).done;

    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(message);
  });

  it('prints --help with every command and the exit codes, and exits 0', async () => {
    const run = await start(['--help'], {}).done;

    expect(run.code).toBe(0);
    for (const command of [
      'sessions [--status S] [--task-id T] [--limit N]',
      'budget <session_id>',
      'checkpoints <session_id>',
      'restore <checkpoint_id>',
      'recover <session_id>',
      'usage <session_id>',
      'deliveries <webhook_id>',
      'watch <session_id>',
    ]) {
      expect(run.stdout).toContain(command);
    }
    expect(run.stdout).toMatch(/Exit codes:\n\s+0\s+success\n\s+1\s.*\n\s+2\s+usage error.*\n\s+3\s/);
  });

  it('prints the version of its package with --version, and exits 0', async () => {
    const run = await start(['--version'], {}).done;

    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe(`${JSON.parse(await readFile(path.join(REPO_ROOT, 'packages', 'client', 'package.json'), 'utf8')).version}\n`);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('examples/reference-workflow.ts', () => {
  it('runs the reference workflow through the client: 75,000 tokens, 3 checkpoints, a handoff, a resume, no recovery', async () => {
    const { client } = await newProject();
    const log: string[] = [];

    const result = await runReferenceWorkflow({ client, log: (line) => log.push(line) });

    expect(result).toEqual({
      original_session: expect.stringMatching(/^sess_/),
      total_tokens_used: 75_000,
      recovered_session: null,
      status: 'completed',
    });
    const { data: session } = await client.GET('/v1/sessions/{id}', { params: { path: { id: result.original_session } } });
    expect(session).toMatchObject({ status: 'resumed', checkpoints_count: 3, token_budget: { used: 75_000, position_percent: 37.5 } });
    const { data: checkpoints } = await client.GET('/v1/sessions/{id}/checkpoints', { params: { path: { id: result.original_session } } });
    expect(checkpoints.data.map((c) => [c.phase, c.token_usage.used])).toEqual([
      ['iteration_4', 75_000],
      ['iteration_2', 45_000],
      ['iteration_0', 15_000],
    ]);
    const { data: handoffs } = await client.GET('/v1/handoffs', { params: { query: { session_id: result.original_session } } });
    expect(handoffs.data).toMatchObject([{ from_agent: 'spec-builder', to_agent: 'tdd-implementer', task_context: { phase: 'implementation' } }]);
    expect(log[0]).toBe(`Created session: ${result.original_session} (budget 200,000 tokens)`);
    expect(log).toContain('Session resumed: resumed');
  });

  it('runs with one command against SESSION_STATE_URL and prints the result', async () => {
    const { env } = await newProject();
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/reference-workflow.ts'], { cwd: REPO_ROOT, env: childEnv(env) });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(code).toBe(0);
    expect(stdout).toContain('Handoff package: hoff_');
    expect(JSON.parse(stdout.slice(stdout.indexOf('{')))).toMatchObject({ total_tokens_used: 75_000, status: 'completed' });
  });
});
