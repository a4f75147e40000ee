import fc from 'fast-check';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { describe, expect, it } from 'vitest';
import { SessionParamsSchema } from '../../src/modules/sessions/sessions.schemas.js';
import { fastUsageBody, usageValidatorCompiler } from '../../src/modules/usage/usage.fast-path.js';
import { IdempotencyHeadersSchema, MAX_TOKENS_PER_UPDATE, RecordUsageBodySchema } from '../../src/modules/usage/usage.schemas.js';

const route = (httpPart: string, schema: unknown) => ({ schema, method: 'POST', url: '/v1/sessions/:id/usage', httpPart });
const parts = [
  ['body', RecordUsageBodySchema],
  ['params', SessionParamsSchema],
  ['headers', IdempotencyHeadersSchema],
] as const;

// Values a JSON body can carry, concentrated on the schemas' edges.
const jsonScalar = fc.oneof(
  fc.constantFrom(0, -0, 1, 2, MAX_TOKENS_PER_UPDATE - 1, MAX_TOKENS_PER_UPDATE, MAX_TOKENS_PER_UPDATE + 1, -1, 1.5, 2 ** 53, null, true, ''),
  fc.integer({ min: -5, max: MAX_TOKENS_PER_UPDATE + 5 }),
  fc.constantFrom('x'.repeat(255), 'x'.repeat(256), 'x'.repeat(257), '\u{1F600}'.repeat(128), '\u{1F600}'.repeat(129)),
  fc.string({ maxLength: 8, unit: 'binary' }),
);
const jsonValue = fc.oneof(jsonScalar, fc.array(jsonScalar, { maxLength: 2 }), fc.dictionary(fc.string({ maxLength: 3 }), jsonScalar, { maxKeys: 2 }));
const withKeys = (keys: string[], extra: fc.Arbitrary<string>) =>
  fc.tuple(fc.record(Object.fromEntries(keys.map((key) => [key, jsonValue])), { requiredKeys: [] }), fc.dictionary(extra, jsonValue, { maxKeys: 1 }))
    .map(([known, more]) => ({ ...more, ...known }));
const bodies = fc.oneof(
  withKeys(['tokens', 'input_tokens', 'output_tokens', 'model', 'source'], fc.constantFrom('extra', 'Tokens', 'constructor')),
  jsonValue,
);
const params = fc.oneof(withKeys(['id'], fc.constantFrom('other')), jsonValue);
const headers = fc.oneof(withKeys(['idempotency-key'], fc.constantFrom('authorization', 'content-type')), jsonValue);

describe('the usage route fast path', () => {
  it.each(parts)('validates the %s exactly as its zod schema does: the same value or the same error', (part, schema) => {
    const fast = usageValidatorCompiler(route(part, schema));
    const viaZod = validatorCompiler(route(part, schema) as Parameters<typeof validatorCompiler>[0]);
    const inputs = part === 'body' ? bodies : part === 'params' ? params : headers;
    fc.assert(
      fc.property(inputs, (data) => {
        expect(fast(data)).toEqual(viaZod(data));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the fast path for the bodies agents send', () => {
    for (const body of [{ tokens: 1200 }, { input_tokens: 1000, output_tokens: 200, model: 'claude-sonnet-4-5', source: 'planner' }]) {
      expect(fastUsageBody(body)).toEqual(body);
    }
  });
});
