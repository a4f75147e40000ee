import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, digestJson } from '../../src/lib/canonical-json.js';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

describe('digestJson', () => {
  it('hashes the RFC 8785 canonical form, so a client can recompute it from the JSON text', () => {
    // Keys out of order on purpose: the canonical form sorts them.
    const digest = digestJson({ b: [true, null], a: 1 });
    expect(digest).toEqual({ canonical: '{"a":1,"b":[true,null]}', sha256: sha256('{"a":1,"b":[true,null]}'), sizeBytes: 23 });
    expect(digest.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives the same digest to the same object with its keys, nested ones too, in another order', () => {
    const one = digestJson({ plan: 'p', notes: { z: 1, a: [{ y: 2, x: 1 }] }, n: 1.5 });
    const other = digestJson({ n: 1.5, notes: { a: [{ x: 1, y: 2 }], z: 1 }, plan: 'p' });
    expect(other).toEqual(one);
  });

  it.each([
    ['a changed value', { a: 1, b: 2 }, { a: 1, b: 3 }],
    ['a changed nested value', { a: { b: 'x' } }, { a: { b: 'y' } }],
    ['an extra key', { a: 1 }, { a: 1, b: null }],
    ['a reordered array', { a: [1, 2] }, { a: [2, 1] }],
    ['a number instead of a string', { a: 1 }, { a: '1' }],
  ])('gives %s a different digest', (_name, before, after) => {
    expect(digestJson(after).sha256).not.toBe(digestJson(before).sha256);
  });

  it('counts the size in UTF-8 bytes of the canonical form, not in UTF-16 code units', () => {
    // é is 2 bytes, € 3 and 😀 4 (a surrogate pair, 2 code units): 8 bytes of JSON around 9 of text.
    const digest = digestJson({ k: 'é€😀' });
    expect(digest.sizeBytes).toBe(17);
    expect(digest.sha256).toBe(sha256('{"k":"é€😀"}'));
    expect('{"k":"é€😀"}'.length).toBe(12);
  });

  it('digests an empty snapshot as {}', () => {
    expect(digestJson({})).toEqual({ canonical: '{}', sha256: sha256('{}'), sizeBytes: 2 });
  });
});

describe('canonicalJson', () => {
  it('writes exactly what the RFC 8785 reference implementation writes, for any JSON value JSON.parse can make', () => {
    // Strings of whole code points (lone surrogates are refused where bodies are parsed), keys too.
    const json = fc.jsonValue({ stringUnit: 'binary' });
    fc.assert(
      fc.property(json, (value) => {
        const parsed: unknown = JSON.parse(JSON.stringify(value));
        expect(canonicalJson(parsed)).toBe(canonicalize(parsed));
      }),
      { numRuns: 2000, seed: 8785 },
    );
  });

  it('sorts keys by UTF-16 code units, as RFC 8785 does, not by code points', () => {
    // U+10000 is \ud800\udc00 in UTF-16: it sorts before U+FFFD although its code point is larger.
    const value = { '\ufffd': 1, '\u{10000}': 2, a: 3 };
    expect(canonicalJson(value)).toBe(canonicalize(value));
    expect(Object.keys(JSON.parse(canonicalJson(value)))).toEqual(['a', '\u{10000}', '\ufffd']);
  });

  it('refuses numbers JSON cannot carry', () => {
    expect(() => canonicalJson({ a: Number.POSITIVE_INFINITY })).toThrow();
    expect(() => canonicalJson([Number.NaN])).toThrow();
  });
});
