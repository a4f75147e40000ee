// OTLP/HTTP ingestion with the real OpenTelemetry JS SDK: spans and log records made by its tracer
// and logger, sent by its exporters to the listening app, counted through the usage hot path.
import { gzipSync } from 'node:zlib';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor, type ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import type { AnyValueMap } from '@opentelemetry/api-logs';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeProtobufAnswer } from '../../src/modules/otlp/otlp-protobuf.js';
import { useTestApp } from '../helpers/app.js';
import { eventsOf, thresholdEventsOf } from '../helpers/events.js';
import { apiFactories } from '../helpers/factories.js';
import { createWebhookReceiver } from '../helpers/webhook-receiver.js';

const t = useTestApp({ listen: true });

interface Exporter<T> {
  export(items: T[], done: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}
const exporters: Exporter<never>[] = [];
afterEach(async () => {
  await Promise.all(exporters.splice(0).map((exporter) => exporter.shutdown()));
});

function track<T>(exporter: Exporter<T>): Exporter<T> {
  exporters.push(exporter as Exporter<never>);
  return exporter;
}
const headersFor = (apiKey: string) => ({ Authorization: `Bearer ${apiKey}` });
const protoTraces = (apiKey: string, compression = CompressionAlgorithm.NONE) =>
  track(new OTLPProtoTraceExporter({ url: `${t.baseUrl}/otlp/v1/traces`, headers: headersFor(apiKey), compression }));
const jsonTraces = (apiKey: string) => track(new OTLPJsonTraceExporter({ url: `${t.baseUrl}/otlp/v1/traces`, headers: headersFor(apiKey) }));
const protoLogs = (apiKey: string) => track(new OTLPLogExporter({ url: `${t.baseUrl}/otlp/v1/logs`, headers: headersFor(apiKey) }));
const exportWith = <T>(exporter: Exporter<T>, items: T[]) => new Promise<ExportResult>((resolve) => exporter.export(items, resolve));

/** A tracer of the SDK whose finished spans are kept for an exporter to send. */
function tracer(resource: Attributes = {}) {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-agent', ...resource }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const sdkTracer = provider.getTracer('otlp-api-test');
  return {
    span(name: string, attributes: Attributes): ReadableSpan {
      sdkTracer.startSpan(name, { attributes }).end();
      return memory.getFinishedSpans().at(-1)!;
    },
  };
}

/** A chat span as the GenAI semantic conventions describe one. */
const chat = (usage: Attributes, session: Attributes = {}): Attributes => ({
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'anthropic',
  'gen_ai.request.model': 'claude-sonnet-4-5',
  'gen_ai.response.model': 'claude-sonnet-4-5-20250929',
  ...session,
  ...usage,
});

/** A log record as Claude Code's monitoring docs describe the `claude_code.api_request` event. */
function claudeCodeApiRequest(sessionId: string, counts: { input: number; output: number; cacheRead: number; cacheCreation: number }, sequence = 1) {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code', 'service.version': '2.0.14' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  const attributes: AnyValueMap = {
    'session.id': sessionId,
    'organization.id': 'org-4f1a',
    'user.account_uuid': 'b3b5c1d2-0000-4000-8000-000000000001',
    'app.version': '2.0.14',
    'terminal.type': 'vscode',
    'prompt.id': 'f1e2d3c4-0000-4000-8000-00000000000a',
    'event.name': 'api_request',
    'event.timestamp': '2026-12-04T12:00:00.000Z',
    'event.sequence': sequence,
    model: 'claude-sonnet-4-5-20250929',
    cost_usd: '0.0291',
    duration_ms: '4210',
    input_tokens: String(counts.input),
    output_tokens: String(counts.output),
    cache_read_tokens: String(counts.cacheRead),
    cache_creation_tokens: String(counts.cacheCreation),
  };
  provider.getLogger('com.anthropic.claude_code.events', '2.0.14').emit({ body: 'claude_code.api_request', attributes });
  return memory.getFinishedLogRecords() as ReadableLogRecord[];
}

async function usageOf(auth: Record<string, string>, sessionId: string) {
  const res = await t.http.get(`/v1/sessions/${sessionId}/usage?limit=50`).set(auth);
  expect(res.status).toBe(200);
  return res.body.data as Record<string, unknown>[];
}

async function sessionByExternalId(auth: Record<string, string>, externalId: string) {
  const res = await t.http.get('/v1/sessions').query({ external_id: externalId }).set(auth);
  expect(res.status).toBe(200);
  return res.body.data[0] as Record<string, unknown> & { session_id: string; token_budget: { used: number } };
}

/** Sends a body the way exporters do, reading the answer whatever its encoding. */
async function post(signal: 'traces' | 'logs', apiKey: string | undefined, body: Uint8Array | string, headers: Record<string, string> = {}) {
  const res = await fetch(`${t.baseUrl}/otlp/v1/${signal}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-protobuf', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers },
    body: typeof body === 'string' ? body : Buffer.from(body),
  });
  const bytes = new Uint8Array(await res.arrayBuffer());
  const contentType = res.headers.get('content-type') ?? '';
  let answer: Record<string, unknown> = {};
  if (contentType.startsWith('application/json')) answer = JSON.parse(Buffer.from(bytes).toString('utf8'));
  else if (contentType.startsWith('application/x-protobuf')) answer = decodeProtobufAnswer(res.status === 200 ? signal : 'status', bytes);
  return { status: res.status, contentType, headers: res.headers, answer };
}

const protobufOf = (spans: ReadableSpan[]) => ProtobufTraceSerializer.serializeRequest(spans)!;
const idsOf = (span: ReadableSpan) => `${span.spanContext().traceId}/${span.spanContext().spanId}`;

describe('OTLP traces from the SDK exporters', () => {
  it('count each chat span on the session it names, by session id or by external id (created on first sight)', async () => {
    const { auth, apiKey, projectId } = await t.newProject();
    const make = apiFactories(t, auth);
    const known = await make.session({ task_id: 'known' });
    const agent = tracer();
    const spans = [
      agent.span(
        'chat claude-sonnet-4-5',
        chat(
          { 'gen_ai.usage.input_tokens': 1000, 'gen_ai.usage.cache_read.input_tokens': 600, 'gen_ai.usage.output_tokens': 200 },
          { 'gen_ai.conversation.id': known.session_id },
        ),
      ),
      agent.span(
        'chat claude-sonnet-4-5',
        chat({ 'gen_ai.usage.input_tokens': 50, 'gen_ai.usage.output_tokens': 20 }, { 'session.id': 'ticket-4711' }),
      ),
      agent.span('GET /orders', { 'http.request.method': 'GET', 'http.response.status_code': 200 }),
    ];

    const result = await exportWith(protoTraces(apiKey), spans);

    expect(result).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await usageOf(auth, known.session_id)).toEqual([
      expect.objectContaining({
        tokens: 1200,
        input_tokens: 1000,
        output_tokens: 200,
        used: 1200,
        model: 'claude-sonnet-4-5-20250929',
        source: 'otlp',
        origin: `span:${idsOf(spans[0]!)}`,
      }),
    ]);
    const created = await sessionByExternalId(auth, 'ticket-4711');
    expect(created).toMatchObject({
      external_id: 'ticket-4711',
      task_id: 'ticket-4711',
      model: 'claude-sonnet-4-5-20250929',
      token_budget: { total: 200000, used: 70 },
      metadata: { created_by: 'otlp' },
      status: 'active',
    });
    expect((await eventsOf(t.db, created.session_id)).map((event) => event.type)).toEqual(['session.created']);
    expect(await t.db.prisma.usageRecord.count({ where: { projectId } })).toBe(2);
  });

  it('create the session of a span naming a model the catalog lacks with the default model; its usage keeps the name', async () => {
    const { auth, apiKey } = await t.newProject();
    const span = tracer().span(
      'chat gpt-4o',
      chat(
        {
          'gen_ai.request.model': 'gpt-4o',
          'gen_ai.response.model': 'gpt-4o-2024-08-06',
          'gen_ai.usage.input_tokens': 30,
          'gen_ai.usage.output_tokens': 5,
        },
        {
          'session.id': 'other-vendor-run',
        },
      ),
    );
    expect(await exportWith(protoTraces(apiKey), [span])).toEqual({ code: ExportResultCode.SUCCESS });
    const created = await sessionByExternalId(auth, 'other-vendor-run');
    expect(created).toMatchObject({ model: 'claude-sonnet-4-5-20250929', token_budget: { total: 200000, used: 35 } });
    expect(await usageOf(auth, created.session_id)).toEqual([expect.objectContaining({ tokens: 35, model: 'gpt-4o-2024-08-06' })]);
  });

  it('count what the JSON exporter sends the same way', async () => {
    const { auth, apiKey } = await t.newProject();
    const span = tracer().span(
      'chat',
      chat({ 'gen_ai.usage.input_tokens': 300, 'gen_ai.usage.output_tokens': 30 }, { 'gen_ai.conversation.id': 'conv-json' }),
    );

    expect(await exportWith(jsonTraces(apiKey), [span])).toEqual({ code: ExportResultCode.SUCCESS });

    const session = await sessionByExternalId(auth, 'conv-json');
    expect(await usageOf(auth, session.session_id)).toEqual([
      expect.objectContaining({ tokens: 330, input_tokens: 300, output_tokens: 30, source: 'otlp', origin: `span:${idsOf(span)}` }),
    ]);
  });

  it('count gzipped exports, and a session named on the resource', async () => {
    const { auth, apiKey } = await t.newProject();
    const agent = tracer({ 'session.id': 'resource-named' });
    const spans = [1, 2, 3].map((n) => agent.span('chat', chat({ 'gen_ai.usage.input_tokens': n * 100, 'gen_ai.usage.output_tokens': n })));

    expect(await exportWith(protoTraces(apiKey, CompressionAlgorithm.GZIP), spans)).toEqual({ code: ExportResultCode.SUCCESS });

    expect((await sessionByExternalId(auth, 'resource-named')).token_budget.used).toBe(606);
  });

  it.each([
    ['protobuf', protoTraces],
    ['JSON', jsonTraces],
  ])('count a %s batch exported twice once', async (_encoding, exporterFor) => {
    const { auth, apiKey } = await t.newProject();
    const agent = tracer();
    const spans = [
      agent.span('chat', chat({ 'gen_ai.usage.input_tokens': 400, 'gen_ai.usage.output_tokens': 40 }, { 'session.id': 'retried' })),
      agent.span('chat', chat({ 'gen_ai.usage.input_tokens': 500, 'gen_ai.usage.output_tokens': 50 }, { 'session.id': 'retried' })),
    ];
    const exporter = exporterFor(apiKey);

    expect(await exportWith(exporter, spans)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await exportWith(exporter, spans)).toEqual({ code: ExportResultCode.SUCCESS });

    const session = await sessionByExternalId(auth, 'retried');
    expect(session.token_budget.used).toBe(990);
    expect(await usageOf(auth, session.session_id)).toHaveLength(2);
  });

  it('apply the policies, write each threshold crossing once and deliver its webhook, as a usage update does, and count them in the metrics', async () => {
    const { auth, apiKey, projectId } = await t.newProject();
    const make = apiFactories(t, auth);
    const receiver = await createWebhookReceiver();
    try {
      const hook = await t.http
        .post('/v1/webhooks')
        .set(auth)
        .send({ url: `${receiver.url}/hooks`, events: ['session.threshold_crossed'] });
      expect(hook.status).toBe(201);
      const session = await make.session({ task_id: 'budgeted', token_budget: { total: 1000 }, context: { plan: 'p', temp_context: 'scratch' } });
      const agent = tracer();
      const spans = [700, 100].map((input) =>
        agent.span(
          'chat',
          chat({ 'gen_ai.usage.input_tokens': input, 'gen_ai.usage.output_tokens': 0 }, { 'gen_ai.conversation.id': session.session_id }),
        ),
      );
      const before = (await t.http.get('/metrics')).text;

      await exportWith(protoTraces(apiKey), spans);
      await exportWith(protoTraces(apiKey), spans);

      const after = await make.get(`/v1/sessions/${session.session_id}`);
      expect(after).toMatchObject({
        token_budget: { used: 800 },
        level: 'defer_non_critical',
        context: { plan: 'p' },
        deferred_context: { temp_context: 'scratch' },
      });
      expect((await thresholdEventsOf(t.db, session.session_id)).map((event) => event.data.threshold)).toEqual([75]);
      expect((await usageOf(auth, session.session_id)).map((entry) => entry.crossed)).toEqual([[75], []]);
      expect(await t.container.webhookDispatcher.tick({ projectId })).toBe(1);
      expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({
        type: 'session.threshold_crossed',
        data: { session_id: session.session_id, threshold: 75, used: 800 },
      });
      const afterMetrics = (await t.http.get('/metrics')).text;
      const counter = (text: string, sample: string) =>
        Number(
          text
            .split('\n')
            .find((line) => line.startsWith(`${sample} `))
            ?.split(' ')[1] ?? 0,
        );
      expect(counter(afterMetrics, 'sss_usage_updates_total') - counter(before, 'sss_usage_updates_total')).toBe(2);
      const crossings = 'sss_threshold_crossings_total{threshold="75"}';
      expect(counter(afterMetrics, crossings) - counter(before, crossings)).toBe(1);
    } finally {
      await receiver.close();
    }
  });
});

describe('OTLP logs from the SDK exporter', () => {
  it("count Claude Code's api_request event with its cache classes on the session its session.id names", async () => {
    const { auth, apiKey } = await t.newProject();
    const records = claudeCodeApiRequest('8f14e45f-ceea-467f-a8a1-0c1b2c3d4e5f', { input: 12, output: 845, cacheRead: 38012, cacheCreation: 1520 });

    expect(await exportWith(protoLogs(apiKey), records)).toEqual({ code: ExportResultCode.SUCCESS });
    expect(await exportWith(protoLogs(apiKey), records)).toEqual({ code: ExportResultCode.SUCCESS });

    const session = await sessionByExternalId(auth, '8f14e45f-ceea-467f-a8a1-0c1b2c3d4e5f');
    const [entry, ...more] = await usageOf(auth, session.session_id);
    expect(more).toEqual([]);
    // Input counts uncached input and both cache classes (12 + 38012 + 1520); output is 845.
    expect(entry).toMatchObject({ tokens: 40389, input_tokens: 39544, output_tokens: 845, model: 'claude-sonnet-4-5-20250929', source: 'otlp' });
    expect(entry!.origin).toMatch(/^log:[0-9a-f]{64}$/);
    // Stored in their classes and priced as such: 12×3 + 38012×0.3 + 1520×3.75 + 845×15 µ$ (Sonnet 4.5).
    expect(entry).toMatchObject({
      classes: { input: 12, cache_read: 38012, cache_write: 1520, cache_write_1h: 0, output: 845, reasoning: 0 },
      cost_usd: '0.0298146',
      price_version: 'catalog:2025-12-01',
    });
  });

  it('count two API requests of one Claude Code session twice', async () => {
    const { auth, apiKey } = await t.newProject();
    const counts = { input: 5, output: 5, cacheRead: 0, cacheCreation: 0 };
    const records = [...claudeCodeApiRequest('cc-two', counts, 1), ...claudeCodeApiRequest('cc-two', counts, 2)];

    await exportWith(protoLogs(apiKey), records);

    expect((await sessionByExternalId(auth, 'cc-two')).token_budget.used).toBe(20);
  });
});

describe('OTLP answers', () => {
  it('reject, in partial_success, a span with usage but no session, and count the rest of the batch', async () => {
    const { auth, apiKey } = await t.newProject();
    const agent = tracer();
    const orphan = agent.span('chat', chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 }));
    const counted = agent.span('chat', chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 }, { 'session.id': 'fine' }));

    const res = await post('traces', apiKey, protobufOf([orphan, counted]));

    expect(res.status).toBe(200);
    expect(res.contentType).toBe('application/x-protobuf');
    expect(res.answer).toEqual({
      partialSuccess: {
        rejectedSpans: 1,
        errorMessage: `1 × no session: give the gen_ai.conversation.id or session.id attribute (on the item or its resource) (e.g. span ${idsOf(orphan)})`,
      },
    });
    expect((await sessionByExternalId(auth, 'fine')).token_budget.used).toBe(11);
  });

  it('answer a JSON request in JSON, partial_success with its int64 as a string', async () => {
    const { apiKey, projectId } = await t.newProject();
    const span = tracer().span('chat', chat({ 'gen_ai.usage.input_tokens': -3, 'gen_ai.usage.output_tokens': 1 }, { 'session.id': 's' }));

    const res = await post('traces', apiKey, Buffer.from(JsonTraceSerializer.serializeRequest([span])!).toString('utf8'), {
      'content-type': 'application/json',
    });

    expect(res.status).toBe(200);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.answer).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: `1 × gen_ai.usage.input_tokens is negative (-3) (e.g. span ${idsOf(span)})` },
    });
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });

  it('reject negative and absurd counts, counting nothing', async () => {
    const { apiKey, projectId } = await t.newProject();
    const agent = tracer();
    const spans = [
      agent.span('chat', chat({ 'gen_ai.usage.input_tokens': -100, 'gen_ai.usage.output_tokens': 10 }, { 'session.id': 's' })),
      agent.span('chat', chat({ 'gen_ai.usage.input_tokens': 1e12, 'gen_ai.usage.output_tokens': 10 }, { 'session.id': 's' })),
      agent.span('chat', chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.cache_read.input_tokens': 50 }, { 'session.id': 's' })),
      agent.span('chat', chat({ 'gen_ai.usage.output_tokens': 2.5 }, { 'session.id': 's' })),
    ];

    const res = await post('traces', apiKey, protobufOf(spans));

    expect(res.status).toBe(200);
    expect(res.answer.partialSuccess).toMatchObject({ rejectedSpans: 4 });
    const message = (res.answer.partialSuccess as { errorMessage: string }).errorMessage;
    for (const reason of [
      'is negative (-100)',
      'more than 10000000 tokens in one call',
      'exceed gen_ai.usage.input_tokens (10)',
      'not a whole number (2.5)',
    ]) {
      expect(message).toContain(reason);
    }
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
    expect(await t.db.prisma.usageRecord.count({ where: { projectId } })).toBe(0);
  });

  it("reject another project's session id and an unknown one, touching neither", async () => {
    const owner = await t.newProject();
    const victim = await apiFactories(t, owner.auth).session({ task_id: 'private' });
    const stranger = await t.newProject();
    const agent = tracer();
    const spans = [
      agent.span(
        'chat',
        chat({ 'gen_ai.usage.input_tokens': 90000, 'gen_ai.usage.output_tokens': 1 }, { 'gen_ai.conversation.id': victim.session_id }),
      ),
      agent.span(
        'chat',
        chat(
          { 'gen_ai.usage.input_tokens': 1, 'gen_ai.usage.output_tokens': 1 },
          { 'gen_ai.conversation.id': 'sess_00000000000000000000000000000000' },
        ),
      ),
    ];

    const res = await post('traces', stranger.apiKey, protobufOf(spans));

    expect(res.answer.partialSuccess).toMatchObject({ rejectedSpans: 2 });
    expect((res.answer.partialSuccess as { errorMessage: string }).errorMessage).toContain(
      `session ${victim.session_id} does not exist in this project`,
    );
    const untouched = await t.db.prisma.session.findUniqueOrThrow({ where: { id: victim.session_id } });
    expect(untouched.used).toBe(0n);
    expect(untouched.version).toBe(1);
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId: victim.session_id } })).toBe(0);
    expect(await t.db.prisma.session.count({ where: { projectId: stranger.projectId } })).toBe(0);
  });

  it('reject usage for an archived session, but not a retry of what was counted before it was archived', async () => {
    const { auth, apiKey } = await t.newProject();
    const make = apiFactories(t, auth);
    const session = await make.session({ task_id: 'done' });
    const agent = tracer();
    const early = agent.span(
      'chat',
      chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 }, { 'gen_ai.conversation.id': session.session_id }),
    );
    await post('traces', apiKey, protobufOf([early]));
    expect((await t.http.post(`/v1/sessions/${session.session_id}/archive`).set(auth).send({})).status).toBe(200);
    const late = agent.span(
      'chat',
      chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 }, { 'gen_ai.conversation.id': session.session_id }),
    );

    const res = await post('traces', apiKey, protobufOf([early, late]));

    expect(res.answer.partialSuccess).toMatchObject({ rejectedSpans: 1 });
    expect((res.answer.partialSuccess as { errorMessage: string }).errorMessage).toMatch(new RegExp(`archived.*e\\.g\\. span ${idsOf(late)}`));
    expect((await make.get(`/v1/sessions/${session.session_id}`)).token_budget.used).toBe(11);
  });

  it('reject an item sent again with other counts', async () => {
    const { auth, apiKey } = await t.newProject();
    const span = tracer().span('chat', chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 }, { 'session.id': 'changed' }));
    const body = JSON.parse(Buffer.from(JsonTraceSerializer.serializeRequest([span])!).toString('utf8'));
    await post('traces', apiKey, JSON.stringify(body), { 'content-type': 'application/json' });
    const attributes = body.resourceSpans[0].scopeSpans[0].spans[0].attributes as { key: string; value: { intValue?: number } }[];
    attributes.find((attribute) => attribute.key === 'gen_ai.usage.input_tokens')!.value = { intValue: 9999 };

    const res = await post('traces', apiKey, JSON.stringify(body), { 'content-type': 'application/json' });

    expect(res.answer).toMatchObject({ partialSuccess: { rejectedSpans: '1' } });
    expect((await sessionByExternalId(auth, 'changed')).token_budget.used).toBe(11);
  });

  it('answer truncated protobuf with 400 and a protobuf Status, counting nothing', async () => {
    const { apiKey, projectId } = await t.newProject();
    const bytes = protobufOf([
      tracer().span('chat', chat({ 'gen_ai.usage.input_tokens': 10, 'gen_ai.usage.output_tokens': 1 }, { 'session.id': 's' })),
    ]);

    const res = await post('traces', apiKey, bytes.subarray(0, bytes.length - 9));

    expect(res.status).toBe(400);
    expect(res.contentType).toBe('application/x-protobuf');
    expect(res.answer).toMatchObject({ code: 3, message: expect.stringContaining('not a protobuf ExportTraceServiceRequest') });
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/json; charset=utf-16', '{}'],
    ['application/protobuf', 'x'],
  ])('answer Content-Type %s with 415 and a JSON Status', async (contentType, body) => {
    const { apiKey } = await t.newProject();
    const res = await post('traces', apiKey, body, { 'content-type': contentType });

    expect(res.status).toBe(415);
    expect(res.contentType).toMatch(/^application\/json/);
    expect(res.answer).toMatchObject({ code: 3, message: expect.stringMatching(/Content-Type|media type/i) });
  });

  it('answer JSON that is no export request with 400 in JSON', async () => {
    const { apiKey } = await t.newProject();
    const res = await post('logs', apiKey, '{"resourceLogs": 3}', { 'content-type': 'application/json' });

    expect(res.status).toBe(400);
    expect(res.answer).toMatchObject({
      code: 3,
      message: 'not an OTLP/JSON ExportLogsServiceRequest: resourceLogs: Invalid input: expected array, received number',
    });
  });

  it('answer a missing or unknown API key with 401 in the request encoding', async () => {
    const noKey = await post('traces', undefined, new Uint8Array());
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get('www-authenticate')).toBe('Bearer');
    expect(noKey.answer).toEqual({ code: 16, message: 'send Authorization: Bearer <api key>' });
    const wrongKey = await post('logs', 'sss_not_a_key', '{}', { 'content-type': 'application/json' });
    expect(wrongKey.status).toBe(401);
    expect(wrongKey.answer).toEqual({ code: 16, message: 'the API key is unknown, revoked or expired' });
  });

  it('answer gzip that is not gzip with 400, and another Content-Encoding with 415', async () => {
    const { apiKey } = await t.newProject();
    const notGzip = await post('traces', apiKey, 'plain bytes', { 'content-encoding': 'gzip' });
    expect(notGzip.status).toBe(400);
    expect(notGzip.answer.message).toMatch(/not valid gzip/);
    const brotli = await post('traces', apiKey, 'x', { 'content-encoding': 'br' });
    expect(brotli.status).toBe(415);
    expect(brotli.answer.message).toBe('Content-Encoding "br" is not supported: send gzip or identity');
  });

  it('accept an empty request, gzipped or not', async () => {
    const { apiKey } = await t.newProject();
    expect(await post('traces', apiKey, new Uint8Array())).toMatchObject({ status: 200, answer: {} });
    expect(await post('logs', apiKey, gzipSync(Buffer.alloc(0)), { 'content-encoding': 'gzip' })).toMatchObject({ status: 200, answer: {} });
    expect(await post('logs', apiKey, '{}', { 'content-type': 'application/json' })).toMatchObject({ status: 200, answer: {} });
  });

  it('ignore log records that are not Claude Code API requests, and spans without usage', async () => {
    const { apiKey, projectId } = await t.newProject();
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({ processors: [new SimpleLogRecordProcessor({ exporter: memory })] });
    provider.getLogger('app').emit({ body: 'user logged in', attributes: { 'session.id': 'web-1', input_tokens: 5 } });

    const logs = await post('logs', apiKey, ProtobufLogsSerializer.serializeRequest(memory.getFinishedLogRecords())!);
    const traces = await post(
      'traces',
      apiKey,
      protobufOf([tracer().span('SELECT orders', { 'db.system.name': 'postgresql', 'session.id': 'web-1' })]),
    );

    expect(logs).toMatchObject({ status: 200, answer: {} });
    expect(traces).toMatchObject({ status: 200, answer: {} });
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });
});
