import { describe, expect, it } from 'vitest';
import { forecast } from '../../src/domain/forecast.js';

const T0 = Date.parse('2025-11-01T12:00:00.000Z');

/** Updates `secondsApart` apart, returned newest first as the service reads them. */
function updates(tokens: number[], secondsApart = 10): { tokens: number; createdAt: Date }[] {
  return tokens.map((t, i) => ({ tokens: t, createdAt: new Date(T0 + i * secondsApart * 1000) })).reverse();
}

describe('forecast', () => {
  it('has nothing to forecast without usage, except thresholds already reached', () => {
    expect(forecast({ total: 1000, used: 800, thresholds: [75, 85], recent: [] })).toEqual({
      tokensPerUpdate: null,
      updatesUntil: { '75': 0, '85': null, '100': null },
      secondsUntil: { '75': 0, '85': null, '100': null },
    });
  });

  it('counts updates and seconds to every threshold and to 100%', () => {
    // 3 updates of 100 tokens, 10 s apart: 200 tokens over 20 s = 10 tokens/s
    expect(forecast({ total: 1000, used: 300, thresholds: [75, 85], recent: updates([100, 100, 100]) })).toEqual({
      tokensPerUpdate: 100,
      updatesUntil: { '75': 5, '85': 6, '100': 7 },
      secondsUntil: { '75': 45, '85': 55, '100': 70 },
    });
  });

  it.each([
    { name: 'rounds the mean to an integer', tokens: [1, 2], perUpdate: 2 },
    { name: 'rounds a lower mean down', tokens: [1, 1, 2], perUpdate: 1 },
    { name: 'uses a single update as the mean', tokens: [42], perUpdate: 42 },
  ])('$name', ({ tokens, perUpdate }) => {
    expect(forecast({ total: 1000, used: 0, thresholds: [], recent: updates(tokens) }).tokensPerUpdate).toBe(perUpdate);
  });

  it.each([
    { name: 'rounds updates up: 1 token to go is one more update', used: 749, total: 1000, perUpdate: [100], expected: 1 },
    { name: 'is 0 when exactly at the threshold', used: 750, total: 1000, perUpdate: [100], expected: 0 },
    { name: 'is 0 when already over budget', used: 1500, total: 1000, perUpdate: [100], expected: 0 },
    { name: 'needs the exact number of tokens to reach a fractional bound', used: 0, total: 3, perUpdate: [1], expected: 3 },
  ])('updatesUntil $name', ({ used, total, perUpdate, expected }) => {
    expect(forecast({ total, used, thresholds: [75], recent: updates(perUpdate) }).updatesUntil['75']).toBe(expected);
  });

  it.each([
    { name: 'is null with a single update', recent: updates([100]) },
    { name: 'is null when all updates share one instant', recent: updates([100, 100, 100], 0) },
  ])('secondsUntil $name', ({ recent }) => {
    expect(forecast({ total: 1000, used: 0, thresholds: [75], recent }).secondsUntil).toEqual({ '75': null, '100': null });
  });

  it('leaves the oldest update out of the rate: it only marks where the span starts', () => {
    // 1000 then 10 tokens 10 s apart: 10 tokens in 10 s = 1 token/s (not 1010 / 10 s)
    const result = forecast({ total: 10_000, used: 0, thresholds: [], recent: updates([1000, 10]) });
    expect(result.secondsUntil['100']).toBe(10_000);
  });

  it('rounds seconds up to whole seconds', () => {
    // 2 tokens over 3 s, 1 token to go: 1.5 s → 2
    const result = forecast({ total: 100, used: 99, thresholds: [], recent: updates([5, 2], 3) });
    expect(result.secondsUntil['100']).toBe(2);
  });

  it('does not rely on the order of recent', () => {
    const recent = updates([100, 50, 100]);
    const shuffled = [recent[1]!, recent[2]!, recent[0]!];
    expect(forecast({ total: 1000, used: 0, thresholds: [50], recent: shuffled })).toEqual(
      forecast({ total: 1000, used: 0, thresholds: [50], recent }),
    );
  });

  it('stays exact near 10^12', () => {
    const result = forecast({
      total: 1_000_000_000_000,
      used: 0,
      thresholds: [75],
      recent: updates([10_000_000, 10_000_000], 1),
    });
    expect(result.updatesUntil).toEqual({ '75': 75_000, '100': 100_000 });
    expect(result.secondsUntil).toEqual({ '75': 75_000, '100': 100_000 });
  });
});
