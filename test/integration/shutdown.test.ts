// Graceful shutdown: the real server process on SIGTERM finishes what it has started and exits 0,
// and a stopping dispatcher hands back the deliveries it cannot finish.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { testConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { createTestApp } from '../helpers/app.js';
import { createWebhookReceiver } from '../helpers/webhook-receiver.js';
import { withScratchDatabase } from '../helpers/scratch-database.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const SERVER_TEST_TIMEOUT_MS = 120_000;
const BOOTSTRAP_API_KEY = 'sss_shutdown_test_key_0123456789abcdef';
const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

async function withDatabaseEnv<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  if (onPostgres) return withScratchDatabase('shutdown', (url) => fn({ DATABASE_URL: url }));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'sss-shutdown-'));
  dirs.push(dataDir);
  return fn({ DATA_DIR: dataDir });
}

interface ServerProcess {
  child: ChildProcessByStdio<null, Readable, Readable>;
  port: number;
  output: () => string;
  /** Resolves when stdout matches. */
  waitFor(pattern: RegExp): Promise<void>;
  exited: Promise<number | null>;
}

/** Starts an entry (src/server.ts, src/worker.ts) and resolves once it prints `ready`. */
function startProcess(entry: string, env: Record<string, string>, ready: RegExp, portPattern: RegExp): Promise<ServerProcess> {
  // Node itself with tsx's loader, not the tsx CLI: the signal then reaches the process directly.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', BOOTSTRAP_API_KEY, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const check of waiters) check();
  });
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const killer = setTimeout(() => child.kill('SIGKILL'), SERVER_TEST_TIMEOUT_MS);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(killer);
      for (const check of waiters) check();
      resolve(code);
    }),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (pattern.test(out)) {
          waiters.delete(check);
          resolve();
        } else if (child.exitCode !== null) {
          waiters.delete(check);
          reject(new Error(`the server exited before printing ${pattern}:\n${out}`));
        }
      };
      waiters.add(check);
      check();
    });
  return waitFor(ready).then(() => {
    const port = Number(portPattern.exec(out)?.[1]);
    return { child, port, output: () => out, waitFor, exited };
  });
}

const startServer = (env: Record<string, string>) =>
  startProcess('src/server.ts', env, /session state service ready/, /listening at http:\/\/127\.0\.0\.1:(\d+)/);

/** A POST whose body the client sends in two halves, the second only when `release` is called. */
function slowPost(port: number, urlPath: string, body: string) {
  const half = Math.floor(body.length / 2);
  let release!: () => void;
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        headers: {
          authorization: `Bearer ${BOOTSTRAP_API_KEY}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, half));
    release = () => req.end(body.slice(half));
  });
  return { response, release: () => release() };
}

/** Opens GET /v1/events/stream; resolves with how it ended: `ended` (the response finished), or `cut` (the connection dropped). */
function openEventStream(port: number) {
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const outcome = new Promise<'ended' | 'cut'>((resolve) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path: '/v1/events/stream', headers: { authorization: `Bearer ${BOOTSTRAP_API_KEY}` } },
      (res) => {
        res.once('data', () => opened());
        res.on('end', () => resolve('ended'));
        res.on('aborted', () => resolve('cut'));
        res.on('error', () => resolve('cut'));
      },
    );
    req.on('error', () => resolve('cut'));
    req.end();
  });
  return { open, outcome };
}

/** Polls with fresh requests until one is refused (the close takes effect a moment after the signal). */
async function refusesNewRequests(port: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await new Promise<number | 'refused'>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', () => resolve('refused'));
      req.end();
    });
    if (status === 'refused' || status === 503) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe('the server process on SIGTERM', () => {
  // Starting a server process (and, on PGlite, creating its database) takes a while on a busy machine.
  it(
    'finishes a request still in flight, ends open event streams, then exits with code 0 within its grace period',
    { timeout: SERVER_TEST_TIMEOUT_MS },
    async () => {
      await withDatabaseEnv(async (env) => {
        const server = await startServer(env);
        try {
          // An event stream would hold the close until the 8 s cut-off, and then be cut, not ended.
          const stream = openEventStream(server.port);
          await stream.open;
          // Half a request body has arrived when the signal comes: the request is in flight.
          const inFlight = slowPost(server.port, '/v1/sessions', JSON.stringify({ task_id: 'in-flight', context: { note: 'x'.repeat(4000) } }));
          await new Promise((resolve) => setTimeout(resolve, 200));
          server.child.kill('SIGTERM');
          await server.waitFor(/shutting down/);
          // It takes no new request meanwhile: refused connections, or 503 on a kept-alive one.
          expect(await refusesNewRequests(server.port)).toBe(true);
          inFlight.release();

          const answer = await inFlight.response;
          expect(answer.status, answer.body).toBe(201);
          expect(JSON.parse(answer.body)).toMatchObject({ task_id: 'in-flight', status: 'active' });
          // Exit code 0: close-with-grace exits with 1 when the 10 s grace runs out.
          expect(await server.exited, server.output()).toBe(0);
          expect(server.output()).toContain('shut down');
          expect(await stream.outcome).toBe('ended');
          expect(server.output()).not.toContain('requests still in flight at the shutdown deadline');
        } finally {
          server.child.kill('SIGKILL');
        }
      });
    },
  );
});

describe('the worker process', () => {
  it.skipIf(!onPostgres)(
    'serves its metrics on WORKER_METRICS_PORT, and on SIGTERM stops and exits with code 0',
    { timeout: SERVER_TEST_TIMEOUT_MS },
    async () => {
      await withScratchDatabase('shutdown', async (url) => {
        const worker = await startProcess(
          'src/worker.ts',
          { DATABASE_URL: url, WORKER_METRICS_PORT: '0' },
          /webhook dispatcher running/,
          /"metrics":"http:\/\/127\.0\.0\.1:(\d+)\/metrics"/,
        );
        try {
          const scrape = () => fetch(`http://127.0.0.1:${worker.port}/metrics`);
          const first = await scrape();
          expect(first.status).toBe(200);
          const text = await first.text();
          expect(text).toContain('sss_webhook_delivery_attempts_total{outcome="delivered"} 0');
          expect(text).toContain('sss_webhook_outbox_pending_deliveries 0');
          // The first scrape's backlog query has opened a pool connection (idle for a while now).
          expect(await (await scrape()).text()).toMatch(/sss_db_pool_connections\{state="total"\} [1-9]/);

          worker.child.kill('SIGTERM');
          expect(await worker.exited, worker.output()).toBe(0);
          expect(worker.output()).toContain('shut down');
        } finally {
          worker.child.kill('SIGKILL');
        }
      });
    },
  );
});

describe('stopping the dispatcher', () => {
  it('releases a delivery it cannot finish in time, so another dispatcher sends it at once', async () => {
    const t = await createTestApp();
    const receiver = await createWebhookReceiver();
    try {
      const { auth, projectId } = await t.newProject();
      // The endpoint takes a minute to answer its first request.
      receiver.respondWith(() => ({ status: 204, delayMs: 60_000 }));
      const hook = await t.http
        .post('/v1/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}/slow`, events: ['session.created'] });
      expect(hook.status).toBe(201);
      expect((await t.http.post('/v1/sessions').set(auth).send({ task_id: 'release' })).status).toBe(201);

      const ticking = t.container.webhookDispatcher.tick({ projectId });
      await receiver.waitFor(1);
      await t.container.webhookDispatcher.stop({ graceMs: 100 });
      await ticking;

      const [delivery] = await t.db.prisma.webhookDelivery.findMany({ where: { projectId } });
      expect(delivery).toMatchObject({ status: 'pending', attempts: 0, leaseToken: null });
      expect(delivery!.nextAttemptAt!.getTime()).toBeLessThanOrEqual(Date.now());
      expect(await t.db.prisma.webhookAttempt.count({ where: { projectId } })).toBe(0);

      // Another dispatcher (another replica) takes it now, not when the lease would have ended.
      receiver.respondWith(() => ({ status: 204 }));
      const other = createContainer({ config: testConfig(), db: t.db, migrations: await loadMigrations(MIGRATIONS_DIR) });
      try {
        expect(await other.webhookDispatcher.tick({ projectId })).toBe(1);
      } finally {
        await other.webhookDispatcher.stop();
      }
      expect(await t.db.prisma.webhookDelivery.findFirst({ where: { projectId } })).toMatchObject({ status: 'succeeded', attempts: 1 });
      expect(receiver.requests).toHaveLength(2);
    } finally {
      await receiver.close();
      await t.close();
    }
  });

  it('lets attempts that finish within the grace period be recorded as usual', async () => {
    const t = await createTestApp();
    const receiver = await createWebhookReceiver();
    try {
      const { auth, projectId } = await t.newProject();
      receiver.respondWith(() => ({ status: 204, delayMs: 200 }));
      await t.http
        .post('/v1/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}/ok`, events: ['session.created'] });
      await t.http.post('/v1/sessions').set(auth).send({ task_id: 'finish' });

      const ticking = t.container.webhookDispatcher.tick({ projectId });
      await receiver.waitFor(1);
      await t.container.webhookDispatcher.stop({ graceMs: 10_000 });
      await ticking;

      expect(await t.db.prisma.webhookDelivery.findFirst({ where: { projectId } })).toMatchObject({ status: 'succeeded', attempts: 1 });
    } finally {
      await receiver.close();
      await t.close();
    }
  });
});
