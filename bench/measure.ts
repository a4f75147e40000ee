// How every load figure is taken: contenders (the service, a baseline, pgbench…) run the same load
// one after another, round after round, each run measured with the CPU its processes and the
// PostgreSQL backends spent; the figures are medians over the rounds.
import type { Bench } from './context.js';
import { median } from './load.js';

/** What one run of a load did. */
export interface Load {
  /** Operations that succeeded (2xx requests, pgbench transactions, graph invokes). */
  ops: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
  /** Failed requests, errors and timeouts: any of them makes the run suspect. */
  failures: number;
  /** Figures of the contender's own (a driver's CPU, requests per step…), given as medians too. */
  extra?: Record<string, number>;
}

export interface Contender {
  name: string;
  /** One run: `seconds` long (a driver with a fixed amount of work may ignore it); a `warmup` run is not measured. */
  run(seconds: number, warmup: boolean): Promise<Load>;
  /** CPU ms the contender's server processes have used so far; none for pgbench or an in-driver saver. */
  cpuMs?: () => number;
}

export interface Figures {
  /** Operations per second. */
  rate: number;
  p50Ms: number;
  p99Ms: number;
  ops: number;
  failures: number;
  /** CPU of the contender's server processes per operation, in µs (NaN without a server process). */
  serverCpuUs: number;
  /** CPU of the database's PostgreSQL backends per operation, in µs. */
  postgresCpuUs: number;
  /** Cores kept busy on average: by the server processes, by the PostgreSQL backends. */
  serverCores: number;
  postgresCores: number;
  extra: Record<string, number>;
}

async function measured(bench: Bench, contender: Contender, seconds: number): Promise<Figures> {
  const stopCounting = await bench.countBackendCpu();
  const serverBefore = contender.cpuMs?.() ?? Number.NaN;
  const load = await contender.run(seconds, false);
  const serverMs = (contender.cpuMs?.() ?? Number.NaN) - serverBefore;
  const postgresMs = await stopCounting();
  return {
    rate: load.ops / load.seconds,
    p50Ms: load.p50Ms,
    p99Ms: load.p99Ms,
    ops: load.ops,
    failures: load.failures,
    serverCpuUs: (serverMs * 1000) / load.ops,
    postgresCpuUs: (postgresMs * 1000) / load.ops,
    serverCores: serverMs / 1000 / load.seconds,
    postgresCores: postgresMs / 1000 / load.seconds,
    extra: load.extra ?? {},
  };
}

function medians(runs: Figures[]): Figures {
  const of = (pick: (figures: Figures) => number) => median(runs.map(pick));
  const extraKeys = Object.keys(runs[0]?.extra ?? {});
  return {
    rate: of((f) => f.rate),
    p50Ms: of((f) => f.p50Ms),
    p99Ms: of((f) => f.p99Ms),
    ops: runs.reduce((sum, f) => sum + f.ops, 0),
    failures: runs.reduce((sum, f) => sum + f.failures, 0),
    serverCpuUs: of((f) => f.serverCpuUs),
    postgresCpuUs: of((f) => f.postgresCpuUs),
    serverCores: of((f) => f.serverCores),
    postgresCores: of((f) => f.postgresCores),
    extra: Object.fromEntries(extraKeys.map((key) => [key, of((f) => f.extra[key] ?? Number.NaN)])),
  };
}

/**
 * Each contender warms up once, then ROUNDS rounds run them all, one after another; each round
 * starts one further along the list, so that none always runs right after the same other.
 * Returns the medians of each figure, by contender name.
 */
export async function alternate(bench: Bench, label: string, contenders: Contender[]): Promise<Map<string, Figures>> {
  const { seconds, warmupSeconds, rounds } = bench.settings;
  bench.log(`${label}: warm-up`);
  for (const contender of contenders) await contender.run(warmupSeconds, true);
  const runs = new Map<string, Figures[]>(contenders.map((contender) => [contender.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(round + i) % contenders.length]!;
      const figures = await measured(bench, contender, seconds);
      runs.get(contender.name)!.push(figures);
      const us = (value: number) => (Number.isFinite(value) ? `${value.toFixed(0)} µs` : '—');
      bench.log(
        `${label}: ${contender.name} round ${round + 1}: ${figures.rate.toFixed(1)}/s, p50 ${figures.p50Ms.toFixed(1)} ms, ` +
          `p99 ${figures.p99Ms.toFixed(1)} ms, CPU/op server ${us(figures.serverCpuUs)}, PostgreSQL ${us(figures.postgresCpuUs)}` +
          (figures.failures ? `, ${figures.failures} FAILED` : ''),
      );
    }
  }
  return new Map([...runs].map(([name, figures]) => [name, medians(figures)]));
}
