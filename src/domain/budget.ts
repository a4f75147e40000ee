/**
 * Token-budget arithmetic: positions, levels, threshold crossings and deferral of
 * non-critical context. Pure functions; every comparison is exact integer arithmetic
 * (BigInt where products can pass 2^53), never a comparison of rounded percentages.
 */

export interface TokenBudget {
  total: number;
  used: number;
  /** Tokens in live holds (reservations not yet committed, released or expired). */
  reserved: number;
  /** total - used - reserved; negative when over budget. */
  available: number;
  /** used / total * 100, rounded half up to 2 decimals. */
  positionPercent: number;
}

/** Where a session stands: `used` of `total`. */
export interface BudgetPosition {
  used: number;
  total: number;
}

export type Level = 'normal' | 'progressive_disclosure' | 'defer_non_critical' | 'emergency';

/** The reference metrics table; each level starts at its bound (inclusive) and ends at the next. */
export const LEVELS: readonly { level: Level; fromPercent: number }[] = Object.freeze([
  { level: 'normal', fromPercent: 0 },
  { level: 'progressive_disclosure', fromPercent: 60 },
  { level: 'defer_non_critical', fromPercent: 75 },
  { level: 'emergency', fromPercent: 85 },
]);

export const DEFER_AT_PERCENT = 75;
export const EMERGENCY_AT_PERCENT = 85;
/** Below this many available tokens, resume and restore defer the non-critical context first. */
export const LOW_BUDGET_TOKENS = 30_000;
// Frozen so an accidental sort() or push() throws; copy before changing.
export const DEFAULT_THRESHOLDS: number[] = Object.freeze([DEFER_AT_PERCENT, EMERGENCY_AT_PERCENT]) as number[];
export const DEFAULT_NON_CRITICAL_KEYS: string[] = Object.freeze(['temp_context']) as string[];

/** Throws RangeError unless total is a positive integer and used a non-negative integer. */
function check(total: number, used: number): void {
  if (!Number.isSafeInteger(total) || total <= 0) throw new RangeError(`total must be a positive integer, got ${total}`);
  if (!Number.isSafeInteger(used) || used < 0) throw new RangeError(`used must be a non-negative integer, got ${used}`);
}

/** Exactly: used / total * 100 >= percent. */
export function isAtOrAbove(used: number, total: number, percent: number): boolean {
  return BigInt(used) * 100n >= BigInt(percent) * BigInt(total);
}

/** Position, levels and crossings stay on `used`; only `available` also subtracts what is reserved. */
export function tokenBudget(total: number, used: number, reserved = 0): TokenBudget {
  check(total, used);
  if (!Number.isSafeInteger(reserved) || reserved < 0) throw new RangeError(`reserved must be a non-negative integer, got ${reserved}`);
  return { total, used, reserved, available: total - used - reserved, positionPercent: positionPercent(used, total) };
}

/** used / total * 100 to 2 decimals, half up: floor((2 * used * 10^4 + total) / (2 * total)) / 100. */
function positionPercent(used: number, total: number): number {
  const t = BigInt(total);
  const hundredths = (BigInt(used) * 20_000n + t) / (2n * t);
  // q / 100 is correctly rounded by IEEE division, so 101n → 1.01 exactly as written.
  return Number(hundredths) / 100;
}

export function levelOf(used: number, total: number): Level {
  check(total, used);
  let current: Level = 'normal';
  for (const { level, fromPercent } of LEVELS) {
    if (isAtOrAbove(used, total, fromPercent)) current = level;
  }
  return current;
}

/**
 * Thresholds (percent) that one update crosses: from below t to t or above, ascending and
 * without duplicates. A threshold the position has fallen below again (e.g. after total
 * was raised) is simply below t again, so it fires on the next crossing.
 */
export function crossedThresholds(thresholds: readonly number[], before: BudgetPosition, after: BudgetPosition): number[] {
  check(before.total, before.used);
  check(after.total, after.used);
  const ascending = [...new Set(thresholds)].sort((a, b) => a - b);
  return ascending.filter((t) => !isAtOrAbove(before.used, before.total, t) && isAtOrAbove(after.used, after.total, t));
}

/**
 * Moves the keys present in `context` into `deferred` (newer values overwrite older deferred
 * ones). Nothing is deleted and the inputs are not mutated; `moved` lists the keys moved.
 */
export function deferNonCriticalContext(
  context: Record<string, unknown>,
  deferred: Record<string, unknown>,
  keys: readonly string[],
): { context: Record<string, unknown>; deferred: Record<string, unknown>; moved: string[] } {
  const moved = [...new Set(keys)].filter((key) => Object.hasOwn(context, key));
  if (moved.length === 0) return { context: { ...context }, deferred: { ...deferred }, moved };
  const keep = Object.entries(context).filter(([key]) => !moved.includes(key));
  const move = moved.map((key) => [key, context[key]] as const);
  // Object.fromEntries defines own properties, so a key like "__proto__" stays plain data.
  return {
    context: Object.fromEntries(keep),
    deferred: { ...deferred, ...Object.fromEntries(move) },
    moved,
  };
}
