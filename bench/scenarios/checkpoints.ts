// Checkpoint writes of a 64 KiB snapshot, over 1,000 sessions: the service against LangGraph's
// PostgresSaver.put behind the minimal baseline's bare Fastify, the same body, the same connections.
import { SESSIONS, type Scenario } from '../context.js';
import { drivePosts } from '../load.js';
import { alternate } from '../measure.js';
import { LOAD_COLUMNS, loadRow, ratioRow, ratioTargets, table } from '../report.js';

const SNAPSHOT_BYTES = 64 * 1024;
/** The service may answer without the snapshot it was sent (RFC 7240); PostgresSaver.put answers a config. */
const PREFER = 'return=minimal';

export const checkpoints: Scenario = {
  name: 'checkpoints',
  async run(bench) {
    const [service, baseline, sessionIds] = await Promise.all([bench.service(), bench.baseline(), bench.sessions()]);
    // 64 entries of 1 KiB strings: a 64 KiB snapshot (a little more as JSON).
    const snapshot = Object.fromEntries(
      Array.from({ length: 64 }, (_, i) => [`k${String(i).padStart(2, '0')}`, 'x'.repeat(SNAPSHOT_BYTES / 64 - 12)]),
    );
    const body = JSON.stringify({ phase: 'bench', context_snapshot: snapshot });
    const { connections } = bench.settings;
    const results = await alternate(bench, 'checkpoints', [
      {
        name: 'service',
        cpuMs: service.cpuMs,
        run: (seconds) =>
          drivePosts({
            urls: [service.baseUrl],
            headers: { authorization: `Bearer ${bench.apiKey}`, prefer: PREFER },
            paths: sessionIds.map((id) => `/v1/sessions/${id}/checkpoints`),
            body,
            connections,
            seconds,
          }),
      },
      {
        name: 'PostgresSaver',
        cpuMs: baseline.cpuMs,
        run: (seconds) =>
          drivePosts({
            urls: [baseline.baseUrl],
            headers: {},
            paths: Array.from({ length: SESSIONS }, (_, i) => `/checkpoints/thread-${i + 1}`),
            body,
            connections,
            seconds,
          }),
      },
    ]);
    const serviceFigures = results.get('service')!;
    const saver = results.get('PostgresSaver')!;
    return {
      title: `checkpoint writes, 64 KiB snapshot, ${connections} writers over ${SESSIONS.toLocaleString('en-US')} sessions`,
      lines: [
        ...table(
          ['', ...LOAD_COLUMNS],
          [
            loadRow(`service (\`Prefer: ${PREFER}\`)`, serviceFigures),
            loadRow('PostgresSaver.put behind bare Fastify', saver),
            ratioRow('service ÷ PostgresSaver', serviceFigures, saver),
          ],
        ),
        '',
        `Both get the same ${(body.length / 1024).toFixed(0)} KiB request body; PostgresSaver stores the snapshot as one channel value (a new version each time).`,
      ],
      targets: ratioTargets('checkpoint writes, service ÷ PostgresSaver.put', serviceFigures, saver, 1.0, 1.5),
    };
  },
};
