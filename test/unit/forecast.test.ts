import { describe, expect, it } from 'vitest';
import { FORECAST_WINDOW_MS, forecast, type ForecastInput } from '../../src/domain/forecast.js';

const T0 = Date.parse('2025-11-01T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

/** Updates `secondsApart` apart from T0, returned newest first as the service reads them. */
function updates(tokens: number[], secondsApart = 10): { tokens: number; createdAt: Date }[] {
  return tokens.map((t, i) => ({ tokens: t, createdAt: at(i * secondsApart) })).reverse();
}

/** The forecast asked at the moment of the newest update (no idle time), unless `now` is given. */
function forecastOf(input: Omit<ForecastInput, 'now'> & { now?: Date }) {
  const newest = input.recent.reduce((latest, update) => Math.max(latest, update.createdAt.getTime()), T0);
  return forecast({ ...input, now: input.now ?? new Date(newest) });
}

describe('forecast', () => {
  it('has nothing to forecast without usage, except thresholds already reached', () => {
    expect(forecastOf({ total: 1000, used: 800, thresholds: [75, 85], recent: [] })).toEqual({
      tokensPerUpdate: null,
      updatesUntil: { '75': 0, '85': null, '100': null },
      secondsUntil: { '75': 0, '85': null, '100': null },
    });
  });

  it('counts updates and seconds to every threshold and to 100%', () => {
    // 3 updates of 100 tokens, 10 s apart: 200 tokens over 20 s = 10 tokens/s
    expect(forecastOf({ total: 1000, used: 300, thresholds: [75, 85], recent: updates([100, 100, 100]) })).toEqual({
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
    expect(forecastOf({ total: 1000, used: 0, thresholds: [], recent: updates(tokens) }).tokensPerUpdate).toBe(perUpdate);
  });

  it.each([
    { name: 'rounds updates up: 1 token to go is one more update', used: 749, total: 1000, perUpdate: [100], expected: 1 },
    { name: 'is 0 when exactly at the threshold', used: 750, total: 1000, perUpdate: [100], expected: 0 },
    { name: 'is 0 when already over budget', used: 1500, total: 1000, perUpdate: [100], expected: 0 },
    { name: 'needs the exact number of tokens to reach a fractional bound', used: 0, total: 3, perUpdate: [1], expected: 3 },
  ])('updatesUntil $name', ({ used, total, perUpdate, expected }) => {
    expect(forecastOf({ total, used, thresholds: [75], recent: updates(perUpdate) }).updatesUntil['75']).toBe(expected);
  });

  it.each([
    { name: 'is null with a single update and no start of the history', recent: updates([100]) },
    { name: 'is null when all updates share one instant, asked at that instant', recent: updates([100, 100, 100], 0) },
  ])('secondsUntil $name', ({ recent }) => {
    expect(forecastOf({ total: 1000, used: 0, thresholds: [75], recent }).secondsUntil).toEqual({ '75': null, '100': null });
  });

  it('leaves the oldest update out of the rate: it only marks where the span starts', () => {
    // 1000 then 10 tokens 10 s apart: 10 tokens in 10 s = 1 token/s (not 1010 / 10 s)
    const result = forecastOf({ total: 10_000, used: 0, thresholds: [], recent: updates([1000, 10]) });
    expect(result.secondsUntil['100']).toBe(10_000);
  });

  it('rounds seconds up to whole seconds', () => {
    // 2 tokens over 3 s, 1 token to go: 1.5 s → 2
    const result = forecastOf({ total: 100, used: 99, thresholds: [], recent: updates([5, 2], 3) });
    expect(result.secondsUntil['100']).toBe(2);
  });

  it('does not rely on the order of recent', () => {
    const recent = updates([100, 50, 100]);
    const shuffled = [recent[1]!, recent[2]!, recent[0]!];
    expect(forecastOf({ total: 1000, used: 0, thresholds: [50], recent: shuffled })).toEqual(
      forecastOf({ total: 1000, used: 0, thresholds: [50], recent }),
    );
  });

  it('stays exact near 10^12', () => {
    const result = forecastOf({
      total: 1_000_000_000_000,
      used: 0,
      thresholds: [75],
      recent: updates([10_000_000, 10_000_000], 1),
    });
    expect(result.updatesUntil).toEqual({ '75': 75_000, '100': 100_000 });
    expect(result.secondsUntil).toEqual({ '75': 75_000, '100': 100_000 });
  });
});

describe('forecast over a window that ends now', () => {
  // 3 updates of 100 tokens 10 s apart (T0, T0+10 s, T0+20 s), 300 used of 1000: 700 to go.
  const busy = { total: 1000, used: 300, thresholds: [], recent: updates([100, 100, 100]) };

  it('counts the time since the last update: idle time slows the pace down', () => {
    // Asked at the last update: 200 tokens in 20 s, 70 s to go.
    expect(forecastOf(busy).secondsUntil['100']).toBe(70);
    // 4 minutes idle: 200 tokens in 260 s; 700 tokens to go take 910 s, not 70.
    expect(forecast({ ...busy, now: at(20 + 240) }).secondsUntil['100']).toBe(910);
    // Updates until a threshold do not depend on time.
    expect(forecast({ ...busy, now: at(20 + 240) }).updatesUntil['100']).toBe(7);
  });

  it('grows the forecast the longer the session stays idle', () => {
    const later = [30, 60, 240, 480].map((idle) => forecast({ ...busy, now: at(20 + idle) }).secondsUntil['100']!);
    expect(later).toEqual([...later].sort((a, b) => a - b));
    expect(new Set(later).size).toBe(later.length);
  });

  it('has no time forecast once idle for longer than the window', () => {
    const windowSeconds = FORECAST_WINDOW_MS / 1000;
    expect(forecast({ ...busy, now: at(20 + windowSeconds - 1) }).secondsUntil['100']).not.toBeNull();
    expect(forecast({ ...busy, now: at(20 + windowSeconds) }).secondsUntil).toEqual({ '100': null });
    expect(forecast({ ...busy, now: at(20 + 3600) }).secondsUntil).toEqual({ '100': null });
  });

  it('looks back only as far as the window: an old burst no longer counts', () => {
    // 20 updates: a burst of 10 × 1000 tokens an hour ago, then 10 × 10 tokens 60 s apart up to now.
    const burst = Array.from({ length: 10 }, (_, i) => ({ tokens: 1000, createdAt: at(i) }));
    const slow = Array.from({ length: 10 }, (_, i) => ({ tokens: 10, createdAt: at(3600 + i * 60) }));
    const recent = [...burst, ...slow].reverse();
    const now = at(3600 + 9 * 60);
    // The window is the last 600 s: the 10 slow updates (100 tokens); 10,000 to go take 60,000 s.
    expect(forecast({ total: 20_100, used: 10_100, thresholds: [], recent, now }).secondsUntil['100']).toBe(60_000);
  });

  it("counts the first update too when the history starts at the session's creation", () => {
    // Created at T0, one update of 100 tokens 20 s later, asked 20 s after that: 100 tokens in 40 s.
    const recent = [{ tokens: 100, createdAt: at(20) }];
    const result = forecast({ total: 1000, used: 100, thresholds: [], recent, now: at(40), openedAt: at(0) });
    expect(result.secondsUntil['100']).toBe(360);
    // An update in the same millisecond as the creation counts as well.
    const instant = forecast({ total: 1000, used: 100, thresholds: [], recent: [{ tokens: 100, createdAt: at(0) }], now: at(10), openedAt: at(0) });
    expect(instant.secondsUntil['100']).toBe(90);
  });

  it('starts the window no earlier than the creation, and no earlier than 10 minutes ago', () => {
    const recent = [{ tokens: 600, createdAt: at(5) }];
    // Created 60 s ago: 600 tokens in 60 s = 10 tokens/s; 400 to go take 40 s.
    expect(forecast({ total: 1000, used: 600, thresholds: [], recent, now: at(60), openedAt: at(0) }).secondsUntil['100']).toBe(40);
    // Created an hour before the update: the window is the last 600 s, 600 tokens in 600 s.
    expect(forecast({ total: 1000, used: 600, thresholds: [], recent, now: at(300), openedAt: at(-3600) }).secondsUntil['100']).toBe(400);
  });
});
