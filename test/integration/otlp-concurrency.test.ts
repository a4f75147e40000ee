// OTLP exports racing on PostgreSQL (PGlite has one connection, so nothing there runs concurrently):
// batches that create the same external id at once, and an exporter's retries arriving together.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);
const BATCHES = 8;
const SPANS_PER_BATCH = 5;

function chatSpans(count: number, sessionName: string, inputTokens: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'racer' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('otlp-race');
  for (let i = 0; i < count; i++) {
    tracer
      .startSpan('chat', {
        attributes: { 'gen_ai.conversation.id': sessionName, 'gen_ai.usage.input_tokens': inputTokens, 'gen_ai.usage.output_tokens': 1 },
      })
      .end();
  }
  return memory.getFinishedSpans();
}

describe.skipIf(!onPostgres)('OTLP exports racing on PostgreSQL', () => {
  let t: TestApp;
  let baseUrl: string;
  beforeAll(async () => {
    t = await createTestApp({ config: { databasePoolMax: 20 } });
    baseUrl = await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = async (apiKey: string, body: Uint8Array) => {
    const res = await fetch(`${baseUrl}/otlp/v1/traces`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-protobuf' },
      body: Buffer.from(body),
    });
    return { status: res.status, bytes: (await res.arrayBuffer()).byteLength };
  };

  it('end with one session when batches naming a new external id create it at the same time, every span counted on it', async () => {
    const { apiKey, projectId } = await t.newProject();
    const batches = Array.from({ length: BATCHES }, (_, i) =>
      ProtobufTraceSerializer.serializeRequest(chatSpans(SPANS_PER_BATCH, 'born-in-a-race', 10 + i))!,
    );

    const answers = await Promise.all(batches.map((body) => post(apiKey, body)));

    // 200 with an empty body: full success, nothing rejected.
    expect(answers).toEqual(Array(BATCHES).fill({ status: 200, bytes: 0 }));
    const sessions = await t.db.prisma.session.findMany({ where: { projectId } });
    expect(sessions.map((s) => s.externalId)).toEqual(['born-in-a-race']);
    const expected = Array.from({ length: BATCHES }, (_, i) => SPANS_PER_BATCH * (10 + i + 1)).reduce((a, b) => a + b, 0);
    expect(sessions[0]!.used).toBe(BigInt(expected));
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId: sessions[0]!.id } })).toBe(BATCHES * SPANS_PER_BATCH);
    expect(await t.db.prisma.event.count({ where: { sessionId: sessions[0]!.id, type: 'session.created' } })).toBe(1);
  });

  it('count a batch once when an exporter sends it several times at once', async () => {
    const { apiKey, projectId } = await t.newProject();
    const body = ProtobufTraceSerializer.serializeRequest(chatSpans(SPANS_PER_BATCH, 'retried-at-once', 100))!;

    const answers = await Promise.all(Array.from({ length: BATCHES }, () => post(apiKey, body)));

    expect(answers).toEqual(Array(BATCHES).fill({ status: 200, bytes: 0 }));
    const [session] = await t.db.prisma.session.findMany({ where: { projectId } });
    expect(session!.used).toBe(BigInt(SPANS_PER_BATCH * 101));
    expect(await t.db.prisma.usageRecord.count({ where: { sessionId: session!.id } })).toBe(SPANS_PER_BATCH);
  });
});
