// Builds the OpenAPI document the way the running service would serve it at /openapi.json, and
// renders it as YAML. Shared by `npm run openapi` (scripts/write-openapi.ts) and the test that
// fails when the committed openapi.yaml is stale (test/api/openapi.test.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { buildApp } from '../src/app.js';
import { testConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { IN_MEMORY_DATA_DIR, openDatabase } from '../src/lib/db.js';
import { applyMigrations, loadMigrations, MIGRATIONS_DIR } from '../src/lib/migrate.js';

/** Where the committed document lives: the repository root. */
export const OPENAPI_YAML_PATH = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'openapi.yaml');

// Any value of 16+ characters: it only has to be set, so that the admin routes are registered
// and documented. It never reaches the document.
const PLACEHOLDER_ADMIN_TOKEN = 'openapi-placeholder-admin-token';

const HEADER = '# Generated from the running app by `npm run openapi` (scripts/write-openapi.ts). Do not edit by hand.\n';

/** The document as app.swagger() returns it, from the app built on a throwaway in-memory database. */
export async function generateOpenApiDocument(): Promise<Record<string, unknown>> {
  const db = await openDatabase({ dataDir: IN_MEMORY_DATA_DIR });
  try {
    const migrations = await loadMigrations(MIGRATIONS_DIR);
    await applyMigrations(db, migrations);
    const config = testConfig({ adminToken: PLACEHOLDER_ADMIN_TOKEN });
    const app = await buildApp({ config, container: createContainer({ config, db, migrations }) });
    try {
      await app.ready();
      return app.swagger() as unknown as Record<string, unknown>;
    } finally {
      await app.close();
    }
  } finally {
    await db.close();
  }
}

/** The document as YAML, byte for byte the same for the same routes and schemas. */
export async function generateOpenApiYaml(): Promise<string> {
  const document = await generateOpenApiDocument();
  // A JSON round trip drops `undefined` values and breaks shared object references, so the YAML
  // has no anchors/aliases and depends only on the document's content and key order (which
  // follows route registration order, itself fixed by src/app.ts).
  const plain = JSON.parse(JSON.stringify(document)) as unknown;
  return HEADER + stringify(plain, { lineWidth: 0, aliasDuplicateObjects: false });
}
