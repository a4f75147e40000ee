// The workspace packages as another project gets them: `npm pack` each one (its prepack builds it),
// install the tarball into an empty folder, and run scripts there against the real service
// listening on a loopback port. The client must come without the server's dependencies and run
// from ESM, CommonJS, TypeScript and its bin; the LangGraph package with its peers only.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@session-state/client';
import { useTestApp } from '../helpers/app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const INSTALL_TIMEOUT_MS = 300_000;
/** What the service needs and a client must never drag along. */
const SERVER_PACKAGES = ['fastify', '@prisma/client', 'prisma', '@electric-sql/pglite', 'pg', 'pino', 'prom-client', 'zod', 'typescript'];

const t = useTestApp({ listen: true });

interface Output {
  stdout: string;
  stderr: string;
}

async function run(command: string, args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<Output> {
  const env = { ...process.env, ...options.env };
  // The consumer sees only what it is given, never the developer's own settings.
  for (const name of Object.keys(env)) if (name.startsWith('SESSION_STATE_') && !options.env?.[name]) delete env[name];
  try {
    return await promisify(execFile)(command, args, { cwd: options.cwd, env, timeout: INSTALL_TIMEOUT_MS, maxBuffer: 32 * 1024 * 1024 });
  } catch (error) {
    const failed = error as Error & Partial<Output>;
    throw new Error(`${command} ${args.join(' ')} failed: ${failed.message}\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`, { cause: error });
  }
}

const versionOf = async (name: string): Promise<string> =>
  (JSON.parse(await readFile(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

/** The packages under a node_modules folder, scoped ones as `@scope/name`, nested ones included. */
async function installedPackages(nodeModules: string): Promise<string[]> {
  const found: string[] = [];
  const entries = await readdir(nodeModules).catch(() => [] as string[]);
  for (const entry of entries.filter((e) => !e.startsWith('.'))) {
    const names = entry.startsWith('@') ? (await readdir(path.join(nodeModules, entry))).map((n) => `${entry}/${n}`) : [entry];
    for (const name of names) {
      found.push(name);
      found.push(...(await installedPackages(path.join(nodeModules, name, 'node_modules'))));
    }
  }
  return found;
}

async function sizeOf(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    total += entry.isDirectory() ? await sizeOf(full) : (await stat(full)).size;
  }
  return total;
}

/** An empty project with the given files, and `npm install` of `specs` in it. */
async function consumer(name: string, specs: string[], files: Record<string, string>): Promise<{ dir: string; install: Output }> {
  const dir = path.join(work, name);
  await mkdir(dir);
  await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }, null, 2));
  for (const [file, content] of Object.entries(files)) await writeFile(path.join(dir, file), content);
  // The npm cache first (npm ci filled it), the registry for what it lacks.
  const install = await run(NPM, ['install', ...specs, '--prefer-offline', '--no-audit', '--no-fund'], { cwd: dir });
  return { dir, install };
}

let work: string;
const tarballs: Record<'client' | 'langgraph', string> = { client: '', langgraph: '' };

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'sss-packages-'));
  const packed = path.join(work, 'packed');
  await mkdir(packed);
  // Each package's prepack builds it (tsc -b): the tarballs hold what a build makes, nothing else.
  await run(NPM, ['pack', '-w', '@session-state/client', '-w', '@session-state/langgraph', '--pack-destination', packed, '--loglevel=error'], {
    cwd: ROOT,
  });
  const files = await readdir(packed);
  tarballs.client = path.join(
    packed,
    files.find((f) => f.startsWith('session-state-client-'))!,
  );
  tarballs.langgraph = path.join(
    packed,
    files.find((f) => f.startsWith('session-state-langgraph-'))!,
  );
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

const CLIENT_ESM = `
import { createClient, ProblemError } from '@session-state/client';
const client = createClient(); // SESSION_STATE_URL, SESSION_STATE_API_KEY
const session = await client.sessions.create({ task_id: 'PACKAGED-1', token_budget: { total: 10000 } });
const usage = await client.sessions.usage.create(session.session_id, { input_tokens: 6000, output_tokens: 2000 });
const listed = [];
for await (const s of client.sessions.list({ task_id: 'PACKAGED-1', limit: 1 })) listed.push(s.session_id);
const missing = await client.sessions.get('sess_00000000000000000000000000000000').catch((e) => e);
const refused = await client.events.stream({ sessionId: 'sess_00000000000000000000000000000000' }).next().catch((e) => e);
console.log(JSON.stringify({
  id: session.session_id,
  crossed: usage.crossed,
  listed,
  problem: missing instanceof ProblemError && missing.code,
  streamRefused: refused instanceof ProblemError && refused.status,
}));
`;

const CLIENT_CJS = `
const { createClient, verifyWebhook } = require('@session-state/client');
createClient().models.list().then((models) => console.log(JSON.stringify({ models: models.length, verifyWebhook: typeof verifyWebhook })));
`;

const CLIENT_TS = `
import { createClient, type Session } from '@session-state/client';
export async function run(): Promise<Session> {
  const client = createClient({ baseUrl: 'http://localhost:3000', apiKey: 'sss_x' });
  const session = await client.sessions.create({ task_id: 'T' });
  // @ts-expect-error a misspelt body field fails to compile in a consumer too
  await client.sessions.usage.create(session.session_id, { tokenz: 1 });
  const page = await client.sessions.list({ status: 'active' }).firstPage();
  return page.data[0] ?? session;
}
`;

const CONSUMER_TSCONFIG = JSON.stringify({
  compilerOptions: {
    target: 'es2023',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    lib: ['es2023', 'dom'],
    types: [],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
  },
  files: ['consumer.ts'],
});

describe('@session-state/client, packed and installed into an empty project', () => {
  let dir: string;
  let install: Output;
  beforeAll(async () => {
    ({ dir, install } = await consumer('client-consumer', [tarballs.client], {
      'consumer.mjs': CLIENT_ESM,
      'consumer.cjs': CLIENT_CJS,
      'consumer.ts': CLIENT_TS,
      'tsconfig.json': CONSUMER_TSCONFIG,
    }));
  }, INSTALL_TIMEOUT_MS);

  it('installs with its three small dependencies, no install scripts, and none of the server', async () => {
    const packed = JSON.parse(await readFile(path.join(dir, 'node_modules/@session-state/client/package.json'), 'utf8'));
    expect(Object.keys(packed.dependencies).sort()).toEqual(['eventsource-parser', 'openapi-fetch', 'standardwebhooks']);
    for (const script of ['preinstall', 'install', 'postinstall', 'prepare']) expect(packed.scripts ?? {}, script).not.toHaveProperty(script);
    const installed = await installedPackages(path.join(dir, 'node_modules'));
    expect(installed).toContain('openapi-fetch');
    for (const name of SERVER_PACKAGES) expect(installed, name).not.toContain(name);
    expect(await sizeOf(path.join(dir, 'node_modules'))).toBeLessThan(3 * 1024 * 1024);
    expect(install.stderr).not.toMatch(/EBADENGINE|ERESOLVE/);
  });

  it('runs from ESM with SESSION_STATE_URL and SESSION_STATE_API_KEY against the service, the event stream included', async () => {
    const project = await t.newProject();
    const env = { SESSION_STATE_URL: t.baseUrl, SESSION_STATE_API_KEY: project.apiKey };

    const { stdout } = await run(process.execPath, ['consumer.mjs'], { cwd: dir, env });

    const printed = JSON.parse(stdout);
    expect(printed).toMatchObject({ crossed: [75], listed: [printed.id], problem: 'NOT_FOUND', streamRefused: 404 });
    const service = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0 });
    expect((await service.sessions.get(printed.id)).token_budget.used).toBe(8_000);
  });

  it('loads with require() from CommonJS', async () => {
    const project = await t.newProject();
    const { stdout } = await run(process.execPath, ['consumer.cjs'], {
      cwd: dir,
      env: { SESSION_STATE_URL: t.baseUrl, SESSION_STATE_API_KEY: project.apiKey },
    });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toMatchObject({ verifyWebhook: 'function' });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!).models).toBeGreaterThan(0);
  });

  it('type-checks a TypeScript consumer against its declarations, a misspelt body field included', async () => {
    await run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { cwd: dir });
  });

  it('provides the session-state bin: --version, and sessions listing the project', async () => {
    const project = await t.newProject();
    const service = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0 });
    const session = await service.sessions.create({ task_id: 'FROM-BIN' });
    const bin = path.join(dir, 'node_modules/.bin/session-state');
    const env = { SESSION_STATE_URL: t.baseUrl, SESSION_STATE_API_KEY: project.apiKey };

    const version = await run(bin, ['--version'], { cwd: dir });
    const listed = await run(bin, ['sessions', '--json', '--task-id', 'FROM-BIN'], { cwd: dir, env });

    expect(version.stdout.trim()).toBe(JSON.parse(await readFile(path.join(ROOT, 'packages/client/package.json'), 'utf8')).version);
    expect(JSON.parse(listed.stdout).data.map((s: { session_id: string }) => s.session_id)).toEqual([session.session_id]);
  });
});

const LANGGRAPH_ESM = `
import { AIMessage, HumanMessage } from '@langchain/core/messages';
import { FakeListChatModel } from '@langchain/core/utils/testing';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { createClient } from '@session-state/client';
import { SessionStateSaver, SessionStateUsageHandler } from '@session-state/langgraph';

class MeteredModel extends FakeListChatModel {
  _formatGeneration(text) {
    return { text, message: new AIMessage({ content: text, usage_metadata: { input_tokens: 700, output_tokens: 300, total_tokens: 1000 } }) };
  }
}
const model = new MeteredModel({ responses: ['first', 'second'] });
const checkpointer = new SessionStateSaver({ client: createClient() });
const graph = new StateGraph(MessagesAnnotation)
  .addNode('agent', async (state) => ({ messages: [await model.invoke(state.messages)] }))
  .addEdge(START, 'agent')
  .addEdge('agent', END)
  .compile({ checkpointer });
const config = { configurable: { thread_id: 'packaged-thread' }, callbacks: [new SessionStateUsageHandler({ saver: checkpointer })] };
await graph.invoke({ messages: [new HumanMessage('one')] }, config);
const state = await graph.invoke({ messages: [new HumanMessage('two')] }, config);
console.log(JSON.stringify(state.messages.map((m) => m.content)));
`;

describe('@session-state/langgraph, packed and installed with its peers into an empty project', () => {
  let dir: string;
  let install: Output;
  beforeAll(async () => {
    // The peers at the versions this repository tests with, so the npm cache has them.
    const peers = await Promise.all(
      ['@langchain/core', '@langchain/langgraph-checkpoint', '@langchain/langgraph'].map(async (n) => `${n}@${await versionOf(n)}`),
    );
    ({ dir, install } = await consumer('langgraph-consumer', [tarballs.client, tarballs.langgraph, ...peers], { 'graph.mjs': LANGGRAPH_ESM }));
  }, INSTALL_TIMEOUT_MS);

  it('has peer dependencies only, and installs beside them without a conflict', async () => {
    const packed = JSON.parse(await readFile(path.join(dir, 'node_modules/@session-state/langgraph/package.json'), 'utf8'));
    expect(packed.dependencies ?? {}).toEqual({});
    expect(Object.keys(packed.peerDependencies).sort()).toEqual([
      '@langchain/core',
      '@langchain/langgraph-checkpoint',
      '@session-state/client',
      'zod',
    ]);
    const installed = await installedPackages(path.join(dir, 'node_modules'));
    expect(installed.filter((name) => name === '@session-state/client')).toHaveLength(1);
    for (const name of SERVER_PACKAGES.filter((n) => n !== 'zod')) expect(installed, name).not.toContain(name);
    expect(install.stderr).not.toMatch(/EBADENGINE|ERESOLVE/);
  });

  it("runs a StateGraph checkpointed by the service, with each model call's usage on the thread's session", async () => {
    const project = await t.newProject();

    const { stdout } = await run(process.execPath, ['graph.mjs'], {
      cwd: dir,
      env: { SESSION_STATE_URL: t.baseUrl, SESSION_STATE_API_KEY: project.apiKey },
    });

    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual(['one', 'first', 'two', 'second']);
    const service = createClient({ baseUrl: t.baseUrl, apiKey: project.apiKey, retries: 0 });
    const [thread] = await service.sessions.list({ task_id: 'langgraph:packaged-thread' }).toArray();
    expect(thread?.token_budget.used).toBe(2_000);
    expect(thread?.checkpoints_count).toBeGreaterThan(0);
  });
});
