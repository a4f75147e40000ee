import type { Clock } from '../../src/lib/clock.js';

/** A clock that stands still until a test moves it. */
export function createTestClock(start = new Date('2026-01-01T00:00:00.000Z')) {
  let now = start.getTime();
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  } satisfies Clock & { advance(ms: number): void };
}
