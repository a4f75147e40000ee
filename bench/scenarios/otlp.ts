// OTLP ingest: spans per second counted through POST /otlp/v1/traces in batches of 100 (each span
// one usage update, deduplicated by trace and span id), next to the usage route's updates per
// second on the same sessions. No baseline: the figure says what telemetry costs against REST.
import type { Scenario } from '../context.js';
import { driveOtlpExports } from '../otlp.js';
import { drivePosts } from '../load.js';
import { ms, table } from '../report.js';

const SPANS_PER_BATCH = 100;

export const otlp: Scenario = {
  name: 'otlp',
  async run(bench) {
    const service = await bench.service();
    const { seconds, connections } = bench.settings;
    const load = { baseUrl: service.baseUrl, apiKey: bench.apiKey, seconds, connections };
    const spans = await driveOtlpExports({ ...load, spansPerBatch: SPANS_PER_BATCH });
    const usage = await drivePosts({
      urls: [service.baseUrl],
      connections,
      seconds,
      headers: { authorization: `Bearer ${bench.apiKey}` },
      paths: spans.sessionIds.map((id) => `/v1/sessions/${id}/usage`),
      body: JSON.stringify({ input_tokens: 10, output_tokens: 1, source: 'bench' }),
    });
    const usageRate = usage.ops / usage.seconds;
    bench.log(`otlp: ${spans.spansPerSecond.toFixed(0)} spans/s, usage route ${usageRate.toFixed(0)} updates/s`);
    return {
      title: `OTLP ingest: spans in batches of ${SPANS_PER_BATCH} against single usage updates, ${connections} connections`,
      lines: table(
        ['', 'usage updates/s', 'requests/s', 'p50 ms', 'p99 ms', 'failed'],
        [
          [
            'POST /otlp/v1/traces (protobuf)',
            spans.spansPerSecond.toFixed(0),
            spans.batchesPerSecond.toFixed(1),
            ms(spans.p50Ms),
            ms(spans.p99Ms),
            spans.failures,
          ],
          ['POST /v1/sessions/{id}/usage', usageRate.toFixed(0), usageRate.toFixed(0), ms(usage.p50Ms), ms(usage.p99Ms), usage.failures],
          ['**spans ÷ usage updates**', `**${(spans.spansPerSecond / usageRate).toFixed(2)}×**`, '', '', '', ''],
        ],
      ),
      targets: [],
    };
  },
};
