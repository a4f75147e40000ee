// What the service reads of an OTLP export request, the same whichever encoding it came in.
// Decoders (otlp-protobuf.ts, otlp-json.ts) produce it; the mapping (otlp-items.ts) reads it.

/** An AnyValue. int64s are bigints (token counts may be written as any integer type). */
export type OtlpValue =
  | { kind: 'string'; value: string }
  | { kind: 'bool'; value: boolean }
  | { kind: 'int'; value: bigint }
  | { kind: 'double'; value: number }
  | { kind: 'bytes'; value: Uint8Array }
  | { kind: 'array'; values: OtlpValue[] }
  | { kind: 'kvlist'; values: OtlpAttributes }
  | { kind: 'empty' };

/** Attributes by key; when a key repeats (the OTLP data model forbids it), the first one counts. */
export type OtlpAttributes = ReadonlyMap<string, OtlpValue>;

export interface OtlpSpan {
  /** Lowercase hex; empty when absent. Its length is not checked here (see otlp-items.ts). */
  traceId: string;
  spanId: string;
  name: string;
  attributes: OtlpAttributes;
  resource: OtlpAttributes;
}

export interface OtlpLogRecord {
  traceId: string;
  spanId: string;
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  /** LogRecord.event_name (opentelemetry-proto v1.5+); empty when absent. */
  eventName: string;
  body: OtlpValue;
  attributes: OtlpAttributes;
  resource: OtlpAttributes;
}

export type OtlpSignal = 'traces' | 'logs';

export interface DecodedTraces {
  signal: 'traces';
  spans: OtlpSpan[];
}

export interface DecodedLogs {
  signal: 'logs';
  logRecords: OtlpLogRecord[];
}

export type DecodedExport = DecodedTraces | DecodedLogs;

/** How deep attribute values may nest (arrays and key-value lists in each other), as for JSON elsewhere. */
export const MAX_VALUE_DEPTH = 100;

/** A body that is not an export request of its signal in its encoding: a 400 for the client. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError';
}

/** Attributes from key-value pairs, keeping the first of a repeated key. */
export function attributesOf(pairs: Iterable<[string, OtlpValue]>): OtlpAttributes {
  const attributes = new Map<string, OtlpValue>();
  for (const [key, value] of pairs) if (!attributes.has(key)) attributes.set(key, value);
  return attributes;
}

export const EMPTY_VALUE: OtlpValue = Object.freeze({ kind: 'empty' });
export const NO_ATTRIBUTES: OtlpAttributes = new Map();

type Many<T> = readonly T[] | null | undefined;
interface ResourceOf<Pairs> {
  resource?: { attributes?: Pairs } | null;
}

/**
 * The spans of an ExportTraceServiceRequest (resource → scope → span), each with its resource's
 * attributes, however it was encoded: `attributes` reads an encoding's key-value list, `span`
 * the rest of one span.
 */
export function spansOf<Pairs, Span>(
  request: { resourceSpans?: Many<ResourceOf<Pairs> & { scopeSpans?: Many<{ spans?: Many<Span> }> }> },
  attributes: (pairs: Pairs | undefined) => OtlpAttributes,
  span: (span: Span) => Omit<OtlpSpan, 'resource'>,
): OtlpSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributes(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scope) => (scope.spans ?? []).map((item) => ({ ...span(item), resource })));
  });
}

/** The log records of an ExportLogsServiceRequest (resource → scope → record), as spansOf reads spans. */
export function logRecordsOf<Pairs, LogRecord>(
  request: { resourceLogs?: Many<ResourceOf<Pairs> & { scopeLogs?: Many<{ logRecords?: Many<LogRecord> }> }> },
  attributes: (pairs: Pairs | undefined) => OtlpAttributes,
  logRecord: (record: LogRecord) => Omit<OtlpLogRecord, 'resource'>,
): OtlpLogRecord[] {
  return (request.resourceLogs ?? []).flatMap((resourceLogs) => {
    const resource = attributes(resourceLogs.resource?.attributes);
    return (resourceLogs.scopeLogs ?? []).flatMap((scope) => (scope.logRecords ?? []).map((item) => ({ ...logRecord(item), resource })));
  });
}
