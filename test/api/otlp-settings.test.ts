// The OTLP settings: OTLP_CREATE_SESSIONS off, OTLP_BODY_LIMIT_BYTES (gzip bombs included), and
// the per-key rate limit answered as OTLP exporters expect (429 with Retry-After).
import { gzipSync } from 'node:zlib';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import type { Attributes } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufAnswer } from '../../src/modules/otlp/otlp-protobuf.js';
import { createTestApp, useTestApp, type TestApp } from '../helpers/app.js';
import { apiFactories } from '../helpers/factories.js';

const BODY_LIMIT_BYTES = 64 * 1024;
const t = useTestApp({ config: { otlpCreateSessions: false, otlpBodyLimitBytes: BODY_LIMIT_BYTES } });

function spans(attributesOfEach: Attributes[]): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('otlp-settings-test');
  for (const attributes of attributesOfEach) tracer.startSpan('chat', { attributes }).end();
  return memory.getFinishedSpans();
}

async function exportTraces(app: TestApp, apiKey: string, body: Uint8Array, headers: Record<string, string> = {}) {
  const res = await app.http
    .post('/otlp/v1/traces')
    .set({ authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-protobuf', ...headers })
    .send(Buffer.from(body))
    .buffer(true)
    .parse((response, done) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => done(null, Buffer.concat(chunks)));
    });
  const bytes = res.body as Buffer;
  return { status: res.status, headers: res.headers, answer: decodeProtobufAnswer(res.status === 200 ? 'traces' : 'status', bytes) };
}

const usage = (session: Attributes) => ({ 'gen_ai.usage.input_tokens': 100, 'gen_ai.usage.output_tokens': 10, ...session });

describe('OTLP_CREATE_SESSIONS=false', () => {
  it('rejects items naming an unknown external id, creating nothing, and counts those naming a session that has it', async () => {
    const { auth, apiKey, projectId } = await t.newProject();
    const existing = await apiFactories(t, auth).session({ task_id: 'x', external_id: 'known-conversation' });

    const res = await exportTraces(
      t,
      apiKey,
      ProtobufTraceSerializer.serializeRequest(
        spans([usage({ 'gen_ai.conversation.id': 'known-conversation' }), usage({ 'gen_ai.conversation.id': 'stranger' })]),
      )!,
    );

    expect(res.status).toBe(200);
    expect(res.answer.partialSuccess).toMatchObject({ rejectedSpans: 1 });
    expect((res.answer.partialSuccess as { errorMessage: string }).errorMessage).toContain(
      'no session has the external_id "stranger" (OTLP_CREATE_SESSIONS is off)',
    );
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(1);
    expect((await t.db.prisma.session.findUniqueOrThrow({ where: { id: existing.session_id } })).used).toBe(110n);
  });
});

describe('OTLP_BODY_LIMIT_BYTES', () => {
  it('answers a body larger than the limit with 413, counting nothing', async () => {
    const { apiKey, projectId } = await t.newProject();
    const big = spans([usage({ 'session.id': 's', padding: 'x'.repeat(BODY_LIMIT_BYTES) })]);

    const res = await exportTraces(t, apiKey, ProtobufTraceSerializer.serializeRequest(big)!);

    expect(res.status).toBe(413);
    expect(res.answer).toMatchObject({ code: 8 });
    expect(await t.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });

  it('answers a gzip bomb with 413: decompression stops at the limit', async () => {
    const { apiKey } = await t.newProject();
    // 64 MiB of zeros, about 64 KiB gzipped: under the limit as sent, a thousand times over it inflated.
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    expect(bomb.length).toBeLessThan(BODY_LIMIT_BYTES);

    const res = await exportTraces(t, apiKey, bomb, { 'content-encoding': 'gzip' });

    expect(res.status).toBe(413);
    expect(res.answer).toEqual({ code: 8, message: `the body decompresses to more than ${BODY_LIMIT_BYTES} bytes (OTLP_BODY_LIMIT_BYTES)` });
  });

  it('takes a gzipped body under the limit once inflated', async () => {
    const { auth, apiKey } = await t.newProject();
    await apiFactories(t, auth).session({ task_id: 'x', external_id: 'zipped' });
    const body = gzipSync(ProtobufTraceSerializer.serializeRequest(spans([usage({ 'session.id': 'zipped' })]))!);

    const res = await exportTraces(t, apiKey, body, { 'content-encoding': 'gzip' });

    expect(res).toMatchObject({ status: 200, answer: {} });
  });
});

describe('the per-key rate limit on /otlp', () => {
  let limited: TestApp;
  beforeAll(async () => {
    limited = await createTestApp({ config: { rateLimitMax: 2, rateLimitWindowMs: 60_000 } });
  });
  afterAll(async () => {
    await limited?.close();
  });

  it('answers past RATE_LIMIT_MAX with 429, Retry-After and a Status, counting nothing', async () => {
    const { apiKey, projectId } = await limited.newProject();
    const empty = new Uint8Array();
    expect((await exportTraces(limited, apiKey, empty)).status).toBe(200);
    expect((await exportTraces(limited, apiKey, empty)).status).toBe(200);

    const res = await exportTraces(limited, apiKey, ProtobufTraceSerializer.serializeRequest(spans([usage({ 'session.id': 'too-many' })]))!);

    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(res.answer).toMatchObject({ code: 8, message: expect.stringContaining('more than 2 requests') });
    expect(await limited.db.prisma.session.count({ where: { projectId } })).toBe(0);
  });
});
