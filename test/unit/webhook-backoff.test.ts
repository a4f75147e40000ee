import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import {
  ENDPOINT_DISABLE_AFTER_MS,
  MAX_RETRY_AFTER_MS,
  nextAttemptDelayMs,
  retryAfterMs,
  shouldDisableEndpoint,
} from '../../src/modules/webhooks/backoff.js';

const HOUR_MS = 60 * 60 * 1000;
const DAY_MS = 24 * HOUR_MS;
const DEFAULT_DELAYS_SECONDS = parseConfig({}).webhookRetryDelaysSeconds;

describe('nextAttemptDelayMs', () => {
  it.each([
    { failedAttempts: 1, random: 0.5, delayMs: 5_000 },
    { failedAttempts: 1, random: 0, delayMs: 4_000 },
    { failedAttempts: 1, random: 1, delayMs: 6_000 },
    { failedAttempts: 2, random: 0.5, delayMs: 300_000 },
    { failedAttempts: 2, random: 0, delayMs: 240_000 },
    { failedAttempts: 2, random: 1, delayMs: 360_000 },
    { failedAttempts: 3, random: 0.25, delayMs: 1_620_000 }, // 0.9 × 1800 s
    { failedAttempts: 4, random: 0.75, delayMs: 7_920_000 }, // 1.1 × 7200 s
    // The last delay is only ever stretched: [1, 1.2].
    { failedAttempts: 7, random: 0, delayMs: 36_000_000 },
    { failedAttempts: 7, random: 0.5, delayMs: 39_600_000 },
    { failedAttempts: 7, random: 1, delayMs: 43_200_000 },
  ])('waits $delayMs ms after $failedAttempts failed attempt(s) when random() is $random', ({ failedAttempts, random, delayMs }) => {
    expect(nextAttemptDelayMs(failedAttempts, DEFAULT_DELAYS_SECONDS, () => random)).toBe(delayMs);
  });

  it.each([
    { failedAttempts: 8, delaysSeconds: DEFAULT_DELAYS_SECONDS },
    { failedAttempts: 100, delaysSeconds: DEFAULT_DELAYS_SECONDS },
    { failedAttempts: 2, delaysSeconds: [5] },
    { failedAttempts: 1, delaysSeconds: [] },
  ])('gives up (null) after $failedAttempts failures with $delaysSeconds.length delays', ({ failedAttempts, delaysSeconds }) => {
    expect(nextAttemptDelayMs(failedAttempts, delaysSeconds, () => 0.5)).toBeNull();
  });

  it.each([0, -1, 1.5, Number.NaN])('rejects %s failed attempts', (failedAttempts) => {
    expect(() => nextAttemptDelayMs(failedAttempts, DEFAULT_DELAYS_SECONDS)).toThrow(RangeError);
  });

  it('stays within ±20% of the delay with the real random source', () => {
    for (let i = 0; i < 1000; i += 1) {
      const delayMs = nextAttemptDelayMs(2, DEFAULT_DELAYS_SECONDS);
      expect(delayMs).toBeGreaterThanOrEqual(240_000);
      expect(delayMs).toBeLessThanOrEqual(360_000);
    }
  });

  const scheduleSpanMs = (random: () => number) => {
    let totalMs = 0;
    for (let failedAttempts = 1; ; failedAttempts += 1) {
      const delayMs = nextAttemptDelayMs(failedAttempts, DEFAULT_DELAYS_SECONDS, random);
      if (delayMs === null) return totalMs;
      totalMs += delayMs;
    }
  };

  it('keeps retrying for at least 24 hours with the default schedule, even when every draw is the shortest', () => {
    expect(DEFAULT_DELAYS_SECONDS).toEqual([5, 300, 1800, 7200, 18_000, 36_000, 36_000]);
    expect(scheduleSpanMs(() => 0)).toBe(86_644_000); // 0.8 × 63,305 s + 36,000 s: 24.07 hours
    expect(scheduleSpanMs(() => 0)).toBeGreaterThanOrEqual(DAY_MS);
    expect(scheduleSpanMs(() => 1)).toBe(119_166_000); // 1.2 × 99,305 s: 33.1 hours
  });
});

describe('shouldDisableEndpoint', () => {
  const now = new Date('2026-01-10T12:00:00.000Z');
  const ago = (ms: number) => new Date(now.getTime() - ms);

  it('is 5 days', () => {
    expect(ENDPOINT_DISABLE_AFTER_MS).toBe(5 * DAY_MS);
  });

  it.each([
    { name: 'an endpoint that is not failing', failingSince: null, disable: false },
    { name: 'an endpoint failing since just now', failingSince: ago(0), disable: false },
    { name: 'an endpoint failing for 4 days', failingSince: ago(4 * DAY_MS), disable: false },
    { name: 'an endpoint failing for 1 ms short of 5 days', failingSince: ago(5 * DAY_MS - 1), disable: false },
    { name: 'an endpoint failing for exactly 5 days', failingSince: ago(5 * DAY_MS), disable: true },
    { name: 'an endpoint failing for 6 days', failingSince: ago(6 * DAY_MS), disable: true },
  ])('disables $name: $disable', ({ failingSince, disable }) => {
    expect(shouldDisableEndpoint(failingSince, now)).toBe(disable);
  });
});

describe('retryAfterMs', () => {
  const now = new Date('2026-01-10T12:00:00.000Z');
  it.each([
    { header: null, ms: null },
    { header: '120', ms: 120_000 },
    { header: ' 0 ', ms: 0 },
    { header: 'Sat, 10 Jan 2026 12:05:00 GMT', ms: 300_000 },
    { header: 'Sat, 10 Jan 2026 11:00:00 GMT', ms: 0 },
    { header: '999999999', ms: MAX_RETRY_AFTER_MS },
    { header: 'soon', ms: null },
    { header: '-5', ms: null },
  ])('reads Retry-After $header as $ms ms', ({ header, ms }) => {
    expect(retryAfterMs(header, now)).toBe(ms);
  });
});
