import { describe, expect, it } from 'vitest';
import { mergeContexts } from '../../src/modules/lifecycle/context-merge.js';
import type { JsonObject } from '../../src/lib/wire.js';

describe('mergeContexts, shallow', () => {
  it("lets the fork's top-level keys win and keeps the keys only the kept session has", () => {
    const kept = { plan: 'old', notes: { a: 1, b: 2 }, kept_only: true };
    const fork = { plan: 'new', notes: { c: 3 }, fork_only: [1] };
    expect(mergeContexts(kept, fork, 'shallow')).toEqual({ plan: 'new', notes: { c: 3 }, kept_only: true, fork_only: [1] });
  });

  it('takes a null from the fork as the value', () => {
    expect(mergeContexts({ plan: 'old' }, { plan: null }, 'shallow')).toEqual({ plan: null });
  });
});

describe('mergeContexts, deep', () => {
  it('merges nested objects key by key, the fork winning on conflicts', () => {
    const kept = { notes: { a: 1, b: { x: 1, y: 2 } }, kept_only: 'k' };
    const fork = { notes: { b: { y: 20, z: 30 }, c: 3 } };
    expect(mergeContexts(kept, fork, 'deep')).toEqual({
      notes: { a: 1, b: { x: 1, y: 20, z: 30 }, c: 3 },
      kept_only: 'k',
    });
  });

  it.each([
    ['an array replaces an array', { list: [1, 2, 3] }, { list: [9] }, { list: [9] }],
    ['an array replaces an object', { v: { a: 1 } }, { v: [1] }, { v: [1] }],
    ['an object replaces an array', { v: [1] }, { v: { a: 1 } }, { v: { a: 1 } }],
    ['a scalar replaces an object', { v: { a: 1 } }, { v: 'flat' }, { v: 'flat' }],
    ['an object replaces a scalar', { v: 7 }, { v: { a: 1 } }, { v: { a: 1 } }],
    ['a null replaces an object', { v: { a: 1 } }, { v: null }, { v: null }],
    ['a null replaces a scalar', { v: 'x' }, { v: null }, { v: null }],
    ['an object replaces a null', { v: null }, { v: { a: 1 } }, { v: { a: 1 } }],
  ] as const)('%s', (_name, kept, fork, expected) => {
    expect(mergeContexts(kept as JsonObject, fork as JsonObject, 'deep')).toEqual(expected);
  });
});

describe.each(['shallow', 'deep'] as const)('mergeContexts, %s, on its inputs', (strategy) => {
  it('changes neither input', () => {
    const kept = { notes: { a: 1, deeper: { x: 1 } }, list: [1] };
    const fork = { notes: { b: 2, deeper: { y: 2 } }, list: [2] };
    const keptBefore = structuredClone(kept);
    const forkBefore = structuredClone(fork);
    const merged = mergeContexts(kept, fork, strategy);
    expect(kept).toEqual(keptBefore);
    expect(fork).toEqual(forkBefore);
    expect(merged).not.toBe(kept);
    expect(merged).not.toBe(fork);
  });

  it('keeps a "__proto__" key from the fork as plain data, never as a prototype', () => {
    // JSON.parse makes "__proto__" an own property, as a context read back from the database would.
    const fork = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as JsonObject;
    const merged = mergeContexts({ kept: 1 }, fork, strategy);
    expect(Object.getPrototypeOf(merged)).toBe(Object.prototype);
    expect(Object.hasOwn(merged, '__proto__')).toBe(true);
    expect(JSON.stringify(merged)).toBe('{"kept":1,"__proto__":{"polluted":true},"x":1}');
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
