import { isAtOrAbove } from './budget.js';

export interface ForecastInput {
  total: number;
  used: number;
  thresholds: readonly number[];
  /** Recent usage updates, newest first (about 20). */
  recent: readonly { tokens: number; createdAt: Date }[];
}

export interface Forecast {
  /** Mean tokens per update over `recent`, rounded; null without updates. */
  tokensPerUpdate: number | null;
  /** Per threshold and "100": updates until reached; 0 once reached, null without data. */
  updatesUntil: Record<string, number | null>;
  /** Per threshold and "100": seconds until reached at the recent burn rate, rounded up. */
  secondsUntil: Record<string, number | null>;
}

/**
 * When the session will reach each threshold at its recent pace. The burn rate is the tokens
 * of every update but the oldest over the time from the oldest to the newest: the oldest
 * update only marks where the interval starts.
 */
export function forecast(input: ForecastInput): Forecast {
  const { total, used } = input;
  const tokensPerUpdate = meanTokens(input.recent);
  const rate = burnRate(input.recent);
  const updatesUntil: Record<string, number | null> = {};
  const secondsUntil: Record<string, number | null> = {};

  for (const percent of [...input.thresholds, 100]) {
    const key = String(percent);
    if (isAtOrAbove(used, total, percent)) {
      updatesUntil[key] = 0;
      secondsUntil[key] = 0;
      continue;
    }
    const toGo = tokensToReach(percent, total) - BigInt(used);
    updatesUntil[key] = tokensPerUpdate ? Number(ceilDiv(toGo, BigInt(tokensPerUpdate))) : null;
    // toGo / (tokens / ms) / 1000, rounded up: toGo * ms / (tokens * 1000).
    secondsUntil[key] = rate ? Number(ceilDiv(toGo * BigInt(rate.ms), BigInt(rate.tokens) * 1000n)) : null;
  }
  return { tokensPerUpdate, updatesUntil, secondsUntil };
}

function meanTokens(recent: ForecastInput['recent']): number | null {
  if (recent.length === 0) return null;
  const sum = recent.reduce((acc, update) => acc + update.tokens, 0);
  return Math.round(sum / recent.length);
}

/** Tokens burnt over a span of milliseconds; null with fewer than 2 updates or a zero span. */
function burnRate(recent: ForecastInput['recent']): { tokens: number; ms: number } | null {
  if (recent.length < 2) return null;
  const byTime = [...recent].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const [oldest, ...rest] = byTime;
  const newest = byTime.at(-1);
  if (!oldest || !newest) return null;
  const ms = newest.createdAt.getTime() - oldest.createdAt.getTime();
  const tokens = rest.reduce((acc, update) => acc + update.tokens, 0);
  return ms > 0 && tokens > 0 ? { tokens, ms } : null;
}

/** The smallest `used` at or above `percent` of total: ceil(percent * total / 100). */
function tokensToReach(percent: number, total: number): bigint {
  return ceilDiv(BigInt(percent) * BigInt(total), 100n);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
