import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import type { ModelCatalog } from './models.js';

const ModelSchema = z.object({ model: z.string(), context_window: z.int() }).meta({ id: 'Model' });

export const modelsRoutes: FastifyPluginAsyncZod<{ models: ModelCatalog }> = async (app, { models }) => {
  app.get(
    '/models',
    {
      schema: {
        operationId: 'listModels',
        tags: ['models'],
        summary: 'Models and their context windows (the default token budget of a new session)',
        response: { 200: z.array(ModelSchema), ...problems(401) },
      },
    },
    async () => models.list().map((info) => ({ model: info.model, context_window: info.contextWindow })),
  );
};
