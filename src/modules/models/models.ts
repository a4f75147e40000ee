import type { CatalogModel } from '../../domain/model-catalog.js';
import type { PriceEntry } from '../../domain/prices.js';

export const DEFAULT_MODEL = 'claude-sonnet-4-5-20250929';
export const FALLBACK_CONTEXT_WINDOW = 200_000;

export type ModelInfo = CatalogModel;

/** The models of this deployment: built in, plus or overridden by the MODELS setting. */
export function createModelCatalog(models: readonly ModelInfo[]) {
  const byName = new Map(models.map((info) => [info.model, info]));
  return {
    list: (): ModelInfo[] => [...byName.values()],
    /** The budget a new session gets when it names none. */
    defaultBudget: (model: string): number => byName.get(model)?.contextWindow ?? FALLBACK_CONTEXT_WINDOW,
    /** The catalog's prices of a model; null when it has none. */
    priceOf: (model: string): PriceEntry | null => byName.get(model)?.price ?? null,
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
