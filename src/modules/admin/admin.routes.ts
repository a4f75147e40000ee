import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { problems } from '../../lib/wire.js';
import {
  ApiKeyParamsSchema,
  CreateApiKeyBodySchema,
  CreateProjectBodySchema,
  CreatedApiKeySchema,
  CreatedProjectSchema,
  ProjectParamsSchema,
  createdApiKeyWire,
  issuedKeyWire,
} from './admin.schemas.js';
import type { ProjectsService } from './projects.service.js';

/** Operator routes, behind ADMIN_TOKEN (registered only when it is set; app.ts checks the token). */
export const adminRoutes: FastifyPluginAsyncZod<{ projects: ProjectsService }> = async (app, { projects }) => {
  const security = [{ adminToken: [] }];

  app.post(
    '/projects',
    {
      schema: {
        operationId: 'createProject',
        tags: ['admin'],
        summary: 'Create a project and its first API key',
        description: 'With `Authorization: Bearer <ADMIN_TOKEN>`. The key is shown only in this answer.',
        security,
        body: CreateProjectBodySchema,
        response: { 201: CreatedProjectSchema, ...problems(400, 401, 413, 415) },
        responseDescriptions: { 201: 'The project and its first API key' },
      },
    },
    async (request, reply) => {
      const created = await projects.createProject(request.body.name);
      return reply.code(201).send({ ...issuedKeyWire(created), name: created.name });
    },
  );

  app.post(
    '/projects/:id/api-keys',
    {
      schema: {
        operationId: 'createApiKey',
        tags: ['admin'],
        summary: 'Issue another API key for a project (for rotation)',
        description: 'The old keys keep working until revoked. The new key is shown only in this answer.',
        security,
        params: ProjectParamsSchema,
        body: CreateApiKeyBodySchema,
        response: { 201: CreatedApiKeySchema, ...problems(400, 401, 404, 413, 415) },
        responseDescriptions: { 201: 'The new API key' },
      },
    },
    async (request, reply) => {
      const expiresAt = request.body.expires_at === undefined ? undefined : new Date(request.body.expires_at);
      return reply.code(201).send(createdApiKeyWire(await projects.createKey(request.params.id, expiresAt)));
    },
  );

  app.delete(
    '/api-keys/:id',
    {
      schema: {
        operationId: 'revokeApiKey',
        tags: ['admin'],
        summary: 'Revoke an API key',
        description: 'Requests with it are 401 from then on, on every replica.',
        security,
        params: ApiKeyParamsSchema,
        response: { 204: z.null().describe('Revoked'), ...problems(401, 404) },
      },
    },
    async (request, reply) => {
      await projects.revokeKey(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
