import supertest from 'supertest';
import { buildApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import type { Clock } from '../../src/lib/clock.js';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { createTestDatabase } from './test-database.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestAppOptions {
  config?: Partial<Config>;
  clock?: Clock;
  /** Sees every SQL statement the app sends. */
  onQuery?: (sql: string) => void;
}

/**
 * The real app on a real database (PGlite, or PostgreSQL with TEST_DATABASE_URL). Each test makes
 * its own project with `newProject()`, so tests never see each other's data.
 */
export async function createTestApp(options: TestAppOptions = {}) {
  const db = await createTestDatabase({ onQuery: options.onQuery, poolMax: options.config?.databasePoolMax });
  const config = testConfig({ adminToken: TEST_ADMIN_TOKEN, ...options.config });
  const container = createContainer({ config, db, migrations: await loadMigrations(MIGRATIONS_DIR), clock: options.clock });
  const app = await buildApp({ config, container });
  await app.ready();
  const http = supertest(app.server);

  let projects = 0;
  async function newProject() {
    const project = await container.services.projects.createProject(`test-project-${++projects}`);
    return { projectId: project.projectId, apiKey: project.apiKey, auth: { authorization: `Bearer ${project.apiKey}` } };
  }

  return {
    app,
    db,
    config,
    container,
    http,
    newProject,
    async close() {
      await app.close();
      await container.webhookDispatcher.stop();
      await db.close();
    },
  };
}

export type TestApp = Awaited<ReturnType<typeof createTestApp>>;
