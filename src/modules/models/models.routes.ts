import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import type { ModelCatalog } from './models.js';

const ModelSchema = z
  .object({
    model: z.string().meta({ description: 'The model name, as sessions give it', examples: ['claude-sonnet-4-5-20250929'] }),
    context_window: z.int().meta({ description: 'Its context window in tokens: the default budget of its sessions', examples: [200000] }),
  })
  .meta({ id: 'Model', description: 'A known model' });

export const modelsRoutes: FastifyPluginAsyncZod<{ models: ModelCatalog }> = async (app, { models }) => {
  app.get(
    '/models',
    {
      schema: {
        operationId: 'listModels',
        tags: ['models'],
        summary: 'Models and their context windows (the default token budget of a new session)',
        description: 'The models this server knows (MODELS configures them) and their context windows.',
        response: { 200: z.array(ModelSchema), ...problems(401) },
        responseDescriptions: { 200: 'Every known model' },
      },
    },
    async () => models.list().map((info) => ({ model: info.model, context_window: info.contextWindow })),
  );
};
