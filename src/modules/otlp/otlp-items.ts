// From a decoded export request to the usage updates it asks for: which items carry usage, which
// session each names, the item's identity (what makes a retried batch count once) and why an item
// cannot be used. Pure: the service (otlp.service.ts) does the I/O.
import { canonicalJson } from '../../lib/canonical-json.js';
import { sha256Hex } from '../../lib/hash.js';
import { SESSION_ID_PREFIX } from '../sessions/sessions.schemas.js';
import type { DecodedLogs, DecodedTraces, OtlpAttributes, OtlpLogRecord, OtlpSpan, OtlpValue } from './otlp-model.js';
import { claudeCodeTokenClasses, spanTokenClasses, type TokenClasses, type TokenMapping } from './token-classes.js';

/** A session named by an item: by its id (`sess_…`) or by its external id (anything else). */
export type SessionRef = { kind: 'id' | 'external'; value: string };

export type UsageItem =
  /** Carries no usage (most spans of a trace), or none worth counting: accepted, nothing to do. */
  | { outcome: 'ignored' }
  | { outcome: 'rejected'; label: string; reason: string }
  | {
      outcome: 'usage';
      /** How messages name the item. */
      label: string;
      session: SessionRef;
      classes: TokenClasses;
      model: string | null;
      /** Shown in the usage history: `span:<trace_id>/<span_id>` or `log:<identity>`. */
      origin: string;
      /** The Idempotency-Key the update is stored under: a retried item replays instead of counting. */
      key: string;
    };

/** Where an item's session is named, in order: the item's own attributes, then its resource's. */
export const SESSION_ATTRIBUTES = ['gen_ai.conversation.id', 'session.id'] as const;
const MAX_NAME_LENGTH = 256;

/**
 * GenAI operations whose spans sum up others (an agent or workflow run and the model calls under
 * it) or make no model call: their gen_ai.usage.* would count the same tokens twice.
 */
export const AGGREGATE_OPERATIONS: ReadonlySet<string> = new Set(['invoke_agent', 'create_agent', 'invoke_workflow', 'execute_tool']);
/** OpenLLMetry's span kinds of the same sort (`traceloop.span.kind`). */
export const AGGREGATE_TRACELOOP_KINDS: ReadonlySet<string> = new Set(['workflow', 'task', 'agent', 'tool']);

/** Claude Code names its API request events so (log body, or `event.name`, or LogRecord.event_name). */
export const CLAUDE_CODE_API_REQUEST = 'claude_code.api_request';

/** Lone UTF-16 surrogates (JSON can carry them, UTF-8 cannot) as U+FFFD, as they would be stored. */
const wellFormed = (text: string): string => text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');

const stringOf = (value: OtlpValue | undefined): string | undefined => (value?.kind === 'string' ? wellFormed(value.value) : undefined);

/** The session an item names, or why the name cannot be one; undefined when it names none. */
export function sessionRefOf(attributes: OtlpAttributes, resource: OtlpAttributes): SessionRef | { invalid: string } | undefined {
  for (const scope of [attributes, resource]) {
    for (const name of SESSION_ATTRIBUTES) {
      const value = stringOf(scope.get(name));
      if (value === undefined || value === '') continue;
      if (value.length > MAX_NAME_LENGTH) return { invalid: `${name} is longer than ${MAX_NAME_LENGTH} characters` };
      if (value.includes('\u0000')) return { invalid: `${name} contains a NUL character` };
      return { kind: value.startsWith(SESSION_ID_PREFIX) ? 'id' : 'external', value };
    }
  }
  return undefined;
}

function modelOf(attributes: OtlpAttributes, names: readonly string[]): string | null {
  for (const name of names) {
    const value = stringOf(attributes.get(name));
    if (value && value.length <= MAX_NAME_LENGTH && !value.includes('\u0000')) return value;
  }
  return null;
}

const NO_SESSION = `no session: give the ${SESSION_ATTRIBUTES.join(' or ')} attribute (on the item or its resource)`;

function usageItem(
  label: string,
  mapping: TokenMapping,
  attributes: OtlpAttributes,
  resource: OtlpAttributes,
  rest: { model: string | null; origin: string; key: string },
): UsageItem {
  if (mapping.kind === 'none') return { outcome: 'ignored' };
  if (mapping.kind === 'invalid') return { outcome: 'rejected', label, reason: mapping.reason };
  const { classes } = mapping;
  if (classes.input + classes.cacheRead + classes.cacheWrite + classes.output === 0) return { outcome: 'ignored' };
  const session = sessionRefOf(attributes, resource);
  if (session === undefined) return { outcome: 'rejected', label, reason: NO_SESSION };
  if ('invalid' in session) return { outcome: 'rejected', label, reason: session.invalid };
  return { outcome: 'usage', label, session, classes, ...rest };
}

const isId = (hex: string, length: number) => hex.length === length && !/^0+$/.test(hex);

/** One item per span; a span carries usage when it has gen_ai.usage.* counts and is no aggregate. */
export function spanItem(span: OtlpSpan): UsageItem {
  const operation = stringOf(span.attributes.get('gen_ai.operation.name'));
  const traceloopKind = stringOf(span.attributes.get('traceloop.span.kind'));
  if ((operation && AGGREGATE_OPERATIONS.has(operation)) || (traceloopKind && AGGREGATE_TRACELOOP_KINDS.has(traceloopKind)))
    return { outcome: 'ignored' };
  const mapping = spanTokenClasses(span.attributes);
  const label = `span ${span.traceId || '-'}/${span.spanId || '-'}`;
  if (mapping.kind !== 'none' && !(isId(span.traceId, 32) && isId(span.spanId, 16))) {
    return { outcome: 'rejected', label, reason: 'no valid trace_id and span_id, which identify the span so that a retry counts once' };
  }
  return usageItem(label, mapping, span.attributes, span.resource, {
    model: modelOf(span.attributes, ['gen_ai.response.model', 'gen_ai.request.model']),
    origin: `span:${span.traceId}/${span.spanId}`,
    key: `otlp:span:${span.traceId}:${span.spanId}`,
  });
}

export const spanItems = (decoded: DecodedTraces): UsageItem[] => decoded.spans.map(spanItem);

/** An attribute value as plain JSON, for hashing: ints as decimal strings, bytes as base64, non-finite doubles as strings. */
function plain(value: OtlpValue): unknown {
  switch (value.kind) {
    case 'string':
      return wellFormed(value.value);
    case 'bool':
      return value.value;
    case 'int':
      return { int: value.value.toString() };
    case 'double':
      return Number.isFinite(value.value) ? { double: value.value } : { double: String(value.value) };
    case 'bytes':
      return { bytes: Buffer.from(value.value).toString('base64') };
    case 'array':
      return value.values.map(plain);
    case 'kvlist':
      return { kvlist: plainAttributes(value.values) };
    case 'empty':
      return null;
  }
}

const plainAttributes = (attributes: OtlpAttributes) => Object.fromEntries([...attributes].map(([key, value]) => [wellFormed(key), plain(value)]));

/**
 * A log record's identity: the SHA-256 of its trace and span ids, timestamps, event name, body and
 * attributes. A retried batch carries the same record, so the same identity; two API requests differ
 * at least in their timestamps.
 */
export function logRecordIdentity(record: OtlpLogRecord): string {
  return sha256Hex(
    canonicalJson({
      trace_id: record.traceId,
      span_id: record.spanId,
      time_unix_nano: record.timeUnixNano.toString(),
      observed_time_unix_nano: record.observedTimeUnixNano.toString(),
      event_name: record.eventName,
      body: plain(record.body),
      attributes: plainAttributes(record.attributes),
    }),
  );
}

/** Whether a log record is Claude Code's `claude_code.api_request` event. */
export function isClaudeCodeApiRequest(record: OtlpLogRecord): boolean {
  const eventName = stringOf(record.attributes.get('event.name'));
  return (
    record.eventName === CLAUDE_CODE_API_REQUEST ||
    stringOf(record.body) === CLAUDE_CODE_API_REQUEST ||
    eventName === CLAUDE_CODE_API_REQUEST ||
    eventName === 'api_request'
  );
}

function timestampOf(record: OtlpLogRecord): string {
  const nanos = record.timeUnixNano || record.observedTimeUnixNano;
  const millis = Number(nanos / 1_000_000n);
  return nanos > 0n && Number.isFinite(new Date(millis).getTime()) ? new Date(millis).toISOString() : 'no time';
}

/** One item per log record; only Claude Code's API request events carry usage. */
export function logItem(record: OtlpLogRecord): UsageItem {
  if (!isClaudeCodeApiRequest(record)) return { outcome: 'ignored' };
  const identity = logRecordIdentity(record);
  return usageItem(
    `${CLAUDE_CODE_API_REQUEST} of ${timestampOf(record)}`,
    claudeCodeTokenClasses(record.attributes),
    record.attributes,
    record.resource,
    {
      model: modelOf(record.attributes, ['model']),
      origin: `log:${identity}`,
      key: `otlp:log:${identity}`,
    },
  );
}

export const logItems = (decoded: DecodedLogs): UsageItem[] => decoded.logRecords.map(logItem);
