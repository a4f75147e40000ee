// Prices per model and token class, in USD per million tokens, and the exact cost of a call.
// Decimals are strings and computed as integers (never floats): a price has at most
// PRICE_DECIMALS decimals, so a cost is a whole number of 10^-(PRICE_DECIMALS + 6) dollars.
import type { TokenClasses } from './token-classes.js';

/** Decimals a price per million tokens may have: 0.000001 $/MTok is the smallest step. */
export const PRICE_DECIMALS = 6;
/** A cost is exact in this many decimals of a dollar (price decimals + the million). */
export const COST_DECIMALS = PRICE_DECIMALS + 6;
/** The largest price accepted, in USD per million tokens. */
export const MAX_PRICE_USD_PER_MTOK = 100_000;

export interface ModelPrices {
  input: string;
  output: string;
  cacheRead: string;
  cacheWrite: string;
  /** Anthropic prices a 1-hour cache write apart; null: such writes cost `cacheWrite`. */
  cacheWrite1h: string | null;
}

/** Where a model's prices come from and which version: usage rows keep the version they used. */
export interface PriceEntry {
  prices: ModelPrices;
  /** `catalog:<as_of>` (built in or MODELS), `project:<n>` (set through the API). */
  version: string;
  /** The date the prices were taken from the provider's published prices (YYYY-MM-DD); null when set through the API. */
  asOf: string | null;
}

export const DECIMAL_PATTERN = new RegExp(`^\\d{1,6}(\\.\\d{1,${PRICE_DECIMALS}})?$`);

/** A price as given (a decimal string or a JSON number) → its canonical decimal string, or null if it is not one. */
export function canonicalPrice(value: string | number): string | null {
  const text = typeof value === 'number' ? (Number.isFinite(value) && value >= 0 ? String(value) : '') : value.trim();
  if (!DECIMAL_PATTERN.test(text)) return null;
  const scaled = toScaled(text, PRICE_DECIMALS);
  if (scaled > BigInt(MAX_PRICE_USD_PER_MTOK) * 10n ** BigInt(PRICE_DECIMALS)) return null;
  return formatScaled(scaled, PRICE_DECIMALS);
}

/** A decimal string with at most `decimals` decimals → the integer of its value × 10^decimals. */
export function toScaled(text: string, decimals: number): bigint {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole!) * 10n ** BigInt(decimals) + BigInt((fraction + '0'.repeat(decimals)).slice(0, decimals) || '0');
}

/** The integer `value` × 10^-decimals as a decimal string without trailing zeros ("0.0003", "12", "0"). */
export function formatScaled(value: bigint, decimals: number): string {
  const sign = value < 0n ? '-' : '';
  const magnitude = value < 0n ? -value : value;
  const unit = 10n ** BigInt(decimals);
  const fraction = (magnitude % unit).toString().padStart(decimals, '0').replace(/0+$/, '');
  return `${sign}${magnitude / unit}${fraction ? `.${fraction}` : ''}`;
}

/** Exact cost in USD of a call's classes at `prices`: Σ class × price / 10^6, as a decimal string. */
export function costUsd(classes: TokenClasses, prices: ModelPrices): string {
  const price = (value: string) => toScaled(value, PRICE_DECIMALS);
  const fiveMinuteWrites = classes.cacheWrite - classes.cacheWrite1h;
  const sum =
    BigInt(classes.input) * price(prices.input) +
    BigInt(classes.cacheRead) * price(prices.cacheRead) +
    BigInt(fiveMinuteWrites) * price(prices.cacheWrite) +
    BigInt(classes.cacheWrite1h) * price(prices.cacheWrite1h ?? prices.cacheWrite) +
    BigInt(classes.output) * price(prices.output);
  return formatScaled(sum, COST_DECIMALS);
}

/** Adds decimal strings exactly (sums of costs). */
export function addUsd(...values: string[]): string {
  return formatScaled(
    values.reduce((sum, value) => sum + toScaled(value, COST_DECIMALS), 0n),
    COST_DECIMALS,
  );
}

/**
 * Cost thresholds crossed when the limit moves from `before` to `after` with `usedUsd` spent
 * (a PATCH of cost_limit_usd): the position went from below a percent to at or above it. No limit
 * is position 0. Exact: compared as integers.
 */
export function crossedCostThresholds(thresholds: number[], usedUsd: string, before: string | null, after: string | null): number[] {
  if (after === null) return [];
  const used = toScaled(usedUsd, COST_DECIMALS) * 100n;
  const reached = (percent: number, limit: string | null) => limit !== null && used >= BigInt(percent) * toScaled(limit, COST_DECIMALS);
  return thresholds.filter((percent) => !reached(percent, before) && reached(percent, after));
}

/** used / limit × 100 rounded half up to 2 decimals, exactly (as PostgreSQL's round(numeric, 2)); null without a positive limit. */
export function costPositionPercent(usedUsd: string, limitUsd: string | null): number | null {
  if (limitUsd === null) return null;
  const limit = toScaled(limitUsd, COST_DECIMALS);
  if (limit <= 0n) return null;
  const hundredths = (toScaled(usedUsd, COST_DECIMALS) * 10_000n * 2n + limit) / (2n * limit);
  return Number(hundredths) / 100;
}
