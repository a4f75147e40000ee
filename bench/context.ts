// What scenarios share: the settings, the database, the service and the minimal baseline (each
// started on first use, stopped at the end), the 1,000 sessions, and the CPU counter of PostgreSQL.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { countBackendCpu } from './cpu.js';
import type { BenchDatabase } from './database.js';
import { freePort, startServer, type ServerProcess } from './processes.js';
import type { Section } from './report.js';

/**
 * One figure (or a few) of the benchmark: a module of bench/scenarios/ exports one, bench/run.ts
 * lists it, `BENCH_ONLY=<name>,…` runs a subset. It gets what the run shares and returns its
 * section of RESULTS.md (a table, its targets).
 */
export interface Scenario {
  name: string;
  run(bench: Bench): Promise<Section>;
}

export interface Settings {
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  /** DATABASE_POOL_MAX of the service and pool size of the baselines. */
  poolMax: number;
  authCacheTtlMs: number;
  historyRows: number[];
  serviceNodeArgs: string[];
  baselineNodeArgs: string[];
}

/** How the service is started: the build in dist/ (as production runs it), or its sources. */
export interface ServiceEntry {
  args: string[];
  label: string;
}

export interface Bench {
  settings: Settings;
  root: string;
  db: BenchDatabase;
  entry: ServiceEntry;
  /** The bootstrap API key of the service's project. */
  apiKey: string;
  log(message: string): void;
  /** The service on the bench database (`node dist/src/server.js`). */
  service(): Promise<ServerProcess>;
  /** Another service process on the same database (a replica, or one with other settings), stopped at the end of the run. */
  startService(name: string, env?: Record<string, string>): Promise<ServerProcess>;
  /** The minimal baseline (bench/baseline.ts) on the same database. */
  baseline(): Promise<ServerProcess>;
  /** SESSIONS sessions of the service with budgets no load can exhaust. */
  sessions(): Promise<string[]>;
  /** Starts counting the CPU of the bench database's backends; the function returned stops and gives ms. */
  countBackendCpu(): Promise<() => Promise<number>>;
  /** Something to undo at the end of the run (last registered, first undone). */
  onCleanup(undo: () => Promise<void>): void;
  cleanUp(): Promise<void>;
}

export const SESSIONS = 1000;
/** A budget that no benchmark exhausts: no crossing, no event on the usage load. */
export const HUGE_BUDGET = 1_000_000_000_000;

export async function createBench(options: { settings: Settings; root: string; db: BenchDatabase; entry: ServiceEntry }): Promise<Bench> {
  const { settings, root, db, entry } = options;
  const started = performance.now();
  const log = (message: string) => process.stdout.write(`[bench +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
  const cleanups: (() => Promise<void>)[] = [];
  const onCleanup = (undo: () => Promise<void>) => void cleanups.push(undo);
  const apiKey = `sss_bench_${randomBytes(16).toString('hex')}`;
  const monitor = new pg.Client({ connectionString: db.url });
  await monitor.connect();
  onCleanup(() => monitor.end());

  const startService = async (name: string, extraEnv: Record<string, string> = {}) => {
    const server = await startServer({
      name,
      args: [...settings.serviceNodeArgs, ...entry.args],
      cwd: root,
      port: await freePort(),
      env: {
        DATABASE_URL: db.url,
        DATABASE_POOL_MAX: String(settings.poolMax),
        AUTH_CACHE_TTL_MS: String(settings.authCacheTtlMs),
        HOST: '127.0.0.1',
        BOOTSTRAP_API_KEY: apiKey,
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        LOG_LEVEL: 'warn',
        ...extraEnv,
      },
      ready: { method: 'GET', path: '/readyz', status: 200 },
    });
    onCleanup(() => server.stop());
    return server;
  };

  const bench: Bench = {
    settings,
    root,
    db,
    entry,
    apiKey,
    log,
    service: once(() => startService('service')),
    startService,
    baseline: once(async () => {
      const server = await startServer({
        name: 'baseline',
        args: [...settings.baselineNodeArgs, '--import', 'tsx', join(root, 'bench', 'baseline.ts')],
        cwd: root,
        port: await freePort(),
        env: { DATABASE_URL: db.url, DATABASE_POOL_MAX: String(settings.poolMax) },
        // Listening once its tables are there; it has no route of its own for that.
        ready: { method: 'GET', path: '/', status: 404 },
      });
      onCleanup(() => server.stop());
      return server;
    }),
    sessions: once(async () => createSessions(await bench.service(), apiKey, SESSIONS, 'bench')),
    countBackendCpu: () => countBackendCpu(monitor, db.name),
    onCleanup,
    async cleanUp() {
      for (const undo of cleanups.splice(0).reverse()) await undo().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    },
  };
  return bench;
}

/** `make()` the first time, the same promise after. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => (made ??= make());
}

/** One request to the service; non-2xx throws. */
export async function api<T>(server: ServerProcess, apiKey: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** `count` sessions (task ids `<prefix>-<n>`), eight requests at a time. */
export async function createSessions(server: ServerProcess, apiKey: string, count: number, prefix: string, total = HUGE_BUDGET): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const session = await api<{ session_id: string }>(server, apiKey, 'POST', '/v1/sessions', {
        task_id: `${prefix}-${n}`,
        token_budget: { total },
      });
      ids[n] = session.session_id;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return ids;
}
