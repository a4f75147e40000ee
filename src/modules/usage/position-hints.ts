// What this process last saw of each session's budget, to pick the usage statement: an update
// that will cross nothing takes the short statement. Only a hint: another replica's updates make it
// stale, and the short statement checks for itself (on the locked row) and touches nothing when
// it is wrong, so a wrong guess costs a second round trip, never a missed crossing.
import { DEFER_AT_PERCENT, EMERGENCY_AT_PERCENT, crossedThresholds } from '../../domain/budget.js';

/** Sessions remembered; the least recently updated are forgotten first. */
const DEFAULT_CAPACITY = 10_000;

interface Seen {
  used: number;
  total: number;
  thresholds: number[];
}

export function createPositionHints(capacity = DEFAULT_CAPACITY) {
  const seen = new Map<string, Seen>();
  return {
    /** Whether adding `tokens` may cross a threshold or a policy's percent; false when unknown. */
    mayCross(sessionId: string, tokens: number): boolean {
      const last = seen.get(sessionId);
      if (!last) return false;
      const percents = [...last.thresholds, DEFER_AT_PERCENT, EMERGENCY_AT_PERCENT];
      return crossedThresholds(percents, last, { used: last.used + tokens, total: last.total }).length > 0;
    },

    note(sessionId: string, position: Seen): void {
      seen.delete(sessionId);
      seen.set(sessionId, position);
      if (seen.size > capacity) seen.delete(seen.keys().next().value!);
    },
  };
}

export type PositionHints = ReturnType<typeof createPositionHints>;
