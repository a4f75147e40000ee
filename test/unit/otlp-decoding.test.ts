// The two OTLP encodings decoded to the same thing, from what the OpenTelemetry JS SDK serializes.
import { readFileSync } from 'node:fs';
import { JsonLogsSerializer, JsonTraceSerializer, ProtobufLogsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { generateOtlpDefinitions, OTLP_DEFINITIONS_PATH } from '../../scripts/otlp-definitions.js';
import { decodeJson } from '../../src/modules/otlp/otlp-json.js';
import { OtlpDecodeError } from '../../src/modules/otlp/otlp-model.js';
import { decodeProtobuf, decodeProtobufAnswer, encodeProtobufResponse, encodeProtobufStatus } from '../../src/modules/otlp/otlp-protobuf.js';

function sdkSpans() {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agent', 'session.id': 'resource-session' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('decoding-test');
  const span = tracer.startSpan('chat claude-sonnet-4-5', {
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.usage.input_tokens': 1200,
      'gen_ai.usage.cache_read.input_tokens': 1000,
      'gen_ai.usage.output_tokens': 80,
      'gen_ai.request.temperature': 0.5,
      'gen_ai.response.finish_reasons': ['stop'],
      streamed: true,
    },
  });
  span.end();
  return memory.getFinishedSpans();
}

function sdkLogRecords() {
  const memory = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'claude-code' }),
    processors: [new SimpleLogRecordProcessor({ exporter: memory })],
  });
  provider.getLogger('com.anthropic.claude_code.events').emit({
    body: 'claude_code.api_request',
    eventName: 'claude_code.api_request',
    attributes: { 'session.id': 'cc-1', 'event.name': 'api_request', input_tokens: '12', cache_read_tokens: '3000', output_tokens: 40 },
  });
  return memory.getFinishedLogRecords();
}

describe('the OTLP definitions', () => {
  it('are what protobufjs makes of the opentelemetry-proto files the package ships', () => {
    // On failure: `npm run otlp:definitions` and commit src/modules/otlp/otlp-definitions.json.
    expect(readFileSync(OTLP_DEFINITIONS_PATH, 'utf8')).toBe(generateOtlpDefinitions());
  });
});

describe('decoding', () => {
  it('reads the same spans from the SDK protobuf and JSON serializations', () => {
    const spans = sdkSpans();
    const fromProtobuf = decodeProtobuf('traces', ProtobufTraceSerializer.serializeRequest(spans)!);
    const fromJson = decodeJson('traces', Buffer.from(JsonTraceSerializer.serializeRequest(spans)!).toString('utf8'));

    expect(fromJson).toEqual(fromProtobuf);
    expect(fromProtobuf.signal === 'traces' && fromProtobuf.spans).toEqual([
      {
        traceId: spans[0]!.spanContext().traceId,
        spanId: spans[0]!.spanContext().spanId,
        name: 'chat claude-sonnet-4-5',
        attributes: new Map([
          ['gen_ai.operation.name', { kind: 'string', value: 'chat' }],
          ['gen_ai.usage.input_tokens', { kind: 'int', value: 1200n }],
          ['gen_ai.usage.cache_read.input_tokens', { kind: 'int', value: 1000n }],
          ['gen_ai.usage.output_tokens', { kind: 'int', value: 80n }],
          ['gen_ai.request.temperature', { kind: 'double', value: 0.5 }],
          ['gen_ai.response.finish_reasons', { kind: 'array', values: [{ kind: 'string', value: 'stop' }] }],
          ['streamed', { kind: 'bool', value: true }],
        ]),
        resource: expect.any(Map),
      },
    ]);
    expect(fromProtobuf.signal === 'traces' && fromProtobuf.spans[0]!.resource.get('session.id')).toEqual({
      kind: 'string',
      value: 'resource-session',
    });
  });

  it('reads the same log records from both serializations, event_name included', () => {
    const records = sdkLogRecords();
    const fromProtobuf = decodeProtobuf('logs', ProtobufLogsSerializer.serializeRequest(records)!);
    const fromJson = decodeJson('logs', Buffer.from(JsonLogsSerializer.serializeRequest(records)!).toString('utf8'));

    expect(fromJson).toEqual(fromProtobuf);
    const [record] = fromProtobuf.signal === 'logs' ? fromProtobuf.logRecords : [];
    expect(record).toMatchObject({ eventName: 'claude_code.api_request', body: { kind: 'string', value: 'claude_code.api_request' } });
    expect(record!.timeUnixNano).toBeGreaterThan(0n);
    expect(record!.attributes.get('output_tokens')).toEqual({ kind: 'int', value: 40n });
  });

  it('refuses truncated protobuf', () => {
    const bytes = ProtobufTraceSerializer.serializeRequest(sdkSpans())!;
    expect(() => decodeProtobuf('traces', bytes.subarray(0, bytes.length - 7))).toThrow(OtlpDecodeError);
  });

  it.each([
    ['text that is not JSON', '{"resourceSpans": ['],
    ['a wrong shape', '{"resourceSpans": {"a": 1}}'],
    ['an id that is not hex', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}'],
    ['an int64 that is not an integer', '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"intValue":"1.5"}}]}]}]}]}'],
    [
      'nesting past the limit',
      `{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":${'{"arrayValue":{"values":['.repeat(120)}${']}}'.repeat(120)}}]}]}]}]}`,
    ],
  ])('refuses JSON with %s, saying where', (_name, text) => {
    expect(() => decodeJson('traces', text)).toThrow(OtlpDecodeError);
  });

  it('ignores unknown JSON fields and reads int64 from strings and numbers', () => {
    const decoded = decodeJson(
      'traces',
      JSON.stringify({
        future: 1,
        resourceSpans: [
          {
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'AB'.repeat(16),
                    attributes: [
                      { key: 'a', value: { intValue: '9007199254740993' } },
                      { key: 'b', value: { intValue: 7 } },
                    ],
                  },
                ],
              },
            ],
          },
        ],
      }),
    );
    const [span] = decoded.signal === 'traces' ? decoded.spans : [];
    expect(span!.traceId).toBe('ab'.repeat(16));
    expect(span!.attributes.get('a')).toEqual({ kind: 'int', value: 9_007_199_254_740_993n });
    expect(span!.attributes.get('b')).toEqual({ kind: 'int', value: 7n });
  });
});

describe('protobuf answers', () => {
  it('encode partial_success only when something was rejected, and Status for failures', () => {
    expect(encodeProtobufResponse('traces').length).toBe(0);
    expect(decodeProtobufAnswer('logs', encodeProtobufResponse('logs', { rejected: 2, message: 'why' }))).toEqual({
      partialSuccess: { rejectedLogRecords: 2, errorMessage: 'why' },
    });
    expect(decodeProtobufAnswer('status', encodeProtobufStatus({ code: 3, message: 'bad' }))).toEqual({ code: 3, message: 'bad' });
  });
});
