// A reservation → commit pair (issue 13): what holding the budget before a model call costs. Each of
// the connections loops: POST /v1/sessions/{id}/reservations, then POST /v1/reservations/{id}/commit
// with the usage, over 1,000 sessions; one pair is one operation. The minimal baseline (one prepared
// statement per usage update, bench/baseline.ts) runs the same number of connections, one request per
// operation: the ratio says what a pair costs against the plain update it replaces.
import { Agent, request } from 'undici';
import { createSessions, SESSIONS, type Bench, type Scenario } from '../context.js';
import { drivePosts, percentile } from '../load.js';
import { alternate, type Load } from '../measure.js';
import { LOAD_COLUMNS, loadRow, ratioRow, table } from '../report.js';

const USAGE_BODY = JSON.stringify({ tokens: 10, source: 'bench' });
const RESERVE_BODY = JSON.stringify({ tokens: 20, ttl_seconds: 60, source: 'bench' });

/** `connections` loops of reserve → commit against the service for `seconds`. */
async function drivePairs(baseUrl: string, apiKey: string, sessionIds: string[], connections: number, seconds: number): Promise<Load> {
  const dispatcher = new Agent({ connections, keepAliveTimeout: 10_000 });
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const latencies: number[] = [];
  let failures = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  const post = async (path: string, body: string) => {
    const res = await request(`${baseUrl}${path}`, { method: 'POST', headers, body, dispatcher });
    const text = await res.body.text();
    return { status: res.statusCode, body: text };
  };
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const id = sessionIds[Math.floor(Math.random() * sessionIds.length)]!;
        const begin = performance.now();
        try {
          const hold = await post(`/v1/sessions/${id}/reservations`, RESERVE_BODY);
          if (hold.status !== 201) {
            failures++;
            continue;
          }
          const { reservation_id } = JSON.parse(hold.body) as { reservation_id: string };
          const commit = await post(`/v1/reservations/${reservation_id}/commit`, USAGE_BODY);
          if (commit.status !== 200) failures++;
          else latencies.push(performance.now() - begin);
        } catch {
          failures++;
        }
      }
    }),
  );
  await dispatcher.close();
  const elapsed = (performance.now() - started) / 1000;
  return {
    ops: latencies.length,
    seconds: elapsed,
    p50Ms: latencies.length ? percentile(latencies, 50) : NaN,
    p99Ms: latencies.length ? percentile(latencies, 99) : NaN,
    failures,
  };
}

export const reservations: Scenario = {
  name: 'reservations',
  async run(bench: Bench) {
    const [service, baseline] = await Promise.all([bench.service(), bench.baseline()]);
    const sessionIds = await createSessions(service, bench.apiKey, SESSIONS, 'bench-reservations');
    const { connections } = bench.settings;
    const counters = Array.from({ length: SESSIONS }, (_, i) => i + 1);
    const label = `reservation → commit pairs, ${SESSIONS.toLocaleString('en-US')} sessions`;
    const results = await alternate(bench, label, [
      { name: 'service', cpuMs: service.cpuMs, run: (seconds) => drivePairs(service.baseUrl, bench.apiKey, sessionIds, connections, seconds) },
      {
        name: 'baseline',
        cpuMs: baseline.cpuMs,
        run: (seconds) =>
          drivePosts({ urls: [baseline.baseUrl], headers: {}, paths: counters.map((n) => `/usage/${n}`), body: USAGE_BODY, connections, seconds }),
      },
    ]);
    const pairs = results.get('service')!;
    const plain = results.get('baseline')!;
    return {
      title: `${label}, ${connections} connections`,
      lines: [
        ...table(
          ['one operation', ...LOAD_COLUMNS],
          [
            loadRow('service: reserve, then commit (2 requests)', pairs),
            loadRow('minimal baseline (Fastify + pg): 1 usage update', plain),
            ratioRow('service pairs ÷ baseline updates', pairs, plain),
          ],
        ),
        '',
        'A pair is two HTTP requests: the grant (sss_reserve, one statement under the session row lock) and the commit',
        '(one transaction: sss_end_reservation and the usage statement). A shared-budget child of depth 2 is not measured: shared budgets are not built yet.',
      ],
      targets: [],
    };
  },
};
