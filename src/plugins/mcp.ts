// The service as an MCP server: Streamable HTTP at /mcp, stateless, built with the official
// TypeScript SDK (@modelcontextprotocol/server 2.x). Each request is served by a fresh McpServer
// bound to the project of the request's API key (createMcpHandler's per-request factory); the same
// Bearer authentication as /v1 runs first, so a request without a valid key is a 401 and no tool runs.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  createMcpHandler,
  McpServer,
  ResourceNotFoundError,
  ResourceTemplate,
  SUPPORTED_PROTOCOL_VERSIONS,
  type CallToolResult,
  type StandardSchemaWithJSON,
} from '@modelcontextprotocol/server';
import { AppError } from '../lib/errors.js';
import { budgetOf, MCP_TOOLS, type McpToolServices } from '../modules/mcp/mcp.tools.js';
import { requireApiKey, type ApiKeyVerifier } from './auth.js';
import { problemFor, toAppError } from './error-handler.js';
import { limitPerApiKey, type FailedAuthLimiter } from './rate-limit.js';
import { API_VERSION } from './swagger.js';

export const MCP_PATH = '/mcp';
export const MCP_SERVER_NAME = 'session-state';
/** The 2026-07-28 revision (per-request, no session), and the 2025-era ones served statelessly. */
export const MCP_PROTOCOL_VERSIONS: readonly string[] = ['2026-07-28', ...SUPPORTED_PROTOCOL_VERSIONS];

export interface McpPluginOptions {
  services: McpToolServices;
  keys: ApiKeyVerifier;
  rateLimit: { max: number; windowMs: number };
  /** The per-address limit on failed authentication, shared with /v1 and /otlp (undefined: off). */
  failedAuth?: FailedAuthLimiter;
  /** A tool call carries at most a checkpoint snapshot and some envelope. */
  bodyLimitBytes: number;
}

/**
 * A tool's JSON Schema as short as it can be for the agent reading it: the REST schemas' examples
 * (they serve Swagger UI), `$defs` inlined where they are referenced (named schemas of the REST
 * contract), and `propertyNames: {type: string}` (every JSON key is a string) cost only tokens.
 */
function compactSchema(schema: unknown, defs: Record<string, unknown> = {}, isPropertyMap = false): unknown {
  if (Array.isArray(schema)) return schema.map((item) => compactSchema(item, defs));
  if (schema === null || typeof schema !== 'object') return schema;
  const node = schema as Record<string, unknown>;
  const allDefs = { ...defs, ...((node.$defs as Record<string, unknown> | undefined) ?? {}) };
  const ref = typeof node.$ref === 'string' && node.$ref.startsWith('#/$defs/') ? allDefs[node.$ref.slice('#/$defs/'.length)] : undefined;
  const merged = ref && typeof ref === 'object' ? { ...ref, ...node } : node;
  const entries = Object.entries(merged).filter(
    ([key, value]) =>
      // In `properties` the keys are field names, not keywords.
      isPropertyMap ||
      !(
        key === 'examples' ||
        key === 'example' ||
        key === '$defs' ||
        (key === '$ref' && ref) ||
        (key === 'propertyNames' && JSON.stringify(value) === '{"type":"string"}')
      ),
  );
  return Object.fromEntries(entries.map(([key, value]) => [key, compactSchema(value, allDefs, !isPropertyMap && key === 'properties')]));
}

/**
 * The tool's zod schema as the SDK lists it, without the `$schema` key zod adds: MCP's default dialect
 * is JSON Schema 2020-12 already, and the key would cost every tool ~15 tokens. Validation is zod's.
 */
function listedWithoutDialect(schema: StandardSchemaWithJSON): StandardSchemaWithJSON {
  const standard = schema['~standard'];
  type Convert = (typeof standard)['jsonSchema']['input'];
  const strip =
    (convert: Convert): Convert =>
    (options) => {
      const listed = compactSchema({ ...convert(options) }) as ReturnType<Convert>;
      delete listed.$schema;
      return listed;
    };
  return { '~standard': { ...standard, jsonSchema: { input: strip(standard.jsonSchema.input), output: strip(standard.jsonSchema.output) } } };
}

const json = (value: unknown): CallToolResult => ({ content: [{ type: 'text', text: JSON.stringify(value) }] });

/** A problem the service reports as the tool's result (`isError`), for the agent to read and act on. */
function toolError(error: AppError, toolName: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: JSON.stringify(problemFor(error, `tools/call ${toolName}`)) }] };
}

/** One project's MCP server: the tools of MCP_TOOLS and the budget resource, over the same services as /v1. */
export function createProjectMcpServer(services: McpToolServices, projectId: string, log: FastifyRequest['log']): McpServer {
  const server = new McpServer({ name: MCP_SERVER_NAME, version: API_VERSION });
  for (const definition of MCP_TOOLS) {
    server.registerTool(
      definition.name,
      {
        description: definition.description,
        inputSchema: listedWithoutDialect(definition.input),
        ...(definition.readOnly ? { annotations: { readOnlyHint: true } } : {}),
      },
      async (args: unknown) => {
        try {
          return json(await definition.run(services, projectId, args));
        } catch (error) {
          const problem = toAppError(error);
          if (problem.status >= 500) log.error({ err: error, tool: definition.name }, 'MCP tool failed');
          return toolError(problem, definition.name);
        }
      },
    );
  }
  server.registerResource(
    'budget',
    new ResourceTemplate('session://{id}/budget', { list: undefined }),
    { description: "A session's token budget, level, recommendations and forecast", mimeType: 'application/json' },
    async (uri, variables) => {
      const id = String(variables.id);
      try {
        return { contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify(await budgetOf(services.usage, projectId, id)) }] };
      } catch (error) {
        if (error instanceof AppError && error.code === 'NOT_FOUND') throw new ResourceNotFoundError(uri.href, error.detail);
        throw error;
      }
    },
  );
  return server;
}

/** The Fastify request as the web-standard Request the SDK's handler takes (the body is passed parsed). */
function webRequestOf(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || name === 'content-length') continue;
    for (const item of [value].flat()) headers.append(name, String(item));
  }
  return new Request(`${request.protocol}://${request.host}${request.url}`, { method: request.method, headers });
}

export async function mcpPlugin(app: FastifyInstance, options: McpPluginOptions): Promise<void> {
  const { services } = options;
  const handler = createMcpHandler(
    (context) => {
      const projectId = context.authInfo?.extra?.projectId;
      if (typeof projectId !== 'string') throw new AppError('UNAUTHORIZED');
      return createProjectMcpServer(services, projectId, app.log);
    },
    { legacy: 'stateless', onerror: (error) => app.log.debug({ err: error }, 'MCP request refused') },
  );
  app.addHook('onClose', async () => handler.close());

  await app.register(async (scope) => {
    requireApiKey(scope, options.keys, options.failedAuth);
    await limitPerApiKey(scope, { max: options.rateLimit.max, windowMs: options.rateLimit.windowMs });
    scope.route({
      // GET and DELETE are the 2025 transport's session operations: a stateless server answers them 405.
      method: ['POST', 'GET', 'DELETE'],
      url: MCP_PATH,
      bodyLimit: options.bodyLimitBytes,
      schema: { hide: true },
      handler: async (request, reply) => {
        const response = await handler.fetch(webRequestOf(request), {
          authInfo: { token: 'api-key', clientId: request.auth.apiKeyId, scopes: [], extra: { projectId: request.auth.projectId } },
          ...(request.method === 'POST' ? { parsedBody: request.body } : {}),
        });
        return reply.send(response);
      },
    });
  });
}
