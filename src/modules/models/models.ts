import type { CatalogModel } from '../../domain/model-catalog.js';
import type { PriceEntry } from '../../domain/prices.js';
import { AppError } from '../../lib/errors.js';

export const DEFAULT_MODEL = 'claude-sonnet-4-5-20250929';
export const FALLBACK_CONTEXT_WINDOW = 200_000;

export type ModelInfo = CatalogModel;

export interface ModelCatalogOptions {
  /** ALLOW_UNKNOWN_MODELS: a session may name a model the catalog lacks (its budget then defaults to 200,000). */
  allowUnknown?: boolean;
}

/** The models of this deployment: built in, plus or overridden by the MODELS setting. */
export function createModelCatalog(models: readonly ModelInfo[], { allowUnknown = false }: ModelCatalogOptions = {}) {
  const byName = new Map(models.map((info) => [info.model, info]));
  return {
    list: (): ModelInfo[] => [...byName.values()],
    /** The budget a new session gets when it names none. */
    defaultBudget: (model: string): number => byName.get(model)?.contextWindow ?? FALLBACK_CONTEXT_WINDOW,
    /** The catalog's prices of a model; null when it has none. */
    priceOf: (model: string): PriceEntry | null => byName.get(model)?.price ?? null,
    /** Whether a session may name `model` without asking the project: in the catalog, or any model allowed. */
    accepts: (model: string): boolean => allowUnknown || byName.has(model),
    /**
     * 400 for a model neither this deployment nor the project (`projectModels`: those it priced)
     * knows, listing the ones they do, unless unknown models are allowed: a misspelt name would
     * otherwise get a 200,000-token budget silently.
     */
    assertKnown(model: string, { projectModels = [], path = 'body.model' }: { projectModels?: readonly string[]; path?: string } = {}): void {
      if (allowUnknown || byName.has(model) || projectModels.includes(model)) return;
      const known = [...new Set([...byName.keys(), ...projectModels])];
      const message =
        `unknown model ${JSON.stringify(model)}: known models are ${known.join(', ')} (GET /v1/models; ` +
        'the MODELS setting adds more, and a project its own with PUT /v1/models/{model}/prices; ALLOW_UNKNOWN_MODELS=true accepts any)';
      throw new AppError('VALIDATION_FAILED', { detail: `${path}: ${message}`, errors: [{ path, message }], extensions: { known_models: known } });
    },
  };
}

export type ModelCatalog = ReturnType<typeof createModelCatalog>;
