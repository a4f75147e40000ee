// Every route the app registers is in openapi.yaml (the contract) and in the README's route index,
// and every setting of src/config.ts is in the README's configuration table; neither document names
// a route or a setting that does not exist. The routes are read from the app itself, so a new one
// fails here until it is documented.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { OPENAPI_YAML_PATH } from '../../scripts/openapi-document.js';
import { ConfigSchema, ENV_VARS } from '../../src/config.js';
import { parseRouteTree } from '../fuzz/routes.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();

/**
 * Routes that are not JSON operations of the contract, each for its reason; the README still lists
 * them. Everything else must be in openapi.yaml.
 */
const NOT_IN_OPENAPI: Record<string, string> = {
  'GET /metrics': 'Prometheus text exposition',
  'POST /mcp': 'MCP Streamable HTTP transport (JSON-RPC)',
  'GET /mcp': 'MCP Streamable HTTP transport',
  'DELETE /mcp': 'MCP Streamable HTTP transport',
  'POST /otlp/v1/traces': 'the OTLP/HTTP protocol, defined by OpenTelemetry',
  'POST /otlp/v1/logs': 'the OTLP/HTTP protocol, defined by OpenTelemetry',
  'GET /openapi.json': 'the contract itself',
  'GET /docs': 'Swagger UI over the contract',
};
/** Swagger UI's own assets and copies of the document, served under /docs/: documented as `GET /docs`. */
const isSwaggerUiAsset = (route: string) => route.startsWith('GET /docs/');

/** `{id}` for Fastify's `:id`, so routes compare with OpenAPI's and the README's spelling. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

let routes: string[];
let readme: string;
let openapiOperations: Set<string>;

beforeAll(async () => {
  routes = parseRouteTree(t.app.printRoutes({ commonPrefix: false }))
    .flatMap(({ url, methods }) =>
      methods.filter((method) => method !== 'HEAD' && method !== 'OPTIONS').map((method) => `${method} ${openApiPath(url)}`),
    )
    .filter((route) => !isSwaggerUiAsset(route));
  readme = await readFile(path.join(path.dirname(OPENAPI_YAML_PATH), 'README.md'), 'utf8');
  const document = parse(await readFile(OPENAPI_YAML_PATH, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  openapiOperations = new Set(
    Object.entries(document.paths).flatMap(([route, item]) =>
      Object.keys(item)
        .filter((key) => ['get', 'put', 'post', 'delete', 'patch'].includes(key))
        .map((method) => `${method.toUpperCase()} ${route}`),
    ),
  );
});

/** The lines of one `## title` section of the README. */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  expect(start, `README.md has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end === -1 ? undefined : end);
}

/** The first cells of a section's table rows, without their backticks. */
const firstCells = (text: string) => [...text.matchAll(/^\| `([^`]+)` \|/gm)].map((match) => match[1]!);

describe('openapi.yaml', () => {
  it('has every route the app registers, but those that are not JSON operations', () => {
    expect(routes.length).toBeGreaterThan(50);
    const missing = routes.filter((route) => !openapiOperations.has(route) && !(route in NOT_IN_OPENAPI));
    expect(missing, 'routes missing from openapi.yaml: run `npm run openapi`, or hide them for a reason').toEqual([]);
  });

  it('names no operation the app does not have, and the exceptions are all real routes', () => {
    expect([...openapiOperations].filter((operation) => !routes.includes(operation))).toEqual([]);
    expect(Object.keys(NOT_IN_OPENAPI).filter((route) => !routes.includes(route))).toEqual([]);
  });
});

describe('README.md', () => {
  it('lists every route in its route index, and only routes that exist', () => {
    const listed = firstCells(section('Routes'));
    expect(
      routes.filter((route) => !listed.includes(route)),
      'routes missing from the "## Routes" table of README.md',
    ).toEqual([]);
    expect(
      listed.filter((route) => !routes.includes(route)),
      'README.md lists routes the app does not have',
    ).toEqual([]);
  });

  it('has every setting of src/config.ts in its configuration table, and only those', () => {
    const variables = Object.values(ENV_VARS);
    // Every setting of the schema is fed by a variable.
    expect(Object.keys(ENV_VARS).sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    const listed = firstCells(section('Configuration'));
    expect(
      variables.filter((variable) => !listed.includes(variable)),
      'settings missing from the "## Configuration" table of README.md',
    ).toEqual([]);
    expect(
      listed.filter((variable) => !(variables as string[]).includes(variable)),
      'README.md documents settings that do not exist',
    ).toEqual([]);
  });
});
