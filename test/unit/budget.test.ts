import { describe, expect, it } from 'vitest';
import {
  DEFAULT_NON_CRITICAL_KEYS,
  DEFAULT_THRESHOLDS,
  LEVELS,
  crossedThresholds,
  deferNonCriticalContext,
  levelOf,
  tokenBudget,
} from '../../src/domain/budget.js';

const TRILLION = 1_000_000_000_000;

describe('tokenBudget', () => {
  it.each([
    { used: 0, total: 200_000, percent: 0 },
    { used: 1, total: 8, percent: 12.5 },
    { used: 1, total: 3, percent: 33.33 },
    { used: 2, total: 3, percent: 66.67 },
    { used: 1005, total: 100_000, percent: 1.01 },
    { used: 1015, total: 100_000, percent: 1.02 },
    { used: 5, total: 1_000_000, percent: 0 },
    { used: 50, total: 1_000_000, percent: 0.01 },
    { used: 49, total: 1_000_000, percent: 0 },
    { used: 150_000, total: 200_000, percent: 75 },
    { used: 300_000, total: 200_000, percent: 150 },
    { used: 1_000_050_000, total: TRILLION, percent: 0.1 },
    { used: 999_999_999_999, total: TRILLION, percent: 100 },
    { used: TRILLION - 50_000_001, total: TRILLION, percent: 99.99 },
    { used: 2 * TRILLION, total: TRILLION, percent: 200 },
  ])('puts $used of $total at $percent% (2 decimals, half up)', ({ used, total, percent }) => {
    expect(tokenBudget(total, used).positionPercent).toBe(percent);
  });

  it('reports a negative available when over budget', () => {
    expect(tokenBudget(100, 130)).toEqual({ total: 100, used: 130, reserved: 0, available: -30, positionPercent: 130 });
  });

  it.each([
    { total: 0, used: 0 },
    { total: -5, used: 0 },
    { total: 10.5, used: 1 },
    { total: 10, used: -1 },
    { total: 10, used: 1.5 },
  ])('rejects total $total with used $used', ({ total, used }) => {
    expect(() => tokenBudget(total, used)).toThrow(RangeError);
  });
});

describe('levelOf', () => {
  it.each([
    { used: 0, total: 10_000, level: 'normal' },
    { used: 5999, total: 10_000, level: 'normal' }, // 59.99%
    { used: 6000, total: 10_000, level: 'progressive_disclosure' }, // 60%
    { used: 7499, total: 10_000, level: 'progressive_disclosure' }, // 74.99%
    { used: 7500, total: 10_000, level: 'defer_non_critical' }, // 75%
    { used: 8499, total: 10_000, level: 'defer_non_critical' }, // 84.99%
    { used: 8500, total: 10_000, level: 'emergency' }, // 85%
    { used: 10_000, total: 10_000, level: 'emergency' }, // 100%
    { used: 15_000, total: 10_000, level: 'emergency' }, // 150%
  ])('is $level at $used of $total', ({ used, total, level }) => {
    expect(levelOf(used, total)).toBe(level);
  });

  it('compares exactly, not with the rounded percent (59.999% is still normal)', () => {
    expect(tokenBudget(100_000, 59_999).positionPercent).toBe(60);
    expect(levelOf(59_999, 100_000)).toBe('normal');
  });

  it.each([
    { used: 600_000_000_000, level: 'progressive_disclosure' },
    { used: 599_999_999_999, level: 'normal' },
    { used: 849_999_999_999, level: 'defer_non_critical' },
    { used: 850_000_000_000, level: 'emergency' },
  ])('is $level at $used of a 10^12 budget', ({ used, level }) => {
    expect(levelOf(used, TRILLION)).toBe(level);
  });

  it('has the levels of the reference table in ascending order', () => {
    expect(LEVELS.map((l) => [l.level, l.fromPercent])).toEqual([
      ['normal', 0],
      ['progressive_disclosure', 60],
      ['defer_non_critical', 75],
      ['emergency', 85],
    ]);
  });
});

describe('crossedThresholds', () => {
  it.each([
    { name: 'crosses nothing while staying below 75', before: 1000, after: 7000, crossed: [] },
    { name: 'crosses 75 when going from 70% to 80%', before: 7000, after: 8000, crossed: [75] },
    { name: 'counts landing exactly on a threshold as crossing it', before: 7000, after: 7500, crossed: [75] },
    { name: 'emits both thresholds in ascending order when jumping from 70% to 90%', before: 7000, after: 9000, crossed: [75, 85] },
    { name: 'does not re-fire a threshold already passed', before: 7600, after: 8000, crossed: [] },
    { name: 'does not fire when already at the threshold', before: 7500, after: 7600, crossed: [] },
    { name: 'crosses only 85 when starting between 75 and 85', before: 8000, after: 12_000, crossed: [85] },
    { name: 'stays silent above every threshold', before: 9000, after: 20_000, crossed: [] },
    { name: 'crosses nothing when used does not change', before: 7000, after: 7000, crossed: [] },
  ])('$name', ({ before, after, crossed }) => {
    expect(crossedThresholds(DEFAULT_THRESHOLDS, { used: before, total: 10_000 }, { used: after, total: 10_000 })).toEqual(crossed);
  });

  it('re-arms a threshold once a larger total puts the position below it again', () => {
    expect(crossedThresholds([75, 85], { used: 7000, total: 10_000 }, { used: 8000, total: 10_000 })).toEqual([75]);
    // total raised from 10 000 to 20 000: 8000 is 40%, so 75 is armed again
    expect(crossedThresholds([75, 85], { used: 8000, total: 20_000 }, { used: 15_000, total: 20_000 })).toEqual([75]);
  });

  it.each([
    { thresholds: [50], before: 40, after: 50, crossed: [50] },
    { thresholds: [10, 20, 30, 100], before: 0, after: 100, crossed: [10, 20, 30, 100] },
    { thresholds: [90, 10, 50], before: 5, after: 95, crossed: [10, 50, 90] },
    { thresholds: [1], before: 0, after: 1, crossed: [1] },
    { thresholds: [100], before: 99, after: 99, crossed: [] },
    { thresholds: [], before: 0, after: 100, crossed: [] },
  ])('with custom thresholds $thresholds crosses $crossed from $before to $after of 100', ({ thresholds, before, after, crossed }) => {
    expect(crossedThresholds(thresholds, { used: before, total: 100 }, { used: after, total: 100 })).toEqual(crossed);
  });

  it.each([
    { before: 749_999_999_999, after: 750_000_000_000, crossed: [75] },
    { before: 749_999_999_998, after: 749_999_999_999, crossed: [] },
    { before: 0, after: 999_999_999_999, crossed: [75, 85] },
    { before: 850_000_000_000, after: 2 * TRILLION, crossed: [] },
  ])('decides exactly near 10^12: $before → $after crosses $crossed', ({ before, after, crossed }) => {
    expect(crossedThresholds([75, 85], { used: before, total: TRILLION }, { used: after, total: TRILLION })).toEqual(crossed);
  });
});

describe('deferNonCriticalContext', () => {
  it('moves temp_context into the deferred context by default', () => {
    const result = deferNonCriticalContext({ plan: 'p', temp_context: 't' }, {}, DEFAULT_NON_CRITICAL_KEYS);
    expect(result).toEqual({ context: { plan: 'p' }, deferred: { temp_context: 't' }, moved: ['temp_context'] });
  });

  it.each([
    {
      name: 'keeps older deferred keys and lets newer values win',
      context: { a: 2, b: 3, keep: true },
      deferred: { a: 1, old: 0 },
      keys: ['a', 'b'],
      expected: { context: { keep: true }, deferred: { a: 2, old: 0, b: 3 }, moved: ['a', 'b'] },
    },
    {
      name: 'changes nothing when no listed key is present',
      context: { keep: 1 },
      deferred: { a: 1 },
      keys: ['temp_context'],
      expected: { context: { keep: 1 }, deferred: { a: 1 }, moved: [] },
    },
    {
      name: 'moves keys whose value is null or undefined too',
      context: { a: null, b: undefined },
      deferred: {},
      keys: ['a', 'b'],
      expected: { context: {}, deferred: { a: null, b: undefined }, moved: ['a', 'b'] },
    },
  ])('$name', ({ context, deferred, keys, expected }) => {
    expect(deferNonCriticalContext(context, deferred, keys)).toStrictEqual(expected);
  });

  it('does not mutate its inputs', () => {
    const context = { temp_context: { big: true }, plan: 'x' };
    const deferred = { earlier: 1 };
    deferNonCriticalContext(context, deferred, ['temp_context']);
    expect(context).toEqual({ temp_context: { big: true }, plan: 'x' });
    expect(deferred).toEqual({ earlier: 1 });
  });

  it('treats a "__proto__" key as data, not as a prototype', () => {
    const context = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
    const { deferred } = deferNonCriticalContext(context, {}, ['__proto__']);
    expect(Object.getPrototypeOf(deferred)).toBe(Object.prototype);
    expect(Object.hasOwn(deferred, '__proto__')).toBe(true);
    expect((deferred as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('ignores inherited properties such as toString', () => {
    expect(deferNonCriticalContext({ a: 1 }, {}, ['toString']).moved).toEqual([]);
  });
});
