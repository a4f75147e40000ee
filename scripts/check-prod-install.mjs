#!/usr/bin/env node
// Proves, without a Docker engine, that what docker/Dockerfile's runtime stage holds starts and
// serves: `npm run build`, then package.json, package-lock.json, dist/ and prisma/migrations in a
// temporary directory, `npm ci` there with the runtime stage's flags (production dependencies
// only, no install scripts), `node dist/src/worker.js` loads, `node dist/src/server.js` on the
// embedded database: /readyz, GET /v1/models with the bootstrap key, /docs, and a clean exit on
// SIGTERM.
// Run as `npm run check:prod`; it removes everything it created, also when it fails.
/* global fetch, AbortSignal, setTimeout, clearTimeout */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BUILD_TIMEOUT_MS = 300_000;
const INSTALL_TIMEOUT_MS = 300_000;
const READY_TIMEOUT_MS = 90_000;
const REQUEST_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 20_000;

// The runtime stage's `npm ci` flags and what it copies, relative to the image's /app
// (test/integration/docker-files.test.ts checks that docker/Dockerfile says the same).
const RUNTIME_NPM_CI_FLAGS = ['--omit=dev', '--omit=optional', '--ignore-scripts', '--no-audit', '--no-fund'];
const RUNTIME_COPIES = ['package.json', 'package-lock.json', 'dist', 'prisma/migrations'];

// An npm command line for spawn: npm is npm.cmd on Windows.
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

class CheckFailed extends Error {}

// Processes still running, killed if this script is interrupted. Each child leads its own
// process group, so that killing it also ends what it started (npm → sh → tsc).
const children = new Set();
const DETACHED = process.platform !== 'win32';

function killTree(child) {
  try {
    if (DETACHED) process.kill(-child.pid, 'SIGKILL');
    else child.kill('SIGKILL');
  } catch {
    // Already gone.
  }
}

const started = Date.now();
function step(message) {
  console.log(`[check:prod ${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function fail(message) {
  throw new CheckFailed(message);
}

/** Runs a command to completion, its output passed through; fails on a non-zero exit or after timeoutMs. */
function run(command, args, { cwd, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'], shell: !DETACHED, detached: DETACHED });
    children.add(child);
    child.on('exit', () => children.delete(child));
    const timer = setTimeout(() => {
      killTree(child);
      reject(new CheckFailed(`\`${command} ${args.join(' ')}\` took longer than ${timeoutMs / 1000}s`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CheckFailed(`could not run \`${command}\`: ${error.message}`));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new CheckFailed(`\`${command} ${args.join(' ')}\` failed (${signal ?? `exit code ${code}`})`));
    });
  });
}

/** A built entry as the image runs it: node, its own directory, a minimal environment. */
function startProcess(appDir, entry, env) {
  const child = spawn(process.execPath, [entry], { cwd: appDir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: DETACHED });
  children.add(child);
  child.on('exit', () => children.delete(child));
  const server = { child, output: '', exit: undefined, port: undefined };
  server.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      server.exit = { code, signal };
      resolve(server.exit);
    });
    child.on('error', (error) => {
      server.output += `\n[spawn error] ${error.message}\n`;
      server.exit = { code: null, signal: null };
      resolve(server.exit);
    });
  });
  const collect = (chunk) => {
    server.output += chunk.toString();
    // Fastify logs "Server listening at http://127.0.0.1:<port>" once it listens on PORT=0.
    server.port ??= /Server listening at http:\/\/127\.0\.0\.1:(\d+)/.exec(server.output)?.[1];
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  return server;
}

async function request(server, pathname, headers = {}) {
  const url = `http://127.0.0.1:${server.port}${pathname}`;
  try {
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
  } catch (error) {
    return { status: 0, type: '', body: `${error.cause?.code ?? error.name}: ${error.message}` };
  }
}

async function waitUntilReady(server) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.exit) fail(`the server exited before it was ready (${describeExit(server.exit)})`);
    if (server.port) {
      const ready = await request(server, '/readyz');
      if (ready.status === 200) return;
      last = `${ready.status} ${ready.body.slice(0, 200)}`;
    }
    await delay(250);
  }
  fail(`/readyz did not answer 200 within ${READY_TIMEOUT_MS / 1000}s (last: ${server.port ? last : 'the server never logged its port'})`);
}

function describeExit({ code, signal }) {
  return signal ? `signal ${signal}` : `exit code ${code}`;
}

function expectStatus(result, status, what) {
  if (result.status !== status) fail(`${what}: expected ${status}, got ${result.status} ${result.body.slice(0, 300)}`);
}

async function main(work) {
  const appDir = path.join(work, 'app');
  const dataDir = path.join(work, 'data');
  await mkdir(path.join(appDir, 'prisma'), { recursive: true });
  await mkdir(dataDir);

  // The build stage: `npm run build` (prisma generate + tsc), its output straight into the
  // temporary directory so the checkout's dist/ is left alone. npm appends the arguments to the
  // script's last command, tsc.
  step('npm run build');
  await run(NPM, ['run', 'build', '--', '--outDir', path.join(appDir, 'dist')], { cwd: ROOT, timeoutMs: BUILD_TIMEOUT_MS });
  for (const entry of ['dist/src/server.js', 'dist/src/worker.js']) {
    if (!existsSync(path.join(appDir, entry))) fail(`npm run build did not produce ${entry}`);
  }

  step(`copying ${RUNTIME_COPIES.join(', ')}`);
  for (const entry of RUNTIME_COPIES.filter((e) => e !== 'dist')) {
    await cp(path.join(ROOT, entry), path.join(appDir, entry), { recursive: true });
  }

  step(`npm ci ${RUNTIME_NPM_CI_FLAGS.join(' ')}`);
  await run(NPM, ['ci', ...RUNTIME_NPM_CI_FLAGS, '--prefer-offline', '--loglevel=error'], { cwd: appDir, timeoutMs: INSTALL_TIMEOUT_MS });
  for (const devOnly of ['prisma', 'typescript', 'tsx', 'vitest']) {
    if (existsSync(path.join(appDir, 'node_modules', devOnly))) fail(`the production install contains the dev dependency ${devOnly}`);
  }

  const apiKey = `sss_check_${randomBytes(18).toString('hex')}`;
  const env = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATA_DIR: dataDir,
    BOOTSTRAP_API_KEY: apiKey,
    LOG_LEVEL: 'info',
  };
  // The worker needs PostgreSQL; without DATABASE_URL it must load (every import resolves in the
  // production install) and refuse with its message.
  step('node dist/src/worker.js (no DATABASE_URL: loads, then refuses)');
  const worker = startProcess(appDir, 'dist/src/worker.js', env);
  const workerExit = await Promise.race([worker.exited, delay(READY_TIMEOUT_MS, undefined, { ref: false })]);
  if (!workerExit) {
    killTree(worker.child);
    fail(`dist/src/worker.js did not exit within ${READY_TIMEOUT_MS / 1000}s without DATABASE_URL`);
  }
  if (workerExit.code !== 1 || !worker.output.includes('needs DATABASE_URL')) {
    fail(
      `dist/src/worker.js without DATABASE_URL: expected exit code 1 and its message, got ${describeExit(workerExit)}:\n${worker.output.slice(-4000)}`,
    );
  }

  step('node dist/src/server.js (embedded database)');
  const server = startProcess(appDir, 'dist/src/server.js', env);
  try {
    await waitUntilReady(server);
    step(`ready on port ${server.port}`);

    const models = await request(server, '/v1/models', { authorization: `Bearer ${apiKey}` });
    expectStatus(models, 200, 'GET /v1/models with the bootstrap key');
    const list = JSON.parse(models.body);
    if (!Array.isArray(list) || list.length === 0) fail(`GET /v1/models returned no models: ${models.body.slice(0, 300)}`);
    expectStatus(await request(server, '/v1/models'), 401, 'GET /v1/models without a key');

    const docs = await request(server, '/docs');
    expectStatus(docs, 200, 'GET /docs');
    if (!docs.type.startsWith('text/html') || !/swagger-ui/i.test(docs.body)) fail(`GET /docs is not the Swagger UI page (${docs.type})`);
    const document = await request(server, '/openapi.json');
    expectStatus(document, 200, 'GET /openapi.json');
    step('/readyz, /v1/models, /docs and /openapi.json answer');

    step('SIGTERM');
    server.child.kill('SIGTERM');
    // An unref'd timer: once the server has exited, it must not keep this script alive.
    const exit = await Promise.race([server.exited, delay(EXIT_TIMEOUT_MS, undefined, { ref: false })]);
    if (!exit) fail(`the server did not exit within ${EXIT_TIMEOUT_MS / 1000}s of SIGTERM`);
    if (exit.code !== 0) fail(`the server exited with ${describeExit(exit)} after SIGTERM, expected exit code 0`);
    if (server.output.includes(apiKey)) fail('the server printed the bootstrap API key');
  } catch (error) {
    if (error instanceof CheckFailed) {
      error.message += `\n--- server output (last 4000 characters) ---\n${server.output.slice(-4000)}`;
    }
    throw error;
  } finally {
    if (!server.exit) {
      killTree(server.child);
      await server.exited;
    }
  }
}

const work = await mkdtemp(path.join(tmpdir(), 'sss-check-prod-'));
// Ctrl-C or a CI timeout: stop what is running and remove the temporary directory before going.
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    for (const child of children) killTree(child);
    rm(work, { recursive: true, force: true }).finally(() => process.exit(130));
  });
}
try {
  await main(work);
  step('passed: the production install starts, serves and stops cleanly');
} catch (error) {
  console.error(`\ncheck:prod FAILED: ${error instanceof CheckFailed ? error.message : (error?.stack ?? error)}`);
  process.exitCode = 1;
} finally {
  await rm(work, { recursive: true, force: true });
  step('removed the temporary directory');
}
