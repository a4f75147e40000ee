// Scaling out: usage updates over 1,000 sessions spread over 1, 2 and 3 service processes on one
// PostgreSQL, with the same total number of connections (as a load balancer would spread them).
// The cores each side keeps busy show which one is the limit.
import type { ServerProcess } from '../processes.js';
import type { Scenario } from '../context.js';
import { alternate, type Contender } from '../measure.js';
import { fmt, ms, table } from '../report.js';
import { usageUpdates } from './usage.js';

const REPLICAS = 3;

export const replicas: Scenario = {
  name: 'replicas',
  async run(bench) {
    const [first, sessionIds] = await Promise.all([bench.service(), bench.sessions()]);
    const servers: ServerProcess[] = [first];
    for (let n = 2; n <= REPLICAS; n++) servers.push(await bench.startService(`replica ${n}`));
    try {
      const contenders: Contender[] = servers.map((_, i) => {
        const used = servers.slice(0, i + 1);
        return {
          name: `${i + 1}`,
          cpuMs: () => used.reduce((sum, server) => sum + server.cpuMs(), 0),
          run: (seconds) =>
            usageUpdates(
              bench,
              used.map((server) => server.baseUrl),
              sessionIds,
              seconds,
            ),
        };
      });
      const results = await alternate(bench, 'replicas', contenders);
      const one = results.get('1')!;
      return {
        title: `scaling out: usage updates over ${fmt(sessionIds.length)} sessions, ${bench.settings.connections} connections spread over the replicas`,
        lines: [
          ...table(
            [
              'replicas',
              'req/s',
              '÷ 1 replica',
              'p50 ms',
              'p99 ms',
              'service CPU µs/req',
              'PostgreSQL CPU µs/req',
              'cores busy: service',
              'cores busy: PostgreSQL',
              'failed',
            ],
            contenders.map(({ name }) => {
              const f = results.get(name)!;
              return [
                name,
                fmt(f.rate),
                `${(f.rate / one.rate).toFixed(2)}×`,
                ms(f.p50Ms),
                ms(f.p99Ms),
                fmt(f.serverCpuUs),
                fmt(f.postgresCpuUs),
                fmt(f.serverCores, 2),
                fmt(f.postgresCores, 2),
                f.failures,
              ];
            }),
          ),
          '',
          `Each replica has its own pool of ${bench.settings.poolMax} connections (so ${bench.settings.poolMax} to ${REPLICAS * bench.settings.poolMax} backends). ` +
            '"Cores busy" is CPU time ÷ wall time: with the load generator on the same 2 cores, throughput stops growing once service and PostgreSQL together fill them.',
        ],
        targets: [],
      };
    } finally {
      for (const server of servers.slice(1)) await server.stop();
    }
  },
};
