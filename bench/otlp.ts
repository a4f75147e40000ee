// The OTLP figure: spans per second that POST /otlp/v1/traces counts when they come in batches of
// 100 (protobuf, as the OpenTelemetry SDKs send them by default), against a running service, next
// to the usage route's updates per second under the same load. Standalone: bench/run.ts may call
// driveOtlpExports() with its own server; from the command line:
//
//   npx tsx bench/otlp.ts --url http://127.0.0.1:3000 --api-key sss_... [--seconds 10] [--connections 8]
//                         [--sessions 100] [--spans-per-batch 100] [--no-usage-route]
//
// (SESSION_STATE_URL and SESSION_STATE_API_KEY stand in for --url and --api-key.) Every batch is
// new spans with fresh ids, so each span is counted, never replayed; the spans counted are read
// back from the sessions' budgets afterwards, not assumed from the 200s.
import { randomBytes, randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { encodeProtobufRequest } from '../src/modules/otlp/otlp-protobuf.js';
import { drivePosts } from './load.js';

export interface OtlpLoad {
  baseUrl: string;
  apiKey: string;
  seconds: number;
  connections: number;
  /** Sessions the spans are spread over, batch by batch (each batch is one agent's, on one session). */
  sessions?: number;
  spansPerBatch?: number;
}

export interface OtlpLoadResult {
  /** Spans counted on the sessions per second of the run. */
  spansPerSecond: number;
  /** Export requests answered 200 per second. */
  batchesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  batches: number;
  spansCounted: number;
  /** Non-2xx answers, connection errors and timeouts. */
  failures: number;
  /** The sessions the spans went to (for a comparison on the same sessions). */
  sessionIds: string[];
}

const INPUT_TOKENS_PER_SPAN = 10;
const OUTPUT_TOKENS_PER_SPAN = 1;
const TOKENS_PER_SPAN = INPUT_TOKENS_PER_SPAN + OUTPUT_TOKENS_PER_SPAN;
/** Budgets the run cannot exhaust, so every update takes the common path (no threshold crossed). */
const BENCH_BUDGET = 1_000_000_000_000;
const REQUEST_TIMEOUT_S = 10;
const PAGE_LIMIT = 200;

const stringAttribute = (key: string, value: string) => ({ key, value: { stringValue: value } });
const intAttribute = (key: string, value: number) => ({ key, value: { intValue: value } });

/** One export request: `spans` chat spans of one session, with fresh trace and span ids. */
function traceBatch(externalId: string, spans: number): Buffer {
  const traceId = randomBytes(16);
  const now = BigInt(Date.now()) * 1_000_000n;
  return Buffer.from(
    encodeProtobufRequest('traces', {
      resourceSpans: [
        {
          resource: { attributes: [stringAttribute('service.name', 'bench-agent')] },
          scopeSpans: [
            {
              scope: { name: 'bench/otlp.ts' },
              spans: Array.from({ length: spans }, () => ({
                traceId,
                spanId: randomBytes(8),
                name: 'chat bench-model',
                kind: 3,
                startTimeUnixNano: now.toString(),
                endTimeUnixNano: (now + 1_000_000n).toString(),
                attributes: [
                  stringAttribute('gen_ai.operation.name', 'chat'),
                  stringAttribute('gen_ai.request.model', 'bench-model'),
                  stringAttribute('gen_ai.conversation.id', externalId),
                  intAttribute('gen_ai.usage.input_tokens', INPUT_TOKENS_PER_SPAN),
                  intAttribute('gen_ai.usage.output_tokens', OUTPUT_TOKENS_PER_SPAN),
                ],
              })),
            },
          ],
        },
      ],
    }),
  );
}

async function api(baseUrl: string, apiKey: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${baseUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${JSON.stringify(json)}`);
  return json;
}

/** Tokens used by every session of the run's task (paged). */
async function usedByTask(baseUrl: string, apiKey: string, taskId: string): Promise<number> {
  let used = 0;
  let cursor: string | null = null;
  do {
    const page = (await api(
      baseUrl,
      apiKey,
      `/v1/sessions?task_id=${encodeURIComponent(taskId)}&limit=${PAGE_LIMIT}${cursor ? `&cursor=${cursor}` : ''}`,
    )) as { data: { token_budget: { used: number } }[]; next_cursor: string | null };
    used += page.data.reduce((sum, session) => sum + session.token_budget.used, 0);
    cursor = page.next_cursor;
  } while (cursor);
  return used;
}

/** Drives POST /otlp/v1/traces with batches of new spans for `seconds`; counts what the sessions got. */
export async function driveOtlpExports(load: OtlpLoad): Promise<OtlpLoadResult> {
  const sessions = load.sessions ?? 100;
  const spansPerBatch = load.spansPerBatch ?? 100;
  const taskId = `bench-otlp-${randomUUID()}`;
  const externalIds: string[] = [];
  const sessionIds: string[] = [];
  for (let i = 0; i < sessions; i++) {
    const externalId = `${taskId}-${i}`;
    const created = await api(load.baseUrl, load.apiKey, '/v1/sessions', {
      task_id: taskId,
      external_id: externalId,
      token_budget: { total: BENCH_BUDGET },
    });
    externalIds.push(externalId);
    sessionIds.push(created.session_id as string);
  }

  let next = 0;
  const result = await autocannon({
    url: load.baseUrl,
    connections: load.connections,
    duration: load.seconds,
    timeout: REQUEST_TIMEOUT_S,
    requests: [
      {
        method: 'POST',
        path: '/otlp/v1/traces',
        headers: { authorization: `Bearer ${load.apiKey}`, 'content-type': 'application/x-protobuf' },
        setupRequest: (request) => ({ ...request, body: traceBatch(externalIds[next++ % externalIds.length]!, spansPerBatch) }),
      },
    ],
  });

  const spansCounted = (await usedByTask(load.baseUrl, load.apiKey, taskId)) / TOKENS_PER_SPAN;
  const batches = result.requests.total - result.non2xx;
  return {
    spansPerSecond: spansCounted / result.duration,
    batchesPerSecond: batches / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    batches,
    spansCounted,
    failures: result.non2xx + result.errors + result.timeouts,
    sessionIds,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: 'string', default: process.env.SESSION_STATE_URL ?? 'http://127.0.0.1:3000' },
      'api-key': { type: 'string', default: process.env.SESSION_STATE_API_KEY },
      seconds: { type: 'string', default: '10' },
      connections: { type: 'string', default: '8' },
      sessions: { type: 'string', default: '100' },
      'spans-per-batch': { type: 'string', default: '100' },
      'no-usage-route': { type: 'boolean', default: false },
    },
  });
  const apiKey = values['api-key'];
  if (!apiKey) throw new Error('give --api-key (or SESSION_STATE_API_KEY): a project API key of the running service');
  const load = { baseUrl: values.url.replace(/\/+$/, ''), apiKey, seconds: Number(values.seconds), connections: Number(values.connections) };
  const otlp = await driveOtlpExports({ ...load, sessions: Number(values.sessions), spansPerBatch: Number(values['spans-per-batch']) });
  const lines = [
    `OTLP: ${otlp.spansPerSecond.toFixed(0)} spans/s counted (${otlp.spansCounted} spans in ${otlp.batches} batches of ${values['spans-per-batch']}, ` +
      `${otlp.batchesPerSecond.toFixed(1)} batches/s, p50 ${otlp.p50Ms} ms, p99 ${otlp.p99Ms} ms per batch, ${otlp.failures} failures)`,
  ];
  if (!values['no-usage-route']) {
    const usage = await drivePosts({
      urls: [load.baseUrl],
      connections: load.connections,
      seconds: load.seconds,
      headers: { authorization: `Bearer ${apiKey}` },
      paths: otlp.sessionIds.map((id) => `/v1/sessions/${id}/usage`),
      body: JSON.stringify({ input_tokens: INPUT_TOKENS_PER_SPAN, output_tokens: OUTPUT_TOKENS_PER_SPAN, source: 'bench' }),
    });
    const rate = usage.ops / usage.seconds;
    lines.push(
      `usage route: ${rate.toFixed(0)} updates/s (p50 ${usage.p50Ms} ms, p99 ${usage.p99Ms} ms, ${usage.failures} failures); ` +
        `OTLP counts ${(otlp.spansPerSecond / rate).toFixed(2)}× as many updates per second`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench/otlp.ts failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
