// `npm run bench`: the service against the baselines a user would pick instead, on a fresh
// database of the local PostgreSQL. Builds the service, starts it and the baselines as real
// processes (each when a scenario first needs it), runs the scenarios below in order, prints their
// tables and writes them to bench/RESULTS.md between its markers.
//
// Settings (environment, all optional):
//   BENCH_ONLY=usage,hot,…   a subset of the scenarios (names below); printed only, unless BENCH_RESULTS is set
//   BENCH_SECONDS (6), BENCH_ROUNDS (3), BENCH_WARMUP_SECONDS (2): each load run, alternating rounds, medians
//   BENCH_CONNECTIONS (32), BENCH_POOL_MAX (10, service and baselines), BENCH_AUTH_CACHE_TTL_MS (5000)
//   BENCH_HISTORY ("10000,1000000"): rows of usage history for the `history` scenario
//   BENCH_ADMIN_URL (postgresql://postgres@127.0.0.1:5432/postgres): where the bench database is created
//   BENCH_SKIP_BUILD=1, BENCH_RESULTS (a path, or "-" to write nothing)
//   BENCH_SERVICE_NODE_ARGS / BENCH_BASELINE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createBench, type Bench, type Scenario, type ServiceEntry, type Settings } from './context.js';
import { createBenchDatabase } from './database.js';
import { currentLoadAverage, describeMachine, renderSection, writeResults, type Section } from './report.js';
import { checkpoints } from './scenarios/checkpoints.js';
import { graph } from './scenarios/graph.js';
import { history } from './scenarios/history.js';
import { otlp } from './scenarios/otlp.js';
import { replicas } from './scenarios/replicas.js';
import { reservations } from './scenarios/reservations.js';
import { startup } from './scenarios/startup.js';
import { streams } from './scenarios/streams.js';
import { hot, usage } from './scenarios/usage.js';
import { webhooks } from './scenarios/webhooks.js';

/**
 * The scenarios, in the order they run. To add one: a module in bench/scenarios/ exporting a
 * `Scenario` (see context.ts), listed here. `history` goes last: it leaves a million rows behind.
 */
const SCENARIOS: Scenario[] = [usage, hot, reservations, checkpoints, graph, replicas, otlp, webhooks, streams, startup, history];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback;
const ONLY = env('BENCH_ONLY', '')
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean);
const RESULTS_PATH = env('BENCH_RESULTS', ONLY.length ? '-' : join(ROOT, 'bench', 'RESULTS.md'));
const ADMIN_URL = env('BENCH_ADMIN_URL', 'postgresql://postgres@127.0.0.1:5432/postgres');
const nodeArgs = (name: string) => env(name, '').split(' ').filter(Boolean);
const settings: Settings = {
  seconds: Number(env('BENCH_SECONDS', '6')),
  rounds: Number(env('BENCH_ROUNDS', '3')),
  warmupSeconds: Number(env('BENCH_WARMUP_SECONDS', '2')),
  connections: Number(env('BENCH_CONNECTIONS', '32')),
  poolMax: Number(env('BENCH_POOL_MAX', '10')),
  authCacheTtlMs: Number(env('BENCH_AUTH_CACHE_TTL_MS', '5000')),
  historyRows: env('BENCH_HISTORY', '10000,1000000').split(',').map(Number),
  serviceNodeArgs: nodeArgs('BENCH_SERVICE_NODE_ARGS'),
  baselineNodeArgs: nodeArgs('BENCH_BASELINE_NODE_ARGS'),
};

const started = performance.now();
const log = (message: string) => process.stdout.write(`[bench] ${message}\n`);

/**
 * Builds dist/ (as production runs it). tsc still writes its output when it reports type errors
 * (a file of another module being edited, say): then the run goes on with it, and says so.
 */
function serviceEntry(): ServiceEntry {
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

async function main(): Promise<void> {
  const unknown = ONLY.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length) throw new Error(`BENCH_ONLY: no scenario ${unknown.join(', ')} (there are ${SCENARIOS.map((s) => s.name).join(', ')})`);
  const selected = SCENARIOS.filter((scenario) => !ONLY.length || ONLY.includes(scenario.name));
  const loadAverageAtStart = currentLoadAverage();
  const startedAt = new Date();
  const entry = serviceEntry();
  const db = await createBenchDatabase(ADMIN_URL);
  let bench: Bench | undefined;
  // Interrupted: still stop the servers and drop the database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up`);
      void (bench?.cleanUp() ?? Promise.resolve()).then(() => db.drop()).finally(() => process.exit(130));
    });
  }
  try {
    bench = await createBench({ settings, root: ROOT, db, entry });
    bench.log(`database ${db.name} on PostgreSQL ${db.serverVersion}; scenarios: ${selected.map((s) => s.name).join(', ')}`);
    const sections: Section[] = [];
    for (const scenario of selected) {
      bench.log(`scenario ${scenario.name}`);
      sections.push(await scenario.run(bench));
    }
    const section = renderSection({
      startedAt,
      seconds: (performance.now() - started) / 1000,
      machine: describeMachine(db.serverVersion, loadAverageAtStart),
      settings: {
        service: entry.label,
        'DATABASE_POOL_MAX (service and baselines)': String(settings.poolMax),
        AUTH_CACHE_TTL_MS: String(settings.authCacheTtlMs),
        connections: String(settings.connections),
        runs: `${settings.rounds} × ${settings.seconds} s per contender, alternating, medians (after a ${settings.warmupSeconds} s warm-up each)`,
      },
      sections,
    });
    process.stdout.write(`\n${section}\n\n`);
    if (RESULTS_PATH !== '-') {
      writeResults(RESULTS_PATH, section);
      log(`written to ${RESULTS_PATH}`);
    }
  } finally {
    await bench?.cleanUp();
    await db.drop();
  }
}

await main();
