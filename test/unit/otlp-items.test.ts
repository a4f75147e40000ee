import { describe, expect, it } from 'vitest';
import type { OtlpAttributes, OtlpLogRecord, OtlpSpan, OtlpValue } from '../../src/modules/otlp/otlp-model.js';
import { logItem, logRecordIdentity, sessionRefOf, spanItem } from '../../src/modules/otlp/otlp-items.js';

const str = (value: string): OtlpValue => ({ kind: 'string', value });
const int = (value: number): OtlpValue => ({ kind: 'int', value: BigInt(value) });
const attrs = (entries: Record<string, OtlpValue> = {}): OtlpAttributes => new Map(Object.entries(entries));
const TRACE_ID = '5b8efff798038103d269b633813fc60c';
const SPAN_ID = 'eee19b7ec3c1b174';
const USAGE = { 'gen_ai.usage.input_tokens': int(100), 'gen_ai.usage.output_tokens': int(20) };

function span(
  attributes: Record<string, OtlpValue>,
  resource: Record<string, OtlpValue> = {},
  ids = { traceId: TRACE_ID, spanId: SPAN_ID },
): OtlpSpan {
  return { ...ids, name: 'chat', attributes: attrs(attributes), resource: attrs(resource) };
}

function logRecord(overrides: Partial<OtlpLogRecord> = {}, attributes: Record<string, OtlpValue> = {}): OtlpLogRecord {
  return {
    traceId: '',
    spanId: '',
    timeUnixNano: 1_767_225_600_000_000_000n,
    observedTimeUnixNano: 1_767_225_600_000_100_000n,
    eventName: '',
    body: str('claude_code.api_request'),
    attributes: attrs({ 'session.id': str('cc-1'), input_tokens: str('10'), output_tokens: str('5'), ...attributes }),
    resource: attrs(),
    ...overrides,
  };
}

describe('sessionRefOf', () => {
  it.each<[string, Record<string, OtlpValue>, Record<string, OtlpValue>, unknown]>([
    [
      'gen_ai.conversation.id before session.id',
      { 'session.id': str('s'), 'gen_ai.conversation.id': str('c') },
      {},
      { kind: 'external', value: 'c' },
    ],
    [
      "the item's session.id before the resource's gen_ai.conversation.id",
      { 'session.id': str('s') },
      { 'gen_ai.conversation.id': str('c') },
      { kind: 'external', value: 's' },
    ],
    ['the resource when the item names none', {}, { 'session.id': str('r') }, { kind: 'external', value: 'r' }],
    ['a sess_ value is a session id', { 'gen_ai.conversation.id': str('sess_0123') }, {}, { kind: 'id', value: 'sess_0123' }],
    [
      'empty and non-string values name nothing',
      { 'gen_ai.conversation.id': str(''), 'session.id': int(7) },
      { 'session.id': str('r') },
      { kind: 'external', value: 'r' },
    ],
    ['nothing at all', {}, {}, undefined],
  ])('%s', (_name, attributes, resource, expected) => {
    expect(sessionRefOf(attrs(attributes), attrs(resource))).toEqual(expected);
  });

  it('refuses names that no session could have', () => {
    expect(sessionRefOf(attrs({ 'session.id': str('x'.repeat(257)) }), attrs())).toEqual({ invalid: 'session.id is longer than 256 characters' });
    expect(sessionRefOf(attrs({ 'session.id': str('a\u0000b') }), attrs())).toEqual({ invalid: 'session.id contains a NUL character' });
  });
});

describe('spanItem', () => {
  it('maps a chat span to one usage update, keyed by its trace and span ids', () => {
    expect(spanItem(span({ ...USAGE, 'gen_ai.conversation.id': str('conv-1'), 'gen_ai.response.model': str('gpt-4o-2024-08-06') }))).toEqual({
      outcome: 'usage',
      label: `span ${TRACE_ID}/${SPAN_ID}`,
      session: { kind: 'external', value: 'conv-1' },
      classes: { input: 100, cacheRead: 0, cacheWrite: 0, output: 20, reasoning: 0 },
      model: 'gpt-4o-2024-08-06',
      origin: `span:${TRACE_ID}/${SPAN_ID}`,
      key: `otlp:span:${TRACE_ID}:${SPAN_ID}`,
    });
  });

  it('takes the request model when the response names none', () => {
    const item = spanItem(span({ ...USAGE, 'session.id': str('s'), 'gen_ai.request.model': str('claude-sonnet-4-5') }));
    expect(item.outcome === 'usage' && item.model).toBe('claude-sonnet-4-5');
  });

  it.each([
    ['a span without usage', span({ 'http.method': str('GET') })],
    ['an agent run, whose usage sums its model calls', span({ ...USAGE, 'gen_ai.operation.name': str('invoke_agent'), 'session.id': str('s') })],
    ['a tool call', span({ ...USAGE, 'gen_ai.operation.name': str('execute_tool'), 'session.id': str('s') })],
    ['an OpenLLMetry workflow span', span({ ...USAGE, 'traceloop.span.kind': str('workflow'), 'session.id': str('s') })],
    ['a span of zero tokens', span({ 'gen_ai.usage.input_tokens': int(0), 'gen_ai.usage.output_tokens': int(0), 'session.id': str('s') })],
  ])('ignores %s', (_name, item) => {
    expect(spanItem(item)).toEqual({ outcome: 'ignored' });
  });

  it.each([
    ['a span with usage but no session', span(USAGE), 'no session: give the gen_ai.conversation.id or session.id attribute'],
    ['a span without ids', span({ ...USAGE, 'session.id': str('s') }, {}, { traceId: '', spanId: '' }), 'no valid trace_id and span_id'],
    [
      'a span with an all-zero trace id',
      span({ ...USAGE, 'session.id': str('s') }, {}, { traceId: '0'.repeat(32), spanId: SPAN_ID }),
      'no valid trace_id',
    ],
    ['a span with a negative count', span({ 'gen_ai.usage.input_tokens': int(-1), 'session.id': str('s') }), 'is negative'],
  ])('rejects %s', (_name, item, reason) => {
    const result = spanItem(item);
    expect(result.outcome).toBe('rejected');
    expect(result.outcome === 'rejected' && result.reason).toContain(reason);
  });
});

describe('logItem', () => {
  it("maps Claude Code's api_request event, with its cache classes, to one update on its session.id", () => {
    const item = logItem(logRecord({}, { cache_read_tokens: str('300'), cache_creation_tokens: str('40'), model: str('claude-opus-4-5-20251101') }));
    expect(item).toMatchObject({
      outcome: 'usage',
      label: 'claude_code.api_request of 2026-01-01T00:00:00.000Z',
      session: { kind: 'external', value: 'cc-1' },
      classes: { input: 10, cacheRead: 300, cacheWrite: 40, output: 5, reasoning: 0 },
      model: 'claude-opus-4-5-20251101',
    });
    expect(item.outcome === 'usage' && item.origin).toMatch(/^log:[0-9a-f]{64}$/);
  });

  it.each([
    ['its body', logRecord()],
    ['event.name', logRecord({ body: { kind: 'empty' } }, { 'event.name': str('api_request') })],
    ['LogRecord.event_name', logRecord({ body: { kind: 'empty' }, eventName: 'claude_code.api_request' })],
  ])('recognises the event by %s', (_name, record) => {
    expect(logItem(record).outcome).toBe('usage');
  });

  it('ignores every other log record', () => {
    expect(logItem(logRecord({ body: str('claude_code.tool_result') }))).toEqual({ outcome: 'ignored' });
    expect(logItem(logRecord({ body: str('GET /health 200') }))).toEqual({ outcome: 'ignored' });
  });
});

describe('logRecordIdentity', () => {
  it('is the same for the same record sent again, whatever order its attributes come in', () => {
    const record = logRecord({}, { 'event.sequence': int(3), prompt: str('x') });
    const reordered = { ...record, attributes: new Map([...record.attributes].reverse()) };
    expect(logRecordIdentity(reordered)).toBe(logRecordIdentity(record));
  });

  it('differs between two calls that differ in time, attributes or trace context', () => {
    const record = logRecord();
    const others = [
      logRecord({ timeUnixNano: record.timeUnixNano + 1n }),
      logRecord({ observedTimeUnixNano: record.observedTimeUnixNano + 1n }),
      logRecord({}, { output_tokens: str('6') }),
      logRecord({ traceId: TRACE_ID, spanId: SPAN_ID }),
      // An int and the string of its digits are different values.
      logRecord({}, { input_tokens: int(10) }),
    ];
    const identities = new Set([record, ...others].map(logRecordIdentity));
    expect(identities.size).toBe(others.length + 1);
  });

  it('copes with values that JSON cannot carry (lone surrogates, NaN)', () => {
    const record = logRecord({}, { odd: str('\uD800'), nan: { kind: 'double', value: Number.NaN } });
    expect(logRecordIdentity(record)).toMatch(/^[0-9a-f]{64}$/);
  });
});
