// The models every deployment knows, their context windows and their published prices (USD per
// million tokens), taken on BUILT_IN_PRICES_AS_OF from the providers' pricing pages (README,
// "Token classes and cost"). Prices of long-context tiers (> 200K input tokens), batch and
// priority tiers are not modelled: the standard tier is. `MODELS` adds to or overrides these.
import type { ModelPrices, PriceEntry } from './prices.js';

export const BUILT_IN_PRICES_AS_OF = '2025-12-01';

export interface CatalogModel {
  model: string;
  contextWindow: number;
  /** null: no price known (its usage has no cost). */
  price: PriceEntry | null;
}

const priced = (prices: ModelPrices): PriceEntry => ({ prices, version: `catalog:${BUILT_IN_PRICES_AS_OF}`, asOf: BUILT_IN_PRICES_AS_OF });

/** Anthropic: 5-minute cache writes 1.25 × input, 1-hour writes 2 ×, cache hits 0.1 ×. */
const anthropic = (input: string, output: string, cacheRead: string, cacheWrite: string, cacheWrite1h: string) =>
  priced({ input, output, cacheRead, cacheWrite, cacheWrite1h });
/** OpenAI and Gemini charge no cache writes beyond input: writing the cache costs the input price. */
const uncachedWrites = (input: string, output: string, cacheRead: string) =>
  priced({ input, output, cacheRead, cacheWrite: input, cacheWrite1h: null });

export const DEFAULT_MODELS: readonly CatalogModel[] = Object.freeze([
  { model: 'claude-sonnet-4-5-20250929', contextWindow: 200_000, price: anthropic('3', '15', '0.3', '3.75', '6') },
  { model: 'claude-haiku-4-5-20251001', contextWindow: 200_000, price: anthropic('1', '5', '0.1', '1.25', '2') },
  { model: 'claude-opus-4-1-20250805', contextWindow: 200_000, price: anthropic('15', '75', '1.5', '18.75', '30') },
  { model: 'claude-opus-4-5-20251101', contextWindow: 200_000, price: anthropic('5', '25', '0.5', '6.25', '10') },
  { model: 'gpt-5', contextWindow: 400_000, price: uncachedWrites('1.25', '10', '0.125') },
  { model: 'gpt-5-mini', contextWindow: 400_000, price: uncachedWrites('0.25', '2', '0.025') },
  { model: 'gpt-4.1', contextWindow: 1_047_576, price: uncachedWrites('2', '8', '0.5') },
  { model: 'gpt-4o', contextWindow: 128_000, price: uncachedWrites('2.5', '10', '1.25') },
  { model: 'gemini-2.5-pro', contextWindow: 1_048_576, price: uncachedWrites('1.25', '10', '0.125') },
  { model: 'gemini-2.5-flash', contextWindow: 1_048_576, price: uncachedWrites('0.3', '2.5', '0.03') },
]);

export const pricesOf = (model: string): PriceEntry | null => DEFAULT_MODELS.find((entry) => entry.model === model)?.price ?? null;
