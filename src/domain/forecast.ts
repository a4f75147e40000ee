import { isAtOrAbove } from './budget.js';

/** How far back the burn rate looks: the pace of the last 10 minutes, idle time included. */
export const FORECAST_WINDOW_MS = 10 * 60_000;

export interface ForecastInput {
  total: number;
  used: number;
  thresholds: readonly number[];
  /** Recent usage updates, newest first (about 20). */
  recent: readonly { tokens: number; createdAt: Date }[];
  /** The moment of the forecast: the window ends here, so the time since the last update counts. */
  now: Date;
  /**
   * When the history began (the session's creation), given when `recent` is the whole history:
   * then the first update's tokens count too, burnt since this moment.
   */
  openedAt?: Date;
}

export interface Forecast {
  /** Mean tokens per update over `recent`, rounded; null without updates. */
  tokensPerUpdate: number | null;
  /** Per threshold and "100": updates until reached; 0 once reached, null without data. */
  updatesUntil: Record<string, number | null>;
  /** Per threshold and "100": seconds until reached at the recent burn rate, rounded up; null without a recent pace. */
  secondsUntil: Record<string, number | null>;
}

/**
 * When the session will reach each threshold at its recent pace. The burn rate is the tokens
 * burnt in a window that ends now (so idle time slows it down) and starts FORECAST_WINDOW_MS
 * earlier, or later: at the session's creation when `recent` is its whole history, else at the
 * oldest update of `recent`, which then only marks where the window starts. Without tokens in
 * the window (idle for longer than it) there is no pace, and no time forecast.
 */
export function forecast(input: ForecastInput): Forecast {
  const { total, used } = input;
  const tokensPerUpdate = meanTokens(input.recent);
  const rate = burnRate(input);
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

/** Tokens burnt over the window's milliseconds; null without tokens in it or with a zero span. */
function burnRate({ recent, now, openedAt }: ForecastInput): { tokens: number; ms: number } | null {
  const byTime = [...recent].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  const [oldest] = byTime;
  if (!oldest) return null;
  // Without the start of the history, the oldest update marks the start and its tokens stay out.
  const [start, counted] = openedAt ? [openedAt.getTime(), byTime] : [oldest.createdAt.getTime(), byTime.slice(1)];
  const end = Math.max(now.getTime(), byTime.at(-1)!.createdAt.getTime());
  const from = Math.max(start, end - FORECAST_WINDOW_MS);
  const inWindow = counted.filter((update) => update.createdAt.getTime() > from || (from === start && update.createdAt.getTime() === start));
  const tokens = inWindow.reduce((acc, update) => acc + update.tokens, 0);
  const ms = end - from;
  return ms > 0 && tokens > 0 ? { tokens, ms } : null;
}

/** The smallest `used` at or above `percent` of total: ceil(percent * total / 100). */
function tokensToReach(percent: number, total: number): bigint {
  return ceilDiv(BigInt(percent) * BigInt(total), 100n);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  return (a + b - 1n) / b;
}
