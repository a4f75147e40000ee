import { afterAll, beforeAll } from 'vitest';
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

export interface UseTestAppOptions extends TestAppOptions {
  /** Also listen on a free loopback port (for real HTTP clients): `baseUrl` is then set. */
  listen?: boolean;
}

export type UsedTestApp = TestApp & {
  /** `http://127.0.0.1:<port>` of the listening app (with `listen: true`). */
  readonly baseUrl: string;
};

/**
 * The test file's app: built before its tests (beforeAll), closed after them (afterAll). The handle
 * it returns reads through to that app, so it can be taken at the top of the file; touching it
 * outside a test (at import time) throws.
 */
export function useTestApp(options: UseTestAppOptions = {}): UsedTestApp {
  let current: TestApp | undefined;
  let baseUrl: string | undefined;
  beforeAll(async () => {
    current = await createTestApp(options);
    if (options.listen) baseUrl = await current.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await current?.close();
    current = undefined;
  });
  return new Proxy({} as UsedTestApp, {
    get(_target, key) {
      if (!current) throw new Error('useTestApp(): the app exists only while the file runs its tests');
      if (key === 'baseUrl') {
        if (baseUrl === undefined) throw new Error('useTestApp(): pass { listen: true } to get a baseUrl');
        return baseUrl;
      }
      return Reflect.get(current, key);
    },
  });
}
