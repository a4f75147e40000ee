// client.models, client.context, client.metrics, client.admin, client.health and client.problems: what a project and
// the service know beyond single sessions.
import type { TypedPaths } from '../http.js';
import type { components } from '../openapi-types.js';
import { requestInit, type QueryOf, type RequestBody, type RequestOptions } from '../operations.js';
import { pagedList, type PagedList } from '../pagination.js';

type Schemas = components['schemas'];

export interface ModelsResource {
  /** GET /v1/models: the known models and their context windows (a session's default budget). */
  list(options?: RequestOptions): Promise<Schemas['Model'][]>;
  /** PUT /v1/models/{model}/prices: the project's own prices of a model (USD per million tokens), as a new version. */
  setPrices(model: string, body: RequestBody<'setModelPrices'>, options?: RequestOptions): Promise<Schemas['Model']>;
}

export interface McpServersResource {
  /** GET /v1/context/mcp-servers: the project's MCP servers and their tool-definition cost. */
  list(query?: QueryOf<'listMcpServers'>, options?: RequestOptions): PagedList<Schemas['McpServer']>;
  /** PUT /v1/context/mcp-servers/{name} */
  put(name: string, body: RequestBody<'putMcpServer'>, options?: RequestOptions): Promise<Schemas['McpServer']>;
  /** DELETE /v1/context/mcp-servers/{name} */
  delete(name: string, options?: RequestOptions): Promise<void>;
}

export interface ContextResource {
  /** POST /v1/context/mcp-analysis: what a set of MCP servers costs a session, and which to drop. */
  analyzeMcpServers(body: RequestBody<'analyzeMcpServers'>, options?: RequestOptions): Promise<Schemas['McpAnalysis']>;
  mcpServers: McpServersResource;
}

export interface MetricsResource {
  /** GET /v1/metrics/summary: the project's sessions, handoffs and recoveries against the targets. */
  summary(query?: QueryOf<'getMetricsSummary'>, options?: RequestOptions): Promise<Schemas['MetricsSummary']>;
}

export interface AdminResource {
  /** With the ADMIN_TOKEN as the client's apiKey. */
  projects: {
    /** POST /v1/admin/projects: a project and its first API key (shown this once). */
    create(body: RequestBody<'createProject'>, options?: RequestOptions): Promise<Schemas['CreatedProject']>;
    /**
     * POST /v1/admin/projects/{id}/api-keys: another key for the project (shown this once); with
     * `expires_at` it stops authenticating then.
     */
    createApiKey(projectId: string, body?: RequestBody<'createApiKey'>, options?: RequestOptions): Promise<Schemas['CreatedApiKey']>;
  };
  apiKeys: {
    /** DELETE /v1/admin/api-keys/{id}: the key stops working at once on every replica. */
    revoke(apiKeyId: string, options?: RequestOptions): Promise<void>;
  };
}

export interface HealthResource {
  /** GET /healthz: the process is up. */
  live(options?: RequestOptions): Promise<{ status: 'ok' }>;
  /** GET /readyz: the database answers and every migration is applied (a 503 otherwise). */
  ready(options?: RequestOptions): Promise<{ status: 'ok' }>;
}

export interface ProblemsResource {
  /** GET /problems/{code}: what an error code means and what to do (`code` as in a problem's `type`: `session-archived`). */
  get(code: string, options?: RequestOptions): Promise<Schemas['ProblemType']>;
}

export function createProblemsResource(api: TypedPaths): ProblemsResource {
  return {
    // The page is HTML unless Accept asks for JSON, as this does: the answer is the JSON variant.
    get: async (code, options) =>
      (await api.GET('/problems/{code}', { params: { path: { code } }, ...requestInit(options, { accept: 'application/json' }) }))
        .data as Schemas['ProblemType'],
  };
}

export function createModelsResource(api: TypedPaths): ModelsResource {
  return {
    list: async (options) => (await api.GET('/v1/models', { ...requestInit(options) })).data,
    setPrices: async (model, body, options) =>
      (await api.PUT('/v1/models/{model}/prices', { params: { path: { model } }, body, ...requestInit(options) })).data,
  };
}

export function createContextResource(api: TypedPaths): ContextResource {
  const path = (name: string) => ({ path: { name } });
  return {
    analyzeMcpServers: async (body, options) => (await api.POST('/v1/context/mcp-analysis', { body, ...requestInit(options) })).data,
    mcpServers: {
      list: (query = {}, options) =>
        pagedList(query, async (q) => (await api.GET('/v1/context/mcp-servers', { params: { query: q }, ...requestInit(options) })).data),
      put: async (name, body, options) =>
        (await api.PUT('/v1/context/mcp-servers/{name}', { params: path(name), body, ...requestInit(options) })).data,
      async delete(name, options) {
        await api.DELETE('/v1/context/mcp-servers/{name}', { params: path(name), ...requestInit(options) });
      },
    },
  };
}

export function createMetricsResource(api: TypedPaths): MetricsResource {
  return {
    summary: async (query = {}, options) => (await api.GET('/v1/metrics/summary', { params: { query }, ...requestInit(options) })).data,
  };
}

export function createAdminResource(api: TypedPaths): AdminResource {
  return {
    projects: {
      create: async (body, options) => (await api.POST('/v1/admin/projects', { body, ...requestInit(options) })).data,
      createApiKey: async (id, body = {}, options) =>
        (await api.POST('/v1/admin/projects/{id}/api-keys', { params: { path: { id } }, body, ...requestInit(options) })).data,
    },
    apiKeys: {
      async revoke(id, options) {
        await api.DELETE('/v1/admin/api-keys/{id}', { params: { path: { id } }, ...requestInit(options) });
      },
    },
  };
}

export function createHealthResource(api: TypedPaths): HealthResource {
  return {
    live: async (options) => (await api.GET('/healthz', { ...requestInit(options) })).data,
    ready: async (options) => (await api.GET('/readyz', { ...requestInit(options) })).data,
  };
}
