// `npm run bench`: the service against a bare baseline on a fresh database of the local PostgreSQL.
// Builds the service, starts it and the baseline as real processes, drives both with the same
// autocannon load (alternating, a fixed duration each), measures checkpoints, webhook latency and
// p99 as usage history grows, then prints the table and writes it to bench/RESULTS.md.
// Settings (environment, all optional): BENCH_SECONDS, BENCH_ROUNDS, BENCH_WARMUP_SECONDS,
// BENCH_CONNECTIONS, BENCH_POOL_MAX, BENCH_AUTH_CACHE_TTL_MS, BENCH_HISTORY ("10000,1000000"),
// BENCH_ADMIN_URL, BENCH_SKIP_BUILD=1, BENCH_RESULTS (a path, or "-" to write nothing),
// BENCH_PREPARED=0 (the baseline sends the usage statement unprepared; the service prepares it),
// BENCH_REFERENCE_PREPARED=1 (a reference row of a baseline that prepares it), and for
// profiling BENCH_SERVICE_NODE_ARGS / BENCH_BASELINE_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createBenchDatabase, type BenchDatabase } from './database.js';
import { drivePosts, median, percentile, type LoadResult } from './load.js';
import { freePort, startServer, type ServerProcess } from './processes.js';
import { startReceiver, type Receiver } from './receiver.js';
import { currentLoadAverage, renderSection, writeResults, type Comparison, type Results } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback;

const SECONDS = Number(env('BENCH_SECONDS', '6'));
const ROUNDS = Number(env('BENCH_ROUNDS', '3'));
const WARMUP_SECONDS = Number(env('BENCH_WARMUP_SECONDS', '2'));
const CONNECTIONS = Number(env('BENCH_CONNECTIONS', '32'));
const POOL_MAX = env('BENCH_POOL_MAX', '10');
const AUTH_CACHE_TTL_MS = env('BENCH_AUTH_CACHE_TTL_MS', '5000');
const HISTORY = env('BENCH_HISTORY', '10000,1000000').split(',').map(Number);
const ADMIN_URL = env('BENCH_ADMIN_URL', 'postgresql://postgres@127.0.0.1:5432/postgres');
const RESULTS_PATH = env('BENCH_RESULTS', join(ROOT, 'bench', 'RESULTS.md'));
// The service prepares its usage statement (Database.hotQuery), so the baseline does too: equal SQL work.
const PREPARED = env('BENCH_PREPARED', '1') === '1';
// Also run a baseline that prepares the statement (1,000 sessions only), as a reference row:
// useful only when the baseline itself does not prepare.
const REFERENCE_PREPARED = env('BENCH_REFERENCE_PREPARED', PREPARED ? '0' : '1') === '1';
const PREPARED_BASELINE = 'baseline, prepared';
const nodeArgs = (name: string) => env(name, '').split(' ').filter(Boolean);
const SESSIONS = 1000;
const WEBHOOK_SAMPLES = 40;
const WEBHOOK_TIMEOUT_MS = 5000;
const SNAPSHOT_BYTES = 64 * 1024;
const USAGE_BODY = JSON.stringify({ tokens: 10, source: 'bench' });

const log = (message: string) => process.stdout.write(`[bench +${((performance.now() - started) / 1000).toFixed(0)}s] ${message}\n`);
const started = performance.now();

/**
 * Builds dist/ (as production runs it). tsc still writes its output when it reports type errors
 * (a file of another module being edited, say): then the run goes on with it, and says so.
 */
function serviceEntry(): { args: string[]; label: string } {
  const built = join(ROOT, 'dist', 'src', 'server.js');
  let note = '';
  if (process.env.BENCH_SKIP_BUILD !== '1') {
    log('npm run build');
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      note = ' (the build reported errors)';
      log(`the build failed: ${existsSync(built) ? 'using what it wrote' : 'running the sources with tsx'}`);
    }
  }
  if (existsSync(built)) return { args: [built], label: `node dist/src/server.js${note}` };
  return { args: ['--import', 'tsx', join(ROOT, 'src', 'server.ts')], label: `tsx src/server.ts${note}` };
}

async function api<T>(server: ServerProcess, apiKey: string, method: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

async function createSessions(server: ServerProcess, apiKey: string, count: number, total: number, prefix: string): Promise<string[]> {
  const ids: string[] = [];
  const next = { i: 0 };
  const worker = async () => {
    while (next.i < count) {
      const n = next.i++;
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

function usageLoad(server: ServerProcess, apiKey: string, sessionIds: string[], seconds: number) {
  return drivePosts({
    baseUrl: server.baseUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    paths: sessionIds.map((id) => `/v1/sessions/${id}/usage`),
    body: USAGE_BODY,
    connections: CONNECTIONS,
    seconds,
    cpuMs: server.cpuMs,
  });
}

/**
 * The servers under the same load, one after another, ROUNDS times each (each round starts one
 * further along the list, so none always runs right after the same other); medians per figure.
 */
async function compare(label: string, servers: ServerProcess[], apiKey: string, sessionIds: string[]): Promise<Map<string, LoadResult>> {
  log(`${label}: warm-up`);
  for (const server of servers) await usageLoad(server, apiKey, sessionIds, WARMUP_SECONDS);
  const runs = new Map<string, LoadResult[]>(servers.map((server) => [server.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(round + i) % servers.length]!;
      const result = await usageLoad(server, apiKey, sessionIds, SECONDS);
      runs.get(server.name)!.push(result);
      log(
        `${label}: ${server.name} round ${round + 1}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ` +
          `${(result.cpuMsPerRequest * 1000).toFixed(0)} µs CPU/request`,
      );
    }
  }
  const summary = (results: LoadResult[]): LoadResult => ({
    rps: median(results.map((result) => result.rps)),
    p50Ms: median(results.map((result) => result.p50Ms)),
    p99Ms: median(results.map((result) => result.p99Ms)),
    requests: results.reduce((sum, result) => sum + result.requests, 0),
    failures: results.reduce((sum, result) => sum + result.failures, 0),
    cpuMsPerRequest: median(results.map((result) => result.cpuMsPerRequest)),
  });
  return new Map([...runs].map(([name, results]) => [name, summary(results)]));
}

function comparison(results: Map<string, LoadResult>): Comparison {
  return {
    service: results.get('service')!,
    baseline: results.get('baseline')!,
    rounds: ROUNDS,
    ...(results.has(PREPARED_BASELINE) ? { preparedBaseline: results.get(PREPARED_BASELINE)! } : {}),
  };
}

async function checkpointLoad(service: ServerProcess, apiKey: string, sessionIds: string[]): Promise<LoadResult> {
  // 64 entries of 1 KiB strings: a 64 KiB snapshot (a little more as canonical JSON).
  const snapshot = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'x'.repeat(SNAPSHOT_BYTES / 64 - 12)]));
  const load = {
    baseUrl: service.baseUrl,
    headers: { authorization: `Bearer ${apiKey}` },
    paths: sessionIds.map((id) => `/v1/sessions/${id}/checkpoints`),
    body: JSON.stringify({ phase: 'bench', context_snapshot: snapshot }),
    connections: CONNECTIONS,
    cpuMs: service.cpuMs,
  };
  log('checkpoints: warm-up');
  await drivePosts({ ...load, seconds: WARMUP_SECONDS });
  const result = await drivePosts({ ...load, seconds: SECONDS });
  log(`checkpoints: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms} ms`);
  return result;
}

/** One crossing at a time on an idle service: from sending the usage update to the event's arrival. */
async function webhookLatency(service: ServerProcess, apiKey: string, receiver: Receiver): Promise<Results['webhook']> {
  await api(service, apiKey, 'POST', '/v1/webhooks', { url: receiver.url, events: ['session.threshold_crossed'] });
  const sessionIds = await createSessions(service, apiKey, WEBHOOK_SAMPLES, 1000, 'bench-webhook');
  const latencies: number[] = [];
  let lost = 0;
  for (const sessionId of sessionIds) {
    const sent = performance.now();
    // 760 of 1,000 tokens crosses 75% only: one event, one delivery.
    await api(service, apiKey, 'POST', `/v1/sessions/${sessionId}/usage`, { tokens: 760 });
    try {
      latencies.push((await receiver.arrival(sessionId, WEBHOOK_TIMEOUT_MS)) - sent);
    } catch {
      lost++;
    }
    await sleep(20);
  }
  const result = {
    samples: latencies.length,
    p50Ms: latencies.length ? percentile(latencies, 50) : Number.NaN,
    p99Ms: latencies.length ? percentile(latencies, 99) : Number.NaN,
    lost,
  };
  log(`webhooks: p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, ${lost} lost`);
  return result;
}

/** What to undo at the end, last first: processes to stop, the database to drop. */
const cleanups: (() => Promise<void>)[] = [];
async function cleanUp(): Promise<void> {
  for (const undo of cleanups.splice(0).reverse()) await undo().catch((error: unknown) => log(`cleanup: ${String(error)}`));
}
// Interrupted: still stop the servers and drop the database.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const loadAverageAtStart = currentLoadAverage();
  const startedAt = new Date();
  const entry = serviceEntry();
  const apiKey = `sss_bench_${randomBytes(16).toString('hex')}`;
  let db: BenchDatabase | undefined;
  try {
    db = await createBenchDatabase(ADMIN_URL);
    const database = db;
    cleanups.push(() => database.drop());
    log(`database ${db.name} on PostgreSQL ${db.serverVersion}`);

    const receiver = await startReceiver();
    cleanups.push(() => receiver.close());
    const common = { DATABASE_URL: db.url, DATABASE_POOL_MAX: POOL_MAX, AUTH_CACHE_TTL_MS };
    const service = await startServer({
      name: 'service',
      args: [...nodeArgs('BENCH_SERVICE_NODE_ARGS'), ...entry.args],
      cwd: ROOT,
      port: await freePort(),
      env: { ...common, HOST: '127.0.0.1', BOOTSTRAP_API_KEY: apiKey, WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', LOG_LEVEL: 'warn' },
      ready: { method: 'GET', path: '/readyz', status: 200 },
    });
    cleanups.push(() => service.stop());
    const baselineOptions = {
      name: 'baseline',
      args: [...nodeArgs('BENCH_BASELINE_NODE_ARGS'), '--import', 'tsx', join(ROOT, 'bench', 'baseline.ts')],
      cwd: ROOT,
      ready: { method: 'POST' as const, path: '/v1/sessions/none/usage', status: 401 },
    };
    const baseline = await startServer({ ...baselineOptions, port: await freePort(), env: { ...common, BASELINE_PREPARED: PREPARED ? '1' : '0' } });
    cleanups.push(() => baseline.stop());
    // For reference, unless the baseline prepares already: what preparing the statement is worth.
    const references: ServerProcess[] = [];
    if (!PREPARED && REFERENCE_PREPARED) {
      const prepared = await startServer({
        ...baselineOptions,
        name: PREPARED_BASELINE,
        port: await freePort(),
        env: { ...common, BASELINE_PREPARED: '1' },
      });
      cleanups.push(() => prepared.stop());
      references.push(prepared);
    }
    log(`service (${entry.label}) at ${service.baseUrl}, baseline at ${baseline.baseUrl}`);

    const sessionIds = await createSessions(service, apiKey, SESSIONS, 1_000_000_000_000, 'bench');
    const [hotSession] = await createSessions(service, apiKey, 1, 1_000_000_000_000, 'bench-hot');

    const growth: Results['growth'] = [];
    for (const rows of HISTORY) {
      const added = await db.growHistory(sessionIds, rows);
      log(`history: ${rows} rows (${added} added)`);
      await usageLoad(service, apiKey, sessionIds, WARMUP_SECONDS);
      const result = await usageLoad(service, apiKey, sessionIds, SECONDS);
      log(`growth at ${rows} rows: ${result.rps.toFixed(0)} req/s, p99 ${result.p99Ms} ms`);
      growth.push({ rows, result });
    }

    const spread = comparison(await compare('1,000 sessions', [service, baseline, ...references], apiKey, sessionIds));
    const hot = comparison(await compare('1 hot session', [service, baseline], apiKey, [hotSession!]));
    const checkpoints = await checkpointLoad(service, apiKey, sessionIds);
    const webhook = await webhookLatency(service, apiKey, receiver);

    const results: Results = {
      settings: {
        service: entry.label,
        'DATABASE_POOL_MAX (both)': POOL_MAX,
        'AUTH_CACHE_TTL_MS (both)': AUTH_CACHE_TTL_MS,
        'usage statement': PREPARED ? 'prepared (both)' : 'unnamed, parsed and planned per execution (both)',
        connections: String(CONNECTIONS),
        runs: `${ROUNDS} × ${SECONDS} s per server, alternating, medians (after ${WARMUP_SECONDS} s warm-up)`,
      },
      spread,
      hot,
      checkpoints,
      webhook,
      growth,
      postgresVersion: db.serverVersion,
      loadAverageAtStart,
      startedAt,
      seconds: (performance.now() - started) / 1000,
    };
    const section = renderSection(results);
    process.stdout.write(`\n${section}\n\n`);
    if (RESULTS_PATH !== '-') {
      writeResults(RESULTS_PATH, section);
      log(`written to ${RESULTS_PATH}`);
    }
  } finally {
    await cleanUp();
  }
}

await main();
