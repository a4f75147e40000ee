import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EXAMPLE } from '../../lib/examples.js';
import { NameSchema, problems } from '../../lib/wire.js';
import { canonicalPrice } from '../../domain/prices.js';
import type { ModelListing, ModelsService } from './models.service.js';

const PriceSchema = z.string().meta({ description: 'USD per million tokens, an exact decimal', example: '3.75' });

const PricesSchema = z
  .object({
    input: PriceSchema.describe('Uncached input'),
    output: PriceSchema.describe('Output, reasoning included'),
    cache_read: PriceSchema.describe('Input read from a prompt cache'),
    cache_write: PriceSchema.describe('Input written to a (5-minute) prompt cache'),
    cache_write_1h: PriceSchema.optional().describe('Input written to a 1-hour cache, where the provider prices it apart (Anthropic)'),
  })
  .meta({ id: 'ModelPrices', description: 'USD per million tokens of each token class' });

const ModelSchema = z
  .object({
    model: z.string().meta({ description: 'The model name, as sessions give it', examples: ['claude-sonnet-4-5-20250929'] }),
    context_window: z.int().meta({ description: 'Its context window in tokens: the default budget of its sessions', examples: [200000] }),
    prices_usd_per_mtok: PricesSchema.nullable().describe('null: no price known, usage of this model has no cost'),
    prices_as_of: z.string().nullable().describe("The date the prices were taken from the provider's published prices; null for a project's own"),
    price_version: z.string().nullable().meta({
      description: 'What usage rows priced at these prices name: `catalog:<date>`, `settings:<date>` (MODELS) or `project:<n>`',
      example: 'catalog:2025-12-01',
    }),
  })
  .meta({ id: 'Model', description: 'A known model and its prices' });

const PriceInputSchema = z
  .union([z.string(), z.number()])
  .refine((value) => canonicalPrice(value) !== null, 'must be a decimal ≥ 0 with at most 6 decimals, up to 100000 (USD per million tokens)');

const SetPricesBodySchema = z
  .strictObject({
    input: PriceInputSchema.describe('Uncached input, USD per million tokens (a decimal string or number)'),
    output: PriceInputSchema.describe('Output, reasoning included'),
    cache_read: PriceInputSchema.describe('Input read from a prompt cache'),
    cache_write: PriceInputSchema.describe('Input written to a (5-minute) prompt cache'),
    cache_write_1h: PriceInputSchema.optional().describe('Input written to a 1-hour cache, where the provider prices it apart; omitted: none'),
  })
  .meta({ id: 'SetModelPricesRequest', example: { input: '3', output: '15', cache_read: '0.3', cache_write: '3.75', cache_write_1h: '6' } });

function modelWire(listing: ModelListing): z.infer<typeof ModelSchema> {
  const p = listing.price?.prices;
  return {
    model: listing.model,
    context_window: listing.contextWindow,
    prices_usd_per_mtok: p
      ? {
          input: p.input,
          output: p.output,
          cache_read: p.cacheRead,
          cache_write: p.cacheWrite,
          ...(p.cacheWrite1h !== null ? { cache_write_1h: p.cacheWrite1h } : {}),
        }
      : null,
    prices_as_of: listing.price?.asOf ?? null,
    price_version: listing.price?.version ?? null,
  };
}

export const modelsRoutes: FastifyPluginAsyncZod<{ models: ModelsService }> = async (app, { models }) => {
  app.get(
    '/models',
    {
      schema: {
        operationId: 'listModels',
        tags: ['models'],
        summary: 'Models, their context windows (the default token budget of a new session) and prices per token class',
        description: "The project's own prices (PUT /v1/models/{model}/prices) replace the built-in ones.",
        response: { 200: z.array(ModelSchema), ...problems(401) },
        responseDescriptions: { 200: 'Every known model' },
      },
    },
    async (request) => (await models.list(request.auth.projectId)).map(modelWire),
  );

  app.put(
    '/models/:model/prices',
    {
      schema: {
        operationId: 'setModelPrices',
        tags: ['models'],
        summary: "Set this project's prices of a model (USD per million tokens), as a new version",
        description:
          'Usage updates from now on are priced at these prices; every usage row keeps the cost and price_version it was ' +
          'computed with, so a price change never rewrites history.',
        params: z.strictObject({
          model: NameSchema.meta({ description: 'The model (any name: a model not known yet too)', examples: [EXAMPLE.model] }),
        }),
        body: SetPricesBodySchema,
        response: { 200: ModelSchema, ...problems(400, 401, 415) },
        responseDescriptions: { 200: 'The model with its new prices and price_version' },
      },
    },
    async (request) => {
      const body = request.body;
      const price = (value: string | number) => canonicalPrice(value)!;
      return modelWire(
        await models.setPrices(request.auth.projectId, request.params.model, {
          input: price(body.input),
          output: price(body.output),
          cacheRead: price(body.cache_read),
          cacheWrite: price(body.cache_write),
          cacheWrite1h: body.cache_write_1h === undefined ? null : price(body.cache_write_1h),
        }),
      );
    },
  );
};
