// Memory per idle live event stream: 1,000 streams open on one service process, its RSS and V8
// heap before and with them open (from its /metrics).
import type { Scenario } from '../context.js';
import { table } from '../report.js';
import { measureIdleStreams } from '../sse-streams.js';

const STREAMS = 1000;
const kib = (bytes: number) => (bytes / 1024).toFixed(1);

export const streams: Scenario = {
  name: 'streams',
  async run(bench) {
    // A process of its own, admitting the streams on one key (the default is 100 per key).
    const service = await bench.startService('streams', { EVENT_STREAMS_PER_KEY: String(STREAMS) });
    const result = await measureIdleStreams({ baseUrl: service.baseUrl, apiKeys: [bench.apiKey], streams: STREAMS });
    bench.log(`streams: ${kib(result.rssBytes.perStream)} KiB RSS, ${kib(result.heapUsedBytes.perStream)} KiB heap per stream`);
    return {
      title: `live event stream: ${STREAMS} idle streams on one service process`,
      lines: table(
        ['', 'before', `${STREAMS} streams open`, 'per stream'],
        [
          ['RSS KiB', kib(result.rssBytes.before), kib(result.rssBytes.open), kib(result.rssBytes.perStream)],
          ['V8 heap used KiB', kib(result.heapUsedBytes.before), kib(result.heapUsedBytes.open), kib(result.heapUsedBytes.perStream)],
          ['opening them all, ms', '', String(result.openMs), ''],
        ],
      ),
      targets: [],
    };
  },
};
