// pgbench (from postgresql-client) as a contender: a SQL script sent straight to PostgreSQL by
// `clients` connections, prepared, with per-transaction logs for p50/p99. No HTTP, no Node: the
// ceiling of what PostgreSQL does with the statement on this machine.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { percentile } from './load.js';
import type { Load } from './measure.js';

const run = promisify(execFile);

export async function pgbenchAvailable(): Promise<boolean> {
  return run('pgbench', ['--version']).then(
    () => true,
    () => false,
  );
}

export async function runPgbench(options: { url: string; script: string; clients: number; seconds: number }): Promise<Load> {
  const dir = mkdtempSync(join(tmpdir(), 'sss-pgbench-'));
  try {
    writeFileSync(join(dir, 'script.sql'), options.script);
    const args = ['--no-vacuum', '--protocol=prepared', `--client=${options.clients}`, '--jobs=2', `--time=${options.seconds}`];
    const { stdout } = await run('pgbench', [...args, '--log', `--log-prefix=${join(dir, 'log')}`, `--file=${join(dir, 'script.sql')}`, options.url]);
    // Each log line: client_id transaction_no latency_µs script_no epoch_s epoch_µs ("failed" for a failed one).
    const latencies: number[] = [];
    let failed = 0;
    for (const file of readdirSync(dir).filter((name) => name.startsWith('log'))) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        const latency = line.split(' ')[2];
        if (latency === undefined) continue;
        if (/^\d+$/.test(latency)) latencies.push(Number(latency) / 1000);
        else failed++;
      }
    }
    const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(stdout)?.[1]);
    return {
      ops: latencies.length,
      seconds: latencies.length / tps,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      failures: failed,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
