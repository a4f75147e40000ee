// An OTLP export while the database is away: 503 with Retry-After and a protobuf Status, as
// exporters expect in order to retry; the retry once it is back counts the batch once.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeProtobufAnswer } from '../../src/modules/otlp/otlp-protobuf.js';
import { startPgCluster, type PgCluster } from '../helpers/pg-cluster.js';
import { announceSkip, eventually, startAppOn } from './support.js';

const REQUEST_DEADLINE_MS = 8000;
const skip = announceSkip('an OTLP export while the database is down');

describe.skipIf(skip)('an OTLP export while the database is down', () => {
  let cluster: PgCluster;
  let service: Awaited<ReturnType<typeof startAppOn>>;

  beforeAll(async () => {
    cluster = await startPgCluster();
    service = await startAppOn(await cluster.createDatabase('sss_fault_otlp'));
  });
  afterAll(async () => {
    await service?.close().catch(() => undefined);
    await cluster?.destroy();
  });

  it('is answered 503 with Retry-After and a protobuf Status, and the retry after the restart counts once', { timeout: 60_000 }, async () => {
    const project = await service.container.services.projects.createProject('fault-otlp');
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'agent' }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    provider
      .getTracer('fault')
      .startSpan('chat', { attributes: { 'session.id': 'outage', 'gen_ai.usage.input_tokens': 70, 'gen_ai.usage.output_tokens': 7 } })
      .end();
    const body = Buffer.from(ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans())!);
    const exportBatch = async () => {
      const res = await fetch(`${service.baseUrl}/otlp/v1/traces`, {
        method: 'POST',
        headers: { authorization: `Bearer ${project.apiKey}`, 'content-type': 'application/x-protobuf' },
        body,
        signal: AbortSignal.timeout(REQUEST_DEADLINE_MS),
      });
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        contentType: res.headers.get('content-type'),
        bytes: new Uint8Array(await res.arrayBuffer()),
      };
    };

    await cluster.stop('fast');
    const down = await exportBatch();
    expect(down).toMatchObject({ status: 503, retryAfter: '1', contentType: 'application/x-protobuf' });
    expect(decodeProtobufAnswer('status', down.bytes)).toEqual({ code: 14, message: 'The database is unavailable; retry shortly' });

    await cluster.start();
    expect(await eventually(async () => (await fetch(`${service.baseUrl}/readyz`)).status === 200, 20_000)).toBe(true);
    expect((await exportBatch()).status).toBe(200);
    expect((await exportBatch()).status).toBe(200);

    const sessions = await service.db.prisma.session.findMany({ where: { projectId: project.projectId } });
    expect(sessions.map((session) => [session.externalId, session.used])).toEqual([['outage', 77n]]);
  });
});
