// Memory per idle event stream: opens N idle GET /v1/events/stream connections against a running
// service and reports how much its memory grew, per stream, from its own /metrics (process RSS and
// V8 heap used), so it works against any running instance, local or not.
//
//   tsx bench/sse-streams.ts --url http://127.0.0.1:3000 --api-key sss_… [--api-key sss_…] [--streams 1000] [--metrics-token …]
//
// The service must admit the streams: EVENT_STREAMS_PER_KEY at least streams / keys (default 100
// per key per replica), e.g. start it with EVENT_STREAMS_PER_KEY=1000, or pass 10 keys.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';

export interface IdleStreamsOptions {
  baseUrl: string;
  /** Streams are spread over these keys, round robin. */
  apiKeys: readonly string[];
  /** Default 1,000. */
  streams?: number;
  /** METRICS_TOKEN of the service, when it has one. */
  metricsToken?: string;
  /** /metrics samples taken before and after opening the streams (the median counts); default 5. */
  samples?: number;
  /** Between samples; default 500 ms. */
  sampleIntervalMs?: number;
  /** Idle time before sampling with the streams open (lets the garbage of opening them be collected); default 5,000 ms. */
  settleMs?: number;
}

export interface IdleStreamsResult {
  streams: number;
  /** Median resident set size and V8 heap used before the streams, with them open, and their growth per stream. */
  rssBytes: { before: number; open: number; perStream: number };
  heapUsedBytes: { before: number; open: number; perStream: number };
  /** How long opening all the streams took (each one answered 200 and sent its first comment). */
  openMs: number;
}

const DEFAULT_STREAMS = 1000;

async function metric(baseUrl: string, metricsToken: string | undefined, name: string): Promise<number> {
  const res = await fetch(`${baseUrl}/metrics`, metricsToken ? { headers: { authorization: `Bearer ${metricsToken}` } } : {});
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  const line = (await res.text()).split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`/metrics has no ${name} (the server process exports process metrics; tests' apps do not)`);
  return Number(line.split(' ')[1]);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function sampleMemory(options: IdleStreamsOptions): Promise<{ rss: number; heapUsed: number }> {
  const rss: number[] = [];
  const heapUsed: number[] = [];
  for (let i = 0; i < (options.samples ?? 5); i++) {
    if (i > 0) await sleep(options.sampleIntervalMs ?? 500);
    rss.push(await metric(options.baseUrl, options.metricsToken, 'sss_process_resident_memory_bytes'));
    heapUsed.push(await metric(options.baseUrl, options.metricsToken, 'sss_nodejs_heap_size_used_bytes'));
  }
  return { rss: median(rss), heapUsed: median(heapUsed) };
}

/** Opens one stream and resolves once its first bytes (the opening comment) arrive; the body stays open. */
async function openStream(baseUrl: string, apiKey: string, dispatcher: Agent, signal: AbortSignal): Promise<void> {
  const res = await undiciFetch(`${baseUrl}/v1/events/stream`, { headers: { authorization: `Bearer ${apiKey}` }, dispatcher, signal });
  if (res.status !== 200 || !res.body) throw new Error(`GET /v1/events/stream answered ${res.status}: ${await res.text()}`);
  const reader = res.body.getReader();
  await reader.read();
  // Keep reading (heartbeats) so the server never sees a client that stopped reading.
  void (async () => {
    try {
      while (!(await reader.read()).done);
    } catch {
      // aborted at the end of the measurement
    }
  })();
}

export async function measureIdleStreams(options: IdleStreamsOptions): Promise<IdleStreamsResult> {
  const streams = options.streams ?? DEFAULT_STREAMS;
  if (options.apiKeys.length === 0) throw new Error('measureIdleStreams: give at least one API key');
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const before = await sampleMemory(options);
  const dispatcher = new Agent({ connections: null, pipelining: 0 });
  const abort = new AbortController();
  try {
    const started = performance.now();
    // In batches, so that the service is not asked for 1,000 connections in one instant.
    for (let i = 0; i < streams; i += 100) {
      await Promise.all(
        Array.from({ length: Math.min(100, streams - i) }, (_, j) =>
          openStream(baseUrl, options.apiKeys[(i + j) % options.apiKeys.length]!, dispatcher, abort.signal),
        ),
      );
    }
    const openMs = performance.now() - started;
    await sleep(options.settleMs ?? 5000);
    const open = await sampleMemory(options);
    return {
      streams,
      rssBytes: { before: before.rss, open: open.rss, perStream: Math.round((open.rss - before.rss) / streams) },
      heapUsedBytes: { before: before.heapUsed, open: open.heapUsed, perStream: Math.round((open.heapUsed - before.heapUsed) / streams) },
      openMs: Math.round(openMs),
    };
  } finally {
    abort.abort();
    await dispatcher.destroy();
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.SESSION_STATE_URL ?? 'http://127.0.0.1:3000' },
      'api-key': { type: 'string', multiple: true, default: process.env.SESSION_STATE_API_KEY ? [process.env.SESSION_STATE_API_KEY] : [] },
      streams: { type: 'string', default: String(DEFAULT_STREAMS) },
      'metrics-token': { type: 'string', default: process.env.METRICS_TOKEN },
    },
  });
  const result = await measureIdleStreams({
    baseUrl: values.url,
    apiKeys: values['api-key'].flatMap((key) => key.split(',')),
    streams: Number(values.streams),
    metricsToken: values['metrics-token'],
  });
  process.stdout.write(
    `${result.streams} idle event streams opened in ${result.openMs} ms\n` +
      `  RSS        ${kib(result.rssBytes.before)} → ${kib(result.rssBytes.open)}: ${kib(result.rssBytes.perStream)} per stream\n` +
      `  heap used  ${kib(result.heapUsedBytes.before)} → ${kib(result.heapUsedBytes.open)}: ${kib(result.heapUsedBytes.perStream)} per stream\n`,
  );
}
