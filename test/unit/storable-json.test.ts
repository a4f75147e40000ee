import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mayHoldUnstorable, unstorableValues } from '../../src/lib/storable-json.js';

describe('unstorableValues', () => {
  it('names each lone surrogate, NUL and out-of-range number by its path, field names included', () => {
    const value = JSON.parse('{"a":"\\ud800","b":[1,-1e400,{"c":"x\\u0000"}],"d":{"\\udc00k":1},"ok":"\\ud83d\\ude00"}');
    expect(unstorableValues(value, 'body')).toEqual([
      { path: 'body.a', message: expect.stringContaining('lone UTF-16 surrogate') },
      { path: 'body.b.1', message: expect.stringContaining('range of a double') },
      { path: 'body.b.2.c', message: expect.stringContaining('NUL') },
      { path: 'body.d', message: expect.stringContaining('field name') },
    ]);
  });

  it('finds nothing in what PostgreSQL and RFC 8785 take: surrogate pairs, the largest doubles, underflow', () => {
    expect(unstorableValues(JSON.parse('{"e":"😀\\ud83d\\ude00","max":1.7976931348623157e308,"tiny":1e-400,"n":null}'), 'body')).toEqual([]);
  });
});

describe('mayHoldUnstorable (the cheap scan that decides whether to walk the parsed body)', () => {
  it.each([
    ['an escaped lone surrogate', '{"a":"\\ud800"}'],
    ['an escaped NUL', '{"a":"\\u0000"}'],
    ['a 3-digit exponent', '{"a":1e400}'],
    ['a signed 3-digit exponent', '{"a":1E+308}'],
    ['400 digits at the very start', '1'.padEnd(400, '0')],
    ['400 digits at the end', `{"pad":"${'x'.repeat(137)}","a":${'9'.repeat(400)}}`],
    ['exactly 200 digits somewhere', `{"pad":"${'x'.repeat(53)}","a":${'9'.repeat(200)}}`],
  ])('says yes for %s', (_name, text) => {
    expect(mayHoldUnstorable(text)).toBe(true);
  });

  it('says no for a plain body, which is then taken without a walk', () => {
    expect(mayHoldUnstorable(JSON.stringify({ plan: 'é 😀', n: 12_345.678, e: 1e21, list: [1, 2, 3] }))).toBe(false);
  });

  it('never says no when the parsed value holds something unstorable (any JSON text, any position)', () => {
    const overflow = fc.oneof(
      fc.constant('1e400'),
      fc.constant('-2E+999'),
      fc.integer({ min: 309, max: 700 }).map((digits) => '9'.repeat(digits)),
      // 211 digits and e99 make 1.1e309, past the largest double; 210 would still be finite.
      fc.integer({ min: 211, max: 400 }).map((digits) => `${'1'.repeat(digits)}e99`),
    );
    const unstorable = fc.oneof(fc.constant('"\\ud800"'), fc.constant('"a\\u0000"'), fc.constant('"\\udfffx"'), overflow);
    const plain = fc.jsonValue().map((value) => JSON.stringify(value));
    fc.assert(
      fc.property(fc.array(plain, { maxLength: 8 }), unstorable, fc.nat(), fc.string({ maxLength: 300 }), (items, bad, at, pad) => {
        const list = [...items];
        list.splice(at % (list.length + 1), 0, bad);
        const text = `{"pad":${JSON.stringify(pad)},"list":[${list.join(',')}]}`;
        const value: unknown = JSON.parse(text);
        expect(unstorableValues(value, 'body').length).toBeGreaterThan(0);
        expect(mayHoldUnstorable(text)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
