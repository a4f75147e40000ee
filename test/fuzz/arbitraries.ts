// fast-check arbitraries for the API fuzzer: values derived from the OpenAPI (JSON Schema 2020-12)
// schemas the app generates from its zod schemas, values that break them, and mutations of both.
import fc from 'fast-check';

export type JsonSchema = Record<string, unknown>;

export interface SchemaContext {
  /** Resolves `#/components/schemas/X`. */
  resolve: (ref: string) => JsonSchema;
  /** Ids and names of real resources, mixed into string fields so that requests reach past the 404s. */
  known: readonly string[];
  /** Real values for fields of these names (`session_id` → session ids), drawn more often. */
  hints?: Readonly<Record<string, readonly string[]>>;
}

const MAX_GENERATED_ITEMS = 4;
const MAX_GENERATED_LENGTH = 40;
const MAX_DEPTH = 4;

/** Strings that tend to break parsers, databases and length checks. */
export const weirdStrings: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\uD800',
  'x\uDFFFy',
  '\u202E\u0301',
  '\uFEFF',
  '😀'.repeat(257),
  'é'.repeat(256),
  'x'.repeat(257),
  'x'.repeat(20_000),
  'NaN',
  'Infinity',
  '-Infinity',
  '1e309',
  '-1',
  '0x10',
  'null',
  'true',
  '{}',
  '[]',
  '__proto__',
  'constructor',
  'prototype',
  '%00',
  '%ZZ',
  '../../etc/passwd',
  "' OR '1'='1' --",
  '$1',
  '\\',
  '"',
  '*',
  '\r\n',
  '\t',
  'sess_00000000000000000000000000000000',
  'ckpt_',
  'SELECT pg_sleep(0)',
];

/** Numbers at and beyond the documented bounds: token counts are 1..10^7 per update, budgets up to 10^12. */
export const boundaryNumbers: readonly number[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  1.5,
  -1.5,
  99.999,
  100,
  101,
  200,
  201,
  255,
  256,
  1e7,
  1e7 + 1,
  1e12,
  1e12 + 1,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e300,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  1e-7,
];

function nested(depth: number, leaf: unknown, kind: 'array' | 'object'): unknown {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** Any JSON value a client might send where something else was expected. */
export const chaosValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...weirdStrings) },
  { weight: 4, arbitrary: fc.constantFrom(...boundaryNumbers) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 30 }) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(fc.constantFrom(...weirdStrings), { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(20, 200, 1500), fc.constantFrom<'array' | 'object'>('array', 'object'))
      .map(([depth, kind]) => nested(depth, 1, kind)),
  },
);

const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);

function integerArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const exclusiveMin = num(schema.exclusiveMinimum);
  const exclusiveMax = num(schema.exclusiveMaximum);
  const min = Math.max(num(schema.minimum) ?? (exclusiveMin !== undefined ? exclusiveMin + 1 : -1e6), Number.MIN_SAFE_INTEGER);
  const max = Math.min(num(schema.maximum) ?? (exclusiveMax !== undefined ? exclusiveMax - 1 : 1e6), Number.MAX_SAFE_INTEGER);
  const bounds = [min, max, min + 1, max - 1].filter((n) => n >= min && n <= max);
  return fc.oneof(
    { weight: 3, arbitrary: fc.bigInt({ min: BigInt(Math.ceil(min)), max: BigInt(Math.floor(max)) }).map(Number) },
    { weight: 1, arbitrary: fc.constantFrom(...bounds) },
  );
}

function numberArbitrary(schema: JsonSchema): fc.Arbitrary<number> {
  const min = num(schema.minimum) ?? num(schema.exclusiveMinimum) ?? -1e6;
  const max = num(schema.maximum) ?? num(schema.exclusiveMaximum) ?? 1e6;
  return fc
    .double({ min, max, noNaN: true, noDefaultInfinity: true })
    .filter((n) => (schema.exclusiveMinimum === undefined || n > min) && (schema.exclusiveMaximum === undefined || n < max));
}

function stringArbitrary(schema: JsonSchema, ctx: SchemaContext): fc.Arbitrary<string> {
  const minLength = num(schema.minLength) ?? 0;
  const maxLength = num(schema.maxLength) ?? 10_000;
  const fits = (s: string) => s.length >= minLength && s.length <= maxLength;
  if (schema.format === 'date-time') return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString());
  if (schema.format === 'uri') return fc.webUrl({ withQueryParameters: true }).filter(fits);
  if (typeof schema.pattern === 'string') return fc.stringMatching(new RegExp(schema.pattern)).filter(fits);
  const generated = fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, Math.min(maxLength, MAX_GENERATED_LENGTH)) });
  const known = ctx.known.filter(fits);
  const edges = [minLength, maxLength]
    .filter((n) => n <= 20_000)
    .map((n) => 'k'.repeat(n))
    .filter(fits);
  return fc.oneof(
    { weight: 3, arbitrary: generated.filter(fits) },
    ...(known.length ? [{ weight: 3, arbitrary: fc.constantFrom(...known) }] : []),
    ...(edges.length ? [{ weight: 1, arbitrary: fc.constantFrom(...edges) }] : []),
  );
}

function objectArbitrary(schema: JsonSchema, ctx: SchemaContext, depth: number): fc.Arbitrary<unknown> {
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = asArray(schema.required) as string[];
  const model: Record<string, fc.Arbitrary<unknown>> = Object.fromEntries(
    Object.entries(properties).map(([key, child]) => {
      const value = arbitraryFor(child, ctx, depth + 1);
      const hinted = ctx.hints?.[key];
      return [key, hinted?.length ? fc.oneof({ weight: 2, arbitrary: fc.constantFrom(...hinted) }, { weight: 1, arbitrary: value }) : value];
    }),
  );
  const requiredKeys = required.filter((key) => key in model);
  const optionalKeys = Object.keys(model).filter((key) => !requiredKeys.includes(key));
  // Optional fields often exclude each other (tokens or input_tokens + output_tokens): mostly few of them.
  const declared = fc
    .oneof(
      { weight: 3, arbitrary: fc.subarray(optionalKeys, { maxLength: Math.min(2, optionalKeys.length) }) },
      { weight: 1, arbitrary: fc.subarray(optionalKeys) },
    )
    .chain((keys) => fc.record(Object.fromEntries([...requiredKeys, ...keys].map((key) => [key, model[key]!]))));
  const extra = schema.additionalProperties;
  if (extra === undefined || extra === false || Object.keys(properties).length > 0) return declared;
  // A map (zod record): random keys with values of the given schema.
  const values = extra === true ? fc.jsonValue({ maxDepth: 2 }) : arbitraryFor(extra as JsonSchema, ctx, depth + 1);
  return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), values, { maxKeys: MAX_GENERATED_ITEMS });
}

/** Values that satisfy `schema` (as far as JSON Schema says), drawn towards its edges and real ids. */
export function arbitraryFor(schema: JsonSchema, ctx: SchemaContext, depth = 0): fc.Arbitrary<unknown> {
  if (typeof schema.$ref === 'string') return arbitraryFor(ctx.resolve(schema.$ref), ctx, depth);
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = asArray(schema.anyOf ?? schema.oneOf) as JsonSchema[];
  if (alternatives.length) return fc.oneof(...alternatives.map((alt) => arbitraryFor(alt, ctx, depth)));
  if (Array.isArray(schema.allOf) && schema.allOf.length) return arbitraryFor(schema.allOf[0] as JsonSchema, ctx, depth);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => arbitraryFor({ ...schema, type }, ctx, depth)));
  if (depth > MAX_DEPTH && types[0] !== 'string') return fc.constant({});
  switch (types[0]) {
    case 'object':
      return objectArbitrary(schema, ctx, depth);
    case 'array': {
      const minItems = num(schema.minItems) ?? 0;
      const maxItems = Math.max(minItems, Math.min(num(schema.maxItems) ?? MAX_GENERATED_ITEMS, MAX_GENERATED_ITEMS));
      const items = schema.items ? arbitraryFor(schema.items as JsonSchema, ctx, depth + 1) : fc.jsonValue({ maxDepth: 1 });
      return fc.array(items, { minLength: minItems, maxLength: maxItems });
    }
    case 'string':
      return stringArbitrary(schema, ctx);
    case 'integer':
      return integerArbitrary(schema);
    case 'number':
      return numberArbitrary(schema);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    default:
      // No type: any JSON value (zod `unknown`).
      return fc.jsonValue({ maxDepth: 3 });
  }
}

type Mutation = (value: Record<string, unknown>, pick: number, chaos: unknown, key: string) => unknown;

const mutations: Mutation[] = [
  // drop a field
  (value, pick) => {
    const keys = Object.keys(value);
    if (!keys.length) return value;
    const copy = { ...value };
    delete copy[keys[pick % keys.length]!];
    return copy;
  },
  // change a field's value (and usually its type)
  (value, pick, chaos) => {
    const keys = Object.keys(value);
    return keys.length ? { ...value, [keys[pick % keys.length]!]: chaos } : { field: chaos };
  },
  // an unknown field
  (value, _pick, chaos, key) => ({ ...value, [key]: chaos }),
  // a nested field's value changed
  (value, pick, chaos) => {
    const entries = Object.entries(value).filter(([, v]) => v !== null && typeof v === 'object' && !Array.isArray(v));
    if (!entries.length) return { ...value, nested: { deeper: chaos } };
    const [key, inner] = entries[pick % entries.length]!;
    const innerKeys = Object.keys(inner as object);
    const innerKey = innerKeys.length ? innerKeys[pick % innerKeys.length]! : 'x';
    return { ...value, [key]: { ...(inner as object), [innerKey]: chaos } };
  },
  // the whole body replaced
  (_value, _pick, chaos) => chaos,
  // wrapped in an array
  (value) => [value],
];

/** A valid body, then one to three mutations: a dropped field, a wrong type, an unknown key. */
export function mutated(valid: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  const step = fc.tuple(
    fc.nat({ max: mutations.length - 1 }),
    fc.nat(),
    chaosValue,
    fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('__proto__', 'constructor', 'id', 'project_id', 'version', '')),
  );
  return fc.tuple(valid, fc.array(step, { minLength: 1, maxLength: 3 })).map(([body, steps]) =>
    steps.reduce<unknown>((current, [which, pick, chaos, key]) => {
      const object = current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
      return mutations[which]!(object, pick, chaos, key);
    }, body),
  );
}
