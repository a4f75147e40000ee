// Shared pieces of the fault tests: when they run, the app on a throwaway cluster, and a bounded
// HTTP client that records every answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { buildApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { openDatabase, type DatabaseTimeouts } from '../../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { findPgBinDir } from '../helpers/pg-cluster.js';

const onCi = () => {
  const ci = process.env.CI;
  return ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0';
};

/**
 * Why the fault tests do not run here, or null when they do. They start their own clusters, so
 * they run in the pass without TEST_DATABASE_URL only (CI runs `npm test` twice). Without the
 * PostgreSQL binaries they skip outside CI, and fail on CI (startPgCluster throws there).
 */
export function faultTestsSkipReason(): string | null {
  if (process.env.TEST_DATABASE_URL) return 'they run in the PGlite pass of npm test (they start their own PostgreSQL clusters)';
  if (!findPgBinDir() && !onCi()) return 'initdb/pg_ctl not found (install PostgreSQL, or set PG_BIN_DIR); they are required on CI';
  return null;
}

export function announceSkip(suite: string): boolean {
  const reason = faultTestsSkipReason();
  if (reason) console.warn(`SKIPPED fault tests "${suite}": ${reason}`);
  return reason !== null;
}

/** The real app, listening on a loopback port, on a migrated database at `databaseUrl`. */
export async function startAppOn(databaseUrl: string, overrides: Partial<Config> = {}, timeouts?: Partial<DatabaseTimeouts>) {
  const db = await openDatabase({ databaseUrl, dataDir: 'memory://', poolMax: 5, timeouts });
  const migrations = await loadMigrations(MIGRATIONS_DIR);
  try {
    await applyMigrations(db, migrations);
  } catch (error) {
    await db.close();
    throw error;
  }
  const config = testConfig({ databaseUrl, ...overrides });
  const container = createContainer({ config, db, migrations });
  const app = await buildApp({ config, container });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  return {
    app,
    db,
    container,
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      await app.close();
      await container.webhookDispatcher.stop();
      await db.close();
    },
  };
}

export interface Answer {
  /** 0 when no HTTP answer came (connection refused or reset, or the deadline passed). */
  status: number;
  contentType: string;
  /** The `idempotent-replayed` header was `true`: the answer of an earlier attempt. */
  replayed: boolean;
  body: string;
  /** The network error when status is 0. */
  error?: string;
  /** True when the request was still unanswered at its deadline. */
  timedOut: boolean;
}

/** One request with a deadline; never throws. */
export async function send(url: string, init: RequestInit & { deadlineMs: number }): Promise<Answer> {
  const { deadlineMs, ...rest } = init;
  const signal = AbortSignal.timeout(deadlineMs);
  try {
    const response = await fetch(url, { ...rest, signal });
    const body = await response.text();
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      replayed: response.headers.get('idempotent-replayed') === 'true',
      body,
      timedOut: false,
    };
  } catch (error) {
    const timedOut = signal.aborted;
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, contentType: '', replayed: false, body: '', error: cause?.code ?? cause?.message ?? String(error), timedOut };
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` pass; returns whether it did. */
export async function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** How long a spawned server may take to log that it listens. */
const SERVER_START_TIMEOUT_MS = 60_000;
/** How much of a server's output is kept for failure messages. */
const OUTPUT_KEPT_CHARS = 20_000;

export interface ServerProcess {
  child: ChildProcess;
  baseUrl: string;
  /** The last part of its stdout and stderr. */
  output(): string;
  /** Resolves with the exit code or signal once the process has ended. */
  exited: Promise<number | string | null>;
}

/** Every server process spawned and not yet ended, for the cleanup of a failed test. */
const spawned = new Set<ChildProcess>();

/**
 * src/server.ts as an operator runs it (node with tsx's loader, as in server-process.test.ts), on
 * port 0 of 127.0.0.1; resolves once it logs the address it listens on.
 */
export async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH ?? '', HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-OUTPUT_KEPT_CHARS);
  };
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => {
      spawned.delete(child);
      resolve(signal ?? code);
    });
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let settled = false;
    let seen = '';
    const settle = (error: Error | null, url?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (url) return resolve(url);
      child.kill('SIGKILL');
      reject(new Error(`${error!.message}\n${output}`));
    };
    const timer = setTimeout(() => settle(new Error(`the server did not start within ${SERVER_START_TIMEOUT_MS} ms`)), SERVER_START_TIMEOUT_MS);
    child.stdout!.on('data', (chunk: Buffer) => {
      keep(chunk);
      if (settled) return;
      seen = (seen + chunk.toString()).slice(-OUTPUT_KEPT_CHARS);
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) settle(null, match[1]);
    });
    child.stderr!.on('data', keep);
    child.once('error', (error) => settle(error));
    void exited.then((how) => settle(new Error(`the server exited (${String(how)}) before it listened`)));
  });
  return { child, baseUrl, output: () => output, exited };
}

/** SIGKILLs every server process still running (afterAll of a failed test). */
export async function killSpawnedServers(): Promise<void> {
  const ends = [...spawned].map(
    (child) =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        if (!child.kill('SIGKILL')) resolve();
      }),
  );
  await Promise.all(ends);
}
