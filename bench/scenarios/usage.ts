// Usage updates: the service against the minimal baseline (Fastify + pg, one prepared statement)
// and pgbench sending that statement straight to PostgreSQL, with the same number of connections:
// over 1,000 sessions (`usage`) and on one hot session (`hot`).
import { HOT_COUNTER, usageStatement } from '../baseline-sql.js';
import { createSessions, SESSIONS, type Bench, type Scenario } from '../context.js';
import { drivePosts } from '../load.js';
import { alternate, type Contender, type Load } from '../measure.js';
import { pgbenchAvailable, runPgbench } from '../pgbench.js';
import { LOAD_COLUMNS, loadRow, ratioRow, ratioTargets, table } from '../report.js';

/** The same body to both servers; the baseline ignores `source`. */
const USAGE_BODY = JSON.stringify({ tokens: 10, source: 'bench' });

/** Usage updates to the service (its replicas, when several), each to a session picked at random. */
export function usageUpdates(bench: Bench, urls: string[], sessionIds: string[], seconds: number): Promise<Load> {
  return drivePosts({
    urls,
    headers: { authorization: `Bearer ${bench.apiKey}` },
    paths: sessionIds.map((id) => `/v1/sessions/${id}/usage`),
    body: USAGE_BODY,
    connections: bench.settings.connections,
    seconds,
  });
}

async function contenders(bench: Bench, hot: boolean): Promise<Contender[]> {
  const [service, baseline] = await Promise.all([bench.service(), bench.baseline()]);
  const sessionIds = hot ? await createSessions(service, bench.apiKey, 1, 'bench-hot') : await bench.sessions();
  const counters = hot ? [HOT_COUNTER] : Array.from({ length: SESSIONS }, (_, i) => i + 1);
  const { connections } = bench.settings;
  const list: Contender[] = [
    {
      name: 'service',
      cpuMs: service.cpuMs,
      run: (seconds) => usageUpdates(bench, [service.baseUrl], sessionIds, seconds),
    },
    {
      name: 'baseline',
      cpuMs: baseline.cpuMs,
      run: (seconds) =>
        drivePosts({ urls: [baseline.baseUrl], headers: {}, paths: counters.map((n) => `/usage/${n}`), body: USAGE_BODY, connections, seconds }),
    },
  ];
  if (await pgbenchAvailable()) {
    const pick = hot ? `\\set id ${HOT_COUNTER}` : `\\set id random(1, ${SESSIONS})`;
    const script = `${pick}\n\\set tokens 10\n${usageStatement(':id', ':tokens')};\n`;
    list.push({ name: 'pgbench', run: (seconds) => runPgbench({ url: bench.db.url, script, clients: connections, seconds }) });
  } else {
    bench.log('pgbench is not installed (apt-get install postgresql-client): no ceiling row');
  }
  return list;
}

function usageScenario(name: string, hot: boolean): Scenario {
  return {
    name,
    async run(bench) {
      const label = hot ? 'usage updates, 1 hot session' : `usage updates, ${SESSIONS.toLocaleString('en-US')} sessions`;
      const results = await alternate(bench, label, await contenders(bench, hot));
      const service = results.get('service')!;
      const baseline = results.get('baseline')!;
      const pgbench = results.get('pgbench');
      return {
        title: `${label}, ${bench.settings.connections} connections`,
        lines: [
          ...table(
            [hot ? 'one row' : 'rows picked at random', ...LOAD_COLUMNS],
            [
              loadRow('service', service),
              loadRow('minimal baseline (Fastify + pg)', baseline),
              ...(pgbench ? [loadRow('pgbench, same statement (ceiling)', pgbench)] : []),
              ratioRow('service ÷ baseline', service, baseline),
              ...(pgbench ? [ratioRow('service ÷ pgbench', service, pgbench)] : []),
            ],
          ),
          '',
          `pgbench: ${bench.settings.connections} connections straight to PostgreSQL, prepared; the servers go through pools of ${bench.settings.poolMax}.`,
        ],
        targets: ratioTargets(`${label}, service ÷ minimal baseline`, service, baseline, 0.8, hot ? undefined : 1.5),
      };
    },
  };
}

export const usage = usageScenario('usage', false);
export const hot = usageScenario('hot', true);
