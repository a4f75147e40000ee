import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Container } from './container.js';
import { adminRoutes } from './modules/admin/admin.routes.js';
import { modelsRoutes } from './modules/models/models.routes.js';
import { sessionsRoutes } from './modules/sessions/sessions.routes.js';
import { usageRoutes } from './modules/usage/usage.routes.js';
import { requireApiKey } from './plugins/auth.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { healthRoutes } from './plugins/health.js';
import { idempotencyHooks } from './plugins/idempotency.js';
import { swaggerPlugin } from './plugins/swagger.js';

export interface BuildAppOptions {
  config: Config;
  container: Container;
  /** Overrides for the logger, e.g. a stream that tests read. */
  logger?: FastifyServerOptions['logger'];
}

const REDACTED_PATHS = ['req.headers.authorization', 'req.headers["idempotency-key"]'];

export async function buildApp({ config, container, logger }: BuildAppOptions) {
  const app = Fastify({
    logger: logger ?? { level: config.logLevel, redact: REDACTED_PATHS },
    bodyLimit: config.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON only: anything else is 415 rather than a string the schemas then refuse.
  app.removeContentTypeParser('text/plain');
  // PATCH bodies are JSON merge patches (RFC 7396); accept their media type as JSON.
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));

  const { services } = container;
  await app.register(errorHandlerPlugin);
  await app.register(swaggerPlugin);
  await app.register(healthRoutes, { readiness: container.readiness });

  await app.register(
    async (v1) => {
      requireApiKey(v1, services.projects.authenticate);
      idempotencyHooks(v1, { idempotency: container.repositories.idempotency, clock: container.clock, ttlHours: config.idempotencyTtlHours });
      await v1.register(sessionsRoutes, { sessions: services.sessions });
      await v1.register(usageRoutes, { usage: services.usage });
      await v1.register(modelsRoutes, { models: container.models });
    },
    { prefix: '/v1' },
  );

  if (config.adminToken) {
    await app.register(adminRoutes, { prefix: '/v1/admin', projects: services.projects, adminToken: config.adminToken });
  }

  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;
