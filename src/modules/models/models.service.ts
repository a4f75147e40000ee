import type { Clock } from '../../lib/clock.js';
import type { ModelPrices, PriceEntry } from '../../domain/prices.js';
import type { ModelCatalog } from './models.js';
import type { PricesRepository } from './prices.repository.js';

export interface ModelListing {
  model: string;
  contextWindow: number;
  price: PriceEntry | null;
}

export interface ModelsServiceDeps {
  catalog: ModelCatalog;
  prices: PricesRepository;
  clock: Clock;
}

export function createModelsService({ catalog, prices, clock }: ModelsServiceDeps) {
  const projectEntry = (version: number, modelPrices: ModelPrices): PriceEntry => ({
    prices: modelPrices,
    version: `project:${version}`,
    asOf: null,
  });

  return {
    /** The catalog's models with the project's own prices where it set some, then the models only the project prices. */
    async list(projectId: string): Promise<ModelListing[]> {
      const own = new Map((await prices.latest(projectId)).map((price) => [price.model, price]));
      const listed: ModelListing[] = catalog.list().map((info) => {
        const mine = own.get(info.model);
        return { model: info.model, contextWindow: info.contextWindow, price: mine ? projectEntry(mine.version, mine.prices) : info.price };
      });
      for (const [model, mine] of own) {
        if (!catalog.list().some((info) => info.model === model)) {
          listed.push({ model, contextWindow: catalog.defaultBudget(model), price: projectEntry(mine.version, mine.prices) });
        }
      }
      return listed;
    },

    /** A new version of the project's prices for `model`; usage priced before keeps its cost and version. */
    async setPrices(projectId: string, model: string, modelPrices: ModelPrices): Promise<ModelListing> {
      const stored = await prices.insertNext(projectId, model, modelPrices, clock.now());
      return { model, contextWindow: catalog.defaultBudget(model), price: projectEntry(stored.version, stored.prices) };
    },
  };
}

export type ModelsService = ReturnType<typeof createModelsService>;
