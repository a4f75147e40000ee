// CPU time from /proc (Linux): of a process, and of the PostgreSQL backends serving one database.
// CPU time, unlike wall time, does not count waiting for a core, so it is the steadiest figure
// on a machine that other work shares.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';

const CLOCK_TICKS_PER_S = 100;
/** How often the backends are looked at: a backend that exits loses at most this much of its CPU. */
const BACKEND_SAMPLE_MS = 100;

/** utime + stime of a process, all its threads (Node's GC and libuv threads too), in ms; NaN when it is gone. */
export function cpuMsOf(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return Number.NaN;
  }
}

/** cpuMsOf a process and its descendants (the server `tsx`'s CLI starts, say); NaN when it is gone. */
export function treeCpuMsOf(pid: number | undefined): number {
  let total = cpuMsOf(pid);
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean)) {
        const ms = treeCpuMsOf(Number(child));
        if (!Number.isNaN(ms)) total += ms;
      }
    }
  } catch {
    // Gone meanwhile, or no /proc/<pid>/task/<tid>/children: the process alone.
  }
  return total;
}

/** Time on a CPU of a single-threaded process (a PostgreSQL backend) in ms, to the nanosecond; NaN when it is gone. */
function runTimeMsOf(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return cpuMsOf(pid);
  }
}

/**
 * Starts counting the CPU of every backend of `database` except `monitor`'s own (autovacuum workers
 * on it included; the WAL writer and checkpointer, shared by the whole server, not). Backends come
 * and go (pgbench connects its own), so they are looked up every BACKEND_SAMPLE_MS; one that appears
 * meanwhile counts from zero. The returned function stops and gives the CPU used since, in ms.
 */
export async function countBackendCpu(monitor: pg.Client, database: string): Promise<() => Promise<number>> {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const sample = async (starting: boolean) => {
    const { rows } = await monitor.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [
      database,
    ]);
    for (const { pid } of rows) {
      const ms = runTimeMsOf(pid);
      if (Number.isNaN(ms)) continue;
      if (!first.has(pid)) first.set(pid, starting ? ms : 0);
      last.set(pid, ms);
    }
  };
  await sample(true);
  let running = true;
  const sampling = (async () => {
    while (running) {
      await sleep(BACKEND_SAMPLE_MS);
      if (running) await sample(false);
    }
  })();
  return async () => {
    running = false;
    await sampling;
    await sample(false);
    let total = 0;
    for (const [pid, ms] of last) total += ms - first.get(pid)!;
    return total;
  };
}
