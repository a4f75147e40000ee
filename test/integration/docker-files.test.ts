// docker/Dockerfile, docker/compose.yaml, .dockerignore and docker/README.md name commands, files,
// variables, ports and routes; no Docker engine runs here, so check each name against what the
// build produces, what the service reads and what the app serves.
// (`npm run check:prod` proves that the runtime stage's contents start and serve.)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ENV_VARS, parseConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

const packageScripts: Record<string, string> = JSON.parse(read('package.json')).scripts;
const DEFAULT_PORT = parseConfig({}).port;
const SERVICE_VARIABLES = new Set<string>(Object.values(ENV_VARS));
// Variables of the official postgres image (https://hub.docker.com/_/postgres).
const POSTGRES_IMAGE_VARIABLES = new Set([
  'POSTGRES_PASSWORD',
  'POSTGRES_USER',
  'POSTGRES_DB',
  'POSTGRES_INITDB_ARGS',
  'POSTGRES_INITDB_WALDIR',
  'POSTGRES_HOST_AUTH_METHOD',
  'PGDATA',
]);

// ---- Dockerfile ----

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  name: string | undefined;
  instructions: Instruction[];
}

/** The Dockerfile as stages of instructions: comments dropped, `\` continuations joined. */
function parseDockerfile(text: string): Stage[] {
  const logical: string[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && pending === '')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(pending + line);
    pending = '';
  }
  const stages: Stage[] = [];
  for (const line of logical) {
    if (line === '') continue;
    const [, keyword = '', args = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args };
    if (instruction.keyword === 'FROM') stages.push({ name: /\bAS\s+(\S+)/i.exec(args)?.[1], instructions: [] });
    else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

const stages = parseDockerfile(read('docker/Dockerfile'));
const build = stages.find((stage) => stage.name === 'build')!;
const runtime = stages.at(-1)!;
const all = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const last = (stage: Stage, keyword: string) => all(stage, keyword).at(-1);
/** ENV lines as a map (`A=1 B=2` form). */
const envOf = (stage: Stage) => Object.fromEntries(all(stage, 'ENV').flatMap((args) => [...args.matchAll(/(\w+)=(\S+)/g)].map((m) => [m[1], m[2]])));
/** `["node", "x.js"]` → its words; a shell-form command → split on spaces. */
const execForm = (args: string): string[] => (args.trim().startsWith('[') ? JSON.parse(args) : args.trim().split(/\s+/));
/** A .dockerignore pattern with `*` (no `**`) as a RegExp over a relative path. */
const globToRegExp = (pattern: string) => new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\?]/g, '\\$&').replaceAll('*', '[^/]*')}(/.*)?$`);

/**
 * Whether an engines range of `^X.Y`, `>=X` and `X.x` parts joined by `||` admits every release
 * of Node `major` from some minor on (a Docker tag `node:<major>` follows that line's latest).
 */
function supportsMajor(range: string, major: number): boolean {
  return range.split('||').some((part) => {
    const [, op = '', partMajor] = /^\s*(\^|>=|~)?(\d+)/.exec(part) ?? [];
    if (partMajor === undefined) throw new Error(`cannot read the engines range part ${JSON.stringify(part)}`);
    return op === '>=' ? major >= Number(partMajor) : major === Number(partMajor);
  });
}

// ---- what `npm run build` produces ----

function buildOutputOf(source: string): string {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    path.join(ROOT, 'tsconfig.build.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  )!;
  const file = path.join(ROOT, source);
  expect(
    parsed.fileNames.map((f) => path.resolve(f)),
    `${source} is compiled by tsconfig.build.json`,
  ).toContain(file);
  const js = ts.getOutputFileNames(parsed, file, false).find((out) => out.endsWith('.js'))!;
  return path.relative(ROOT, js).split(path.sep).join('/');
}

/** Which process entry a built file is: `dist/src/server.js` → 'server'. */
function entryOf(builtFile: string): 'server' | 'worker' | undefined {
  if (builtFile === buildOutputOf('src/server.ts')) return 'server';
  if (builtFile === buildOutputOf('src/worker.ts')) return 'worker';
  return undefined;
}

// ---- compose.yaml ----

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean>;
  ports?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  pull_policy?: string;
  volumes?: string[];
  stop_grace_period?: string;
}
const compose = parseYaml(read('docker/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
const { api, worker, postgres } = compose.services as Record<'api' | 'worker' | 'postgres', ComposeService>;

const REQUIRED_PLACEHOLDERS: Record<string, string> = {
  POSTGRES_PASSWORD: 'placeholder-password',
  BOOTSTRAP_API_KEY: 'sss_placeholder_key_0123456789',
  ADMIN_TOKEN: 'placeholder-admin-token',
};

/** Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME:?message}`, with no variable set but the required ones. */
function interpolate(value: string): string {
  return value.replace(/\$\{(\w+)(?::?([-?])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => {
    if (kind === '?') {
      expect(REQUIRED_PLACEHOLDERS, `a placeholder for the required ${name}`).toHaveProperty(name);
      return REQUIRED_PLACEHOLDERS[name]!;
    }
    return kind === '-' ? (rest ?? '') : '';
  });
}
const resolvedEnvironment = (service: ComposeService) =>
  Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value))]));

// ---- a real app, for the routes the files name ----

let testApp: TestApp;
let port: number;
beforeAll(async () => {
  testApp = await createTestApp();
  await testApp.app.listen({ port: 0, host: '127.0.0.1' });
  port = (testApp.app.server.address() as AddressInfo).port;
});
afterAll(async () => {
  await testApp?.close();
});

/** A port that nothing listens on: one the system just handed out and that is closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return free;
}

/** Runs an argv (a Docker exec form) with an environment; resolves with its exit code. */
function runCommand(argv: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const [command, ...args] = argv;
    const child = spawn(command === 'node' ? process.execPath : command!, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: 'ignore' });
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('docker/Dockerfile', () => {
  it('builds with `npm ci` and the package.json build script', () => {
    const runs = all(build, 'RUN');
    expect(runs.some((r) => /^npm ci\b/.test(r))).toBe(true);
    const scripts = runs.flatMap((r) => [...r.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]));
    expect(scripts).toContain('build');
    for (const script of scripts) expect(packageScripts, `npm run ${script}`).toHaveProperty(script!);
  });

  it('copies from the build context only files that exist and .dockerignore lets through', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    const sources = stages
      .flatMap((stage) => all(stage, 'COPY'))
      .filter((args) => !args.includes('--from='))
      .flatMap((args) => args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['package.json', 'package-lock.json', 'src', 'prisma']));
    for (const source of sources) {
      expect(existsSync(path.join(ROOT, source)), `${source} exists`).toBe(true);
      const excluded = ignored.some((pattern) => source === pattern || source.startsWith(`${pattern}/`) || globToRegExp(pattern).test(source));
      expect(excluded, `${source} is excluded by .dockerignore`).toBe(false);
    }
  });

  it('installs production dependencies only in the runtime stage, without install scripts', () => {
    const install = all(runtime, 'RUN').find((r) => /^npm ci\b/.test(r));
    expect(install).toMatch(/--omit=dev\b/);
    expect(install).toMatch(/--ignore-scripts\b/);
    expect(all(runtime, 'RUN').join('\n')).not.toMatch(/npm run build|npm install\b/);
  });

  it('gives the runtime stage the build output and the migrations the service applies at start', () => {
    const fromBuild = all(runtime, 'COPY')
      .filter((args) => args.includes(`--from=${build.name}`))
      .map((args) => args.replace(/--from=\S+\s+/, '').split(/\s+/));
    const workdir = last(runtime, 'WORKDIR')!;
    expect(fromBuild).toContainEqual([`${last(build, 'WORKDIR')}/dist`, './dist']);
    // src/lib/migrate.ts finds prisma/migrations by walking up from dist/src/lib.
    expect(fromBuild).toContainEqual([`${last(build, 'WORKDIR')}/prisma/migrations`, './prisma/migrations']);
    expect(all(build, 'COPY')).toContain('prisma ./prisma');
    expect(workdir).toBe('/app');
  });

  it('runs the built server as package.json start:prod does', () => {
    const command = execForm(last(runtime, 'CMD')!);
    expect(command[0]).toBe('node');
    expect(entryOf(command[1]!)).toBe('server');
    expect(command.join(' ')).toBe(packageScripts['start:prod']);
    expect(last(runtime, 'ENTRYPOINT')).toBeUndefined();
  });

  it('does not run as root', () => {
    const user = last(runtime, 'USER');
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^(root|0)(:|$)/);
  });

  it('exposes the port the service listens on by default, and gives DATA_DIR to the node user', () => {
    const env = envOf(runtime);
    expect(Number(env.PORT ?? DEFAULT_PORT)).toBe(DEFAULT_PORT);
    expect(all(runtime, 'EXPOSE')).toEqual([String(DEFAULT_PORT)]);
    for (const name of Object.keys(env).filter((n) => n !== 'NODE_ENV')) expect(SERVICE_VARIABLES, name).toContain(name);
    expect(parseConfig(env).dataDir).toBe(env.DATA_DIR);
    expect(all(runtime, 'RUN').join('\n')).toContain(`chown node:node ${env.DATA_DIR}`);
  });

  it('declares no VOLUME: with DATABASE_URL nothing is stored in DATA_DIR; the README mounts one for the embedded database', () => {
    expect(stages.flatMap((stage) => all(stage, 'VOLUME'))).toEqual([]);
    const dataDir = envOf(runtime).DATA_DIR!;
    const run = /^docker run .*$/m.exec(read('docker/README.md'))?.[0] ?? '';
    expect(run).toMatch(new RegExp(`-v [\\w-]+:${dataDir}\\b`));
    expect(run).not.toContain('DATABASE_URL');
  });

  it('runs a Node the service supports (package.json engines)', () => {
    const engines: string = JSON.parse(read('package.json')).engines.node;
    const majors = [...read('docker/Dockerfile').matchAll(/^FROM node:(\d+)/gm)].map((m) => Number(m[1]));
    expect(majors.length).toBe(stages.length);
    for (const major of majors) expect(supportsMajor(engines, major), `node:${major} in ${engines}`).toBe(true);
  });

  it('has a HEALTHCHECK command that passes against the running app and fails when nothing listens', async () => {
    const healthcheck = last(runtime, 'HEALTHCHECK')!;
    const argv = execForm(healthcheck.replace(/^.*?\bCMD\s+/, ''));
    expect(argv[0]).toBe('node');
    const route = /'(\/[\w/-]*)'/.exec(argv.join(' '))?.[1];
    expect(['/readyz', '/healthz']).toContain(route);
    expect((await testApp.http.get(route!)).status).toBe(200);

    expect(await runCommand(argv, { PORT: String(port) })).toBe(0);
    expect(await runCommand(argv, { PORT: String(await closedPort()) })).toBe(1);
  });

  it('uses the runtime npm ci flags and copies that npm run check:prod reproduces', () => {
    const script = read('scripts/check-prod-install.mjs');
    expect(packageScripts['check:prod']).toBe('node scripts/check-prod-install.mjs');
    const flags = JSON.parse(/const RUNTIME_NPM_CI_FLAGS = (\[[^\]]*\])/.exec(script)![1]!.replaceAll("'", '"'));
    const install = all(runtime, 'RUN').find((r) => /^npm ci\b/.test(r))!;
    expect(install.split('&&')[0]!.trim().split(/\s+/).slice(2)).toEqual(flags);
    const copies = JSON.parse(/const RUNTIME_COPIES = (\[[^\]]*\])/.exec(script)![1]!.replaceAll("'", '"'));
    const runtimeTargets = all(runtime, 'COPY').flatMap((args) => {
      const words = args.replace(/--from=\S+\s+/, '').split(/\s+/);
      return words.at(-1) === './' ? words.slice(0, -1) : [words.at(-1)!.replace(/^\.\//, '')];
    });
    expect(runtimeTargets.sort()).toEqual([...copies].sort());
  });
});

describe('docker/compose.yaml', () => {
  it('passes the service only variables it reads, and the postgres image only its own', () => {
    for (const service of [api, worker]) {
      for (const name of Object.keys(service.environment ?? {})) expect(SERVICE_VARIABLES, name).toContain(name);
    }
    for (const name of Object.keys(postgres.environment ?? {})) expect(POSTGRES_IMAGE_VARIABLES, name).toContain(name);
  });

  it('runs the API on PostgreSQL with its webhook dispatcher off', () => {
    const config = parseConfig(resolvedEnvironment(api));
    expect(config.webhookDispatcher).toBe('off');
    expect(config.databaseUrl).toBeDefined();
    expect(config.bootstrapApiKey).toBeDefined();
    expect(config.adminToken).toBeDefined();
    expect(([] as string[]).concat(api.command ?? []).join(' ')).toBe(packageScripts['start:prod']);
  });

  it('runs the worker from the same image on the same PostgreSQL, with no HTTP healthcheck', () => {
    const command = ([] as string[]).concat(worker.command ?? []);
    expect(command[0]).toBe('node');
    expect(entryOf(command[1]!)).toBe('worker');
    expect(command.join(' ')).toBe(packageScripts['worker:prod']);
    expect(worker.image).toBe(api.image);
    // The api service builds the image; the worker runs it and never pulls it.
    expect(worker.build).toBeUndefined();
    expect(worker.pull_policy).toBe('never');

    const config = parseConfig(resolvedEnvironment(worker));
    expect(config.databaseUrl).toBe(parseConfig(resolvedEnvironment(api)).databaseUrl);
    expect(config.webhookDispatcher).toBe('on');
    expect(worker.ports).toBeUndefined();
    expect(worker.healthcheck?.disable).toBe(true);
  });

  it('points DATABASE_URL at the postgres service with its user, password and database', () => {
    const db = resolvedEnvironment(postgres);
    const url = new URL(parseConfig(resolvedEnvironment(api)).databaseUrl!);
    expect(url.hostname).toBe('postgres');
    expect(decodeURIComponent(url.username)).toBe(db.POSTGRES_USER);
    expect(decodeURIComponent(url.password)).toBe(db.POSTGRES_PASSWORD);
    expect(url.pathname).toBe(`/${db.POSTGRES_DB}`);
  });

  it('publishes the container port the API listens on', () => {
    const { port: listening } = parseConfig(resolvedEnvironment(api));
    expect(listening).toBe(DEFAULT_PORT);
    expect(api.ports).toHaveLength(1);
    expect(interpolate(api.ports![0]!).split(':').at(-1)).toBe(String(listening));
  });

  it('starts the API and the worker once PostgreSQL is healthy', () => {
    expect(postgres.healthcheck?.test?.join(' ')).toContain('pg_isready');
    for (const service of [api, worker]) expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('builds each image in one service only (two builds of one tag fail under the bake builder)', () => {
    const services = Object.entries(compose.services);
    for (const image of new Set(services.map(([, service]) => service.image).filter(Boolean))) {
      const sharing = services.filter(([, service]) => service.image === image);
      const building = sharing.filter(([, service]) => service.build !== undefined).map(([name]) => name);
      if (image === postgres.image) continue;
      expect(building, `services building ${image}`).toEqual(['api']);
      for (const [name, service] of sharing) if (service.build === undefined) expect(service.pull_policy, name).toBe('never');
    }
  });

  it('mounts no data directory into a service that runs on DATABASE_URL', () => {
    const dataDir = envOf(runtime).DATA_DIR!;
    for (const [name, service] of Object.entries(compose.services)) {
      if (resolvedEnvironment(service).DATABASE_URL === undefined) continue;
      const targets = (service.volumes ?? []).map((volume) => volume.split(':')[1]);
      expect(targets, name).not.toContain(dataDir);
    }
  });

  it("gives each process longer to stop than its shutdown takes, and says the code's grace periods", () => {
    const constantsOf = (file: string) =>
      Object.fromEntries([...read(file).matchAll(/^const (\w+_MS) = ([\d_]+);/gm)].map((m) => [m[1]!, Number(m[2]!.replaceAll('_', '')) / 1000]));
    const server = constantsOf('src/server.ts');
    const workerCode = constantsOf('src/worker.ts');
    /** The comment lines right above a service's stop_grace_period. */
    const stopComment = (service: string) => {
      const block = new RegExp(`^  ${service}:\\n([\\s\\S]*?)(?=^  \\w|^\\w)`, 'm').exec(read('docker/compose.yaml'))![1]!;
      const lines = block.split('\n');
      const at = lines.findIndex((line) => line.trim().startsWith('stop_grace_period:'));
      const comment: string[] = [];
      for (let i = at - 1; i >= 0 && lines[i]!.trim().startsWith('#'); i--) comment.unshift(lines[i]!.trim().replace(/^#\s*/, ''));
      return comment.join(' ');
    };
    const seconds = (value: string | undefined) => Number(/^(\d+)s$/.exec(value ?? '')?.[1]);

    expect(workerCode.DISPATCHER_STOP_GRACE_MS).toBe(5);
    expect(stopComment('worker')).toContain(`up to ${workerCode.DISPATCHER_STOP_GRACE_MS} s`);
    expect(stopComment('worker')).toContain(`within ${workerCode.SHUTDOWN_GRACE_MS} s`);
    expect(seconds(worker.stop_grace_period)).toBeGreaterThan(workerCode.SHUTDOWN_GRACE_MS!);

    expect(stopComment('api')).toContain(`up to ${server.FORCE_CLOSE_AFTER_MS} s`);
    expect(stopComment('api')).toContain(`within ${server.SHUTDOWN_GRACE_MS} s`);
    expect(seconds(api.stop_grace_period)).toBeGreaterThan(server.SHUTDOWN_GRACE_MS!);
  });

  it('builds the image from the repository root with docker/Dockerfile', () => {
    expect(api.build).toEqual({ context: '..', dockerfile: 'docker/Dockerfile' });
  });

  it('documents in docker/README.md every variable it reads from the shell', () => {
    const readme = read('docker/README.md');
    // From the parsed document: its comments show the syntax with a made-up name.
    const names = new Set([...JSON.stringify(compose).matchAll(/\$\{(\w+)/g)].map((m) => m[1]!));
    expect(names).toContain('POSTGRES_PASSWORD');
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, build output, local data and git history out of the build context', () => {
    const entries = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim().replace(/^\/|\/$/g, ''));
    for (const entry of ['node_modules', 'dist', 'data', '.git', 'src/generated', '.env']) expect(entries, entry).toContain(entry);
  });
});

describe('docker/README.md', () => {
  it('mentions only npm scripts that exist', () => {
    const scripts = [...read('docker/README.md').matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(packageScripts, `npm run ${script}`).toHaveProperty(script);
  });
});
