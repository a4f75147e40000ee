// OTLP/HTTP JSON: the proto3 JSON mapping of the same messages, with OTLP's deviations (hex trace and
// span ids, integer enums, lowerCamelCase keys only, unknown fields ignored). int64s come as decimal
// strings or numbers, doubles as numbers or "NaN"/"Infinity"/"-Infinity", bytes as base64.
import { z } from 'zod';
import { nestsDeeperThan } from '../../lib/wire.js';
import {
  attributesOf,
  EMPTY_VALUE,
  MAX_VALUE_DEPTH,
  NO_ATTRIBUTES,
  OtlpDecodeError,
  type DecodedExport,
  type OtlpAttributes,
  type OtlpSignal,
  type OtlpValue,
  logRecordsOf,
  spansOf,
} from './otlp-model.js';

/** The request's own levels above an attribute value (request → resource → scope → item → attributes → pair → value). */
const STRUCTURE_DEPTH = 8;

const HexId = z
  .string()
  .regex(/^(?:[0-9a-fA-F]{2})*$/, 'must be an even number of hex digits')
  .transform((value) => value.toLowerCase());

const Int64 = z
  .union([z.number().refine(Number.isInteger, 'must be an integer'), z.string().regex(/^-?\d{1,20}$/, 'must be a decimal integer')])
  .transform((value) => BigInt(value));

const Double = z.union([
  z.number(),
  z.enum(['NaN', 'Infinity', '-Infinity']).transform(Number),
  z
    .string()
    .regex(/^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$/, 'must be a number')
    .transform(Number),
]);

const Base64 = z
  .string()
  .regex(/^[A-Za-z0-9+/_-]*={0,2}$/, 'must be base64')
  .transform((value) => new Uint8Array(Buffer.from(value, 'base64')));

interface AnyValueJson {
  stringValue?: string | null;
  boolValue?: boolean | null;
  intValue?: bigint | null;
  doubleValue?: number | null;
  bytesValue?: Uint8Array | null;
  arrayValue?: { values?: (AnyValueJson | null)[] | null } | null;
  kvlistValue?: { values?: KeyValueJson[] | null } | null;
}
interface KeyValueJson {
  key: string;
  value?: AnyValueJson | null;
}

const AnyValue: z.ZodType<AnyValueJson, unknown> = z.lazy(() =>
  z.object({
    stringValue: z.string().nullish(),
    boolValue: z.boolean().nullish(),
    intValue: Int64.nullish(),
    doubleValue: Double.nullish(),
    bytesValue: Base64.nullish(),
    arrayValue: z.object({ values: z.array(AnyValue.nullable()).nullish() }).nullish(),
    kvlistValue: z.object({ values: z.array(KeyValue).nullish() }).nullish(),
  }),
);
const KeyValue: z.ZodType<KeyValueJson, unknown> = z.lazy(() => z.object({ key: z.string(), value: AnyValue.nullish() }));
const Attributes = z.array(KeyValue).nullish();
const Resource = z.object({ attributes: Attributes }).nullish();

const TracesRequest = z.object({
  resourceSpans: z
    .array(
      z.object({
        resource: Resource,
        scopeSpans: z
          .array(
            z.object({
              spans: z
                .array(z.object({ traceId: HexId.nullish(), spanId: HexId.nullish(), name: z.string().nullish(), attributes: Attributes }))
                .nullish(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish(),
});

const LogsRequest = z.object({
  resourceLogs: z
    .array(
      z.object({
        resource: Resource,
        scopeLogs: z
          .array(
            z.object({
              logRecords: z
                .array(
                  z.object({
                    traceId: HexId.nullish(),
                    spanId: HexId.nullish(),
                    timeUnixNano: Int64.nullish(),
                    observedTimeUnixNano: Int64.nullish(),
                    eventName: z.string().nullish(),
                    body: AnyValue.nullish(),
                    attributes: Attributes,
                  }),
                )
                .nullish(),
            }),
          )
          .nullish(),
      }),
    )
    .nullish(),
});

function valueOf(value: AnyValueJson | null | undefined): OtlpValue {
  if (!value) return EMPTY_VALUE;
  if (value.stringValue != null) return { kind: 'string', value: value.stringValue };
  if (value.boolValue != null) return { kind: 'bool', value: value.boolValue };
  if (value.intValue != null) return { kind: 'int', value: value.intValue };
  if (value.doubleValue != null) return { kind: 'double', value: value.doubleValue };
  if (value.bytesValue != null) return { kind: 'bytes', value: value.bytesValue };
  if (value.arrayValue != null) return { kind: 'array', values: (value.arrayValue.values ?? []).map(valueOf) };
  if (value.kvlistValue != null) return { kind: 'kvlist', values: attributesFrom(value.kvlistValue.values) };
  return EMPTY_VALUE;
}

function attributesFrom(pairs: KeyValueJson[] | null | undefined): OtlpAttributes {
  if (!pairs?.length) return NO_ATTRIBUTES;
  return attributesOf(pairs.map((pair) => [pair.key, valueOf(pair.value)]));
}

/** zod's first few issues as one line, e.g. `resourceSpans.0.scopeSpans.0.spans.0.traceId: must be an even number of hex digits`. */
function describeIssues(error: z.ZodError): string {
  const issues = error.issues.slice(0, 3).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  return issues.join('; ') + (error.issues.length > 3 ? `; and ${error.issues.length - 3} more` : '');
}

function parse<T>(schema: z.ZodType<T, unknown>, signal: OtlpSignal, text: string): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new OtlpDecodeError(`not JSON: ${(error as Error).message}`);
  }
  if (nestsDeeperThan(json, MAX_VALUE_DEPTH + STRUCTURE_DEPTH))
    throw new OtlpDecodeError(`the JSON nests deeper than ${MAX_VALUE_DEPTH + STRUCTURE_DEPTH} levels`);
  const result = schema.safeParse(json);
  const name = signal === 'traces' ? 'ExportTraceServiceRequest' : 'ExportLogsServiceRequest';
  if (!result.success) throw new OtlpDecodeError(`not an OTLP/JSON ${name}: ${describeIssues(result.error)}`);
  return result.data;
}

/** Decodes an OTLP/JSON export request (UTF-8 text); OtlpDecodeError when it is not one. */
export function decodeJson(signal: OtlpSignal, text: string): DecodedExport {
  if (signal === 'traces') {
    const spans = spansOf(parse(TracesRequest, signal, text), attributesFrom, (span) => ({
      traceId: span.traceId ?? '',
      spanId: span.spanId ?? '',
      name: span.name ?? '',
      attributes: attributesFrom(span.attributes),
    }));
    return { signal, spans };
  }
  const logRecords = logRecordsOf(parse(LogsRequest, signal, text), attributesFrom, (record) => ({
    traceId: record.traceId ?? '',
    spanId: record.spanId ?? '',
    timeUnixNano: record.timeUnixNano ?? 0n,
    observedTimeUnixNano: record.observedTimeUnixNano ?? 0n,
    eventName: record.eventName ?? '',
    body: valueOf(record.body),
    attributes: attributesFrom(record.attributes),
  }));
  return { signal, logRecords };
}

/** Export<Signal>ServiceResponse in JSON: `{}` on full success; int64 as a string, as proto3 JSON writes it. */
export function encodeJsonResponse(signal: OtlpSignal, partial?: { rejected: number; message: string }): string {
  if (!partial) return '{}';
  const rejectedField = signal === 'traces' ? 'rejectedSpans' : 'rejectedLogRecords';
  return JSON.stringify({ partialSuccess: { [rejectedField]: String(partial.rejected), errorMessage: partial.message } });
}

/** google.rpc.Status in JSON. */
export function encodeJsonStatus(status: { code: number; message: string }): string {
  return JSON.stringify(status);
}
