// A real LangGraph StateGraph (bench/graph-driver.ts, a process of its own): 16 threads × 12
// invokes, checkpointed by SessionStateSaver against the service, or by LangGraph's PostgresSaver.
import { join } from 'node:path';
import type { Scenario } from '../context.js';
import { alternate, type Contender, type Load } from '../measure.js';
import { runDriver } from '../processes.js';
import { fmt, ms, ratio, table } from '../report.js';

const THREADS = 16;
const INVOKES = 12;
const WARMUP = { THREADS: '2', INVOKES: '2' };

export const graph: Scenario = {
  name: 'graph',
  async run(bench) {
    const service = await bench.service();
    let runs = 0;
    const drive = (saver: 'service' | 'postgres', warmup: boolean) =>
      runDriver<Load>({
        name: `graph driver (${saver})`,
        args: ['--import', 'tsx', join(bench.root, 'bench', 'graph-driver.ts')],
        cwd: bench.root,
        env: {
          SAVER: saver,
          ...(warmup ? WARMUP : { THREADS: String(THREADS), INVOKES: String(INVOKES) }),
          RUN: `bench-graph-${saver}-${++runs}`,
          BASE_URL: service.baseUrl,
          API_KEY: bench.apiKey,
          DATABASE_URL: bench.db.url,
          POOL_MAX: String(bench.settings.poolMax),
        },
      });
    const contenders: Contender[] = [
      { name: 'SessionStateSaver', cpuMs: service.cpuMs, run: (_, warmup) => drive('service', warmup) },
      { name: 'PostgresSaver', run: (_, warmup) => drive('postgres', warmup) },
    ];
    const results = await alternate(bench, 'StateGraph', contenders);
    const ours = results.get('SessionStateSaver')!;
    const theirs = results.get('PostgresSaver')!;
    const cpuMs = (us: number) => fmt(us / 1000, 1);
    const row = (name: string, f: typeof ours, requests: string, statements: string) => [
      name,
      fmt(f.rate, 1),
      ms(f.p50Ms),
      ms(f.p99Ms),
      requests,
      statements,
      fmt(f.extra.graphCpuMsPerInvoke ?? Number.NaN, 1),
      cpuMs(f.serverCpuUs),
      cpuMs(f.postgresCpuUs),
      f.failures,
    ];
    const rate = ours.rate / theirs.rate;
    return {
      title: `a LangGraph StateGraph, 3 nodes, a message list growing ~2 KiB a step, ${THREADS} threads × ${INVOKES} invokes`,
      lines: [
        ...table(
          [
            'saver',
            'invokes/s',
            'p50 invoke ms',
            'p99 invoke ms',
            'HTTP requests / step',
            'SQL statements / step',
            'graph process CPU ms/invoke',
            'service CPU ms/invoke',
            'PostgreSQL CPU ms/invoke',
            'failed',
          ],
          [
            row('SessionStateSaver → service', ours, fmt(ours.extra.requestsPerStep ?? Number.NaN, 2), '—'),
            row('PostgresSaver', theirs, '0', fmt(theirs.extra.statementsPerStep ?? Number.NaN, 2)),
            [
              `**SessionStateSaver ÷ PostgresSaver**`,
              `**${ratio(rate)}**`,
              ratio(ours.p50Ms / theirs.p50Ms),
              ratio(ours.p99Ms / theirs.p99Ms),
              '',
              '',
              '',
              '',
              '',
              '',
            ],
          ],
        ),
        '',
        `A step is a checkpoint LangGraph stores (one \`put\`; ${fmt(ours.extra.stepsPerInvoke ?? Number.NaN, 1)} per invoke), with the pending writes of its tasks. ` +
          "Requests are counted by a fetch wrapper passed to the saver, including each thread's first look-up and creation of its session; " +
          'statements by a wrapper of pg.Client#query, BEGIN and COMMIT included.',
      ],
      targets: [{ text: `StateGraph, SessionStateSaver ÷ PostgresSaver: invokes/s ≥ 0.5×: ${ratio(rate)}`, met: rate >= 0.5 && ours.failures === 0 }],
    };
  },
};
