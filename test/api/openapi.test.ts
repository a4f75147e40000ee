import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { generateOpenApiYaml, OPENAPI_YAML_PATH } from '../../scripts/openapi-document.js';
import { createTestApp, type TestApp } from '../helpers/app.js';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
// Redocly CLI starts in well under a second here; the margin is for a loaded CI machine.
const REDOCLY_TIMEOUT_MS = 120_000;

interface Operation {
  operationId?: string;
  responses?: Record<string, unknown>;
}

function operationsOf(document: { paths?: Record<string, Record<string, unknown>> }) {
  return Object.entries(document.paths ?? {}).flatMap(([route, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({
      route,
      method,
      operation: item[method] as Operation,
    })),
  );
}

let t: TestApp;
let committed: string;
beforeAll(async () => {
  t = await createTestApp();
  committed = await readFile(OPENAPI_YAML_PATH, 'utf8');
});
afterAll(async () => {
  await t.close();
});

describe('openapi.yaml', () => {
  it('is what the app generates from its routes and schemas', async () => {
    const generated = await generateOpenApiYaml();
    // On failure: regenerate it and commit the result.
    expect(committed, 'openapi.yaml is stale: run `npm run openapi` and commit it').toBe(generated);
  });

  it('is the document the running server serves at /openapi.json', async () => {
    const res = await t.http.get('/openapi.json');

    expect(res.status).toBe(200);
    expect(res.body, 'openapi.yaml differs from /openapi.json: run `npm run openapi`').toEqual(parse(committed));
  });

  it('lints clean with Redocly CLI: no error and no warning', { timeout: REDOCLY_TIMEOUT_MS }, async () => {
    const require = createRequire(import.meta.url);
    const cli = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');
    const repoRoot = path.dirname(OPENAPI_YAML_PATH);
    // Redocly exits 0 on warnings, so read its JSON report instead of the exit code alone.
    const run = promisify(execFile)(process.execPath, [cli, 'lint', 'openapi.yaml', '--format', 'json'], {
      cwd: repoRoot,
      timeout: REDOCLY_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', NO_COLOR: '1' },
    });
    const { stdout } = await run.catch((error: { stdout?: string; stderr?: string; message: string }) => {
      // Exit code 1 means errors were found; the report is on stdout all the same.
      if (error.stdout?.trim().startsWith('{')) return { stdout: error.stdout };
      throw new Error(`redocly lint did not run: ${error.message}\n${error.stderr ?? ''}`);
    });
    const report = JSON.parse(stdout) as {
      totals: { errors: number; warnings: number };
      problems: { ruleId: string; message: string; location?: { pointer?: string }[] }[];
    };
    const problems = report.problems.map((p) => `${p.ruleId}: ${p.message} (${p.location?.[0]?.pointer ?? '?'})`);

    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('gives every operation a unique camelCase verb+noun operationId', () => {
    const operations = operationsOf(parse(committed));
    expect(operations.length).toBeGreaterThan(0);

    const missing = operations.filter(({ operation }) => !operation.operationId).map(({ method, route }) => `${method.toUpperCase()} ${route}`);
    expect(missing, 'routes without an operationId').toEqual([]);

    const ids = operations.map(({ operation }) => operation.operationId!);
    const badlyNamed = ids.filter((id) => !/^[a-z]+(?:[A-Z][a-z0-9]*)+$/.test(id));
    expect(badlyNamed, 'operationIds must be camelCase verb+noun, e.g. recordUsage').toEqual([]);
    expect(
      ids.filter((id, index) => ids.indexOf(id) !== index),
      'duplicated operationIds',
    ).toEqual([]);
  });

  // redocly.yaml turns operation-4xx-response off for the sake of /healthz and /readyz; this keeps
  // the rule for the API itself, where at least a missing or wrong key (401) can always happen.
  it('documents at least one 4xx response on every /v1 operation', () => {
    const without4xx = operationsOf(parse(committed))
      .filter(({ route }) => route.startsWith('/v1/'))
      .filter(({ operation }) => !Object.keys(operation.responses ?? {}).some((status) => /^4(\d\d|XX)$/.test(status)))
      .map(({ method, route }) => `${method.toUpperCase()} ${route}`);

    expect(without4xx).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('serves Swagger UI as an HTML page', async () => {
    const res = await t.http.get('/docs/');

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui');
  });
});
