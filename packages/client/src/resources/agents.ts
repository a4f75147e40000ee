// client.agents, client.handoffs and client.orchestrations: the agents of a project, the handoffs
// between them, and orchestrations of parallel sessions.
import type { TypedPaths } from '../http.js';
import type { components } from '../openapi-types.js';
import { requestInit, type QueryOf, type RequestBody, type RequestOptions } from '../operations.js';
import { pagedList, type PagedList } from '../pagination.js';

type Schemas = components['schemas'];

export interface AgentsResource {
  /** PUT /v1/agents/{name}: registers the agent, or replaces its registration. */
  put(name: string, body: RequestBody<'putAgent'>, options?: RequestOptions): Promise<Schemas['Agent']>;
  /** GET /v1/agents/{name} */
  get(name: string, options?: RequestOptions): Promise<Schemas['Agent']>;
  /** DELETE /v1/agents/{name} */
  delete(name: string, options?: RequestOptions): Promise<void>;
  /** GET /v1/agents */
  list(query?: QueryOf<'listAgents'>, options?: RequestOptions): PagedList<Schemas['Agent']>;
}

export interface HandoffsResource {
  /** POST /v1/handoffs: refused with one 422 listing every failed check. */
  create(body: RequestBody<'createHandoff'>, options?: RequestOptions): Promise<Schemas['Handoff']>;
  /** GET /v1/handoffs: filtered by session, status, from_agent, to_agent. */
  list(query?: QueryOf<'listHandoffs'>, options?: RequestOptions): PagedList<Schemas['Handoff']>;
  /** GET /v1/handoffs/{id} */
  get(handoffId: string, options?: RequestOptions): Promise<Schemas['Handoff']>;
  /** POST /v1/handoffs/{id}/accept */
  accept(handoffId: string, options?: RequestOptions): Promise<Schemas['Handoff']>;
  /** POST /v1/handoffs/{id}/reject */
  reject(handoffId: string, body: RequestBody<'rejectHandoff'>, options?: RequestOptions): Promise<Schemas['Handoff']>;
}

export interface OrchestrationSpecsResource {
  /** POST /v1/orchestrations/{id}/specs/{spec_id}/complete */
  complete(orchestrationId: string, specId: string, options?: RequestOptions): Promise<Schemas['Orchestration']>;
  /** POST /v1/orchestrations/{id}/specs/{spec_id}/fail */
  fail(orchestrationId: string, specId: string, options?: RequestOptions): Promise<Schemas['Orchestration']>;
  /** POST /v1/orchestrations/{id}/specs/{spec_id}/explore: a fork of the spec's session to explore an alternative. */
  explore(orchestrationId: string, specId: string, options?: RequestOptions): Promise<Schemas['Session']>;
}

export interface OrchestrationsResource {
  /** POST /v1/orchestrations: specs with dependencies, run at most `max_parallel_sessions` at a time. */
  create(body: RequestBody<'createOrchestration'>, options?: RequestOptions): Promise<Schemas['Orchestration']>;
  /** GET /v1/orchestrations */
  list(query?: QueryOf<'listOrchestrations'>, options?: RequestOptions): PagedList<Schemas['Orchestration']>;
  /** GET /v1/orchestrations/{id} */
  get(orchestrationId: string, options?: RequestOptions): Promise<Schemas['Orchestration']>;
  specs: OrchestrationSpecsResource;
}

export function createAgentsResource(api: TypedPaths): AgentsResource {
  const path = (name: string) => ({ path: { name } });
  return {
    put: async (name, body, options) => (await api.PUT('/v1/agents/{name}', { params: path(name), body, ...requestInit(options) })).data,
    get: async (name, options) => (await api.GET('/v1/agents/{name}', { params: path(name), ...requestInit(options) })).data,
    async delete(name, options) {
      await api.DELETE('/v1/agents/{name}', { params: path(name), ...requestInit(options) });
    },
    list: (query = {}, options) =>
      pagedList(query, async (q) => (await api.GET('/v1/agents', { params: { query: q }, ...requestInit(options) })).data),
  };
}

export function createHandoffsResource(api: TypedPaths): HandoffsResource {
  const path = (id: string) => ({ path: { id } });
  return {
    create: async (body, options) => (await api.POST('/v1/handoffs', { body, ...requestInit(options) })).data,
    list: (query = {}, options) =>
      pagedList(query, async (q) => (await api.GET('/v1/handoffs', { params: { query: q }, ...requestInit(options) })).data),
    get: async (id, options) => (await api.GET('/v1/handoffs/{id}', { params: path(id), ...requestInit(options) })).data,
    accept: async (id, options) => (await api.POST('/v1/handoffs/{id}/accept', { params: path(id), body: {}, ...requestInit(options) })).data,
    reject: async (id, body, options) => (await api.POST('/v1/handoffs/{id}/reject', { params: path(id), body, ...requestInit(options) })).data,
  };
}

export function createOrchestrationsResource(api: TypedPaths): OrchestrationsResource {
  const spec = (id: string, specId: string) => ({ params: { path: { id, spec_id: specId } }, body: {} });
  return {
    create: async (body, options) => (await api.POST('/v1/orchestrations', { body, ...requestInit(options) })).data,
    list: (query = {}, options) =>
      pagedList(query, async (q) => (await api.GET('/v1/orchestrations', { params: { query: q }, ...requestInit(options) })).data),
    get: async (id, options) => (await api.GET('/v1/orchestrations/{id}', { params: { path: { id } }, ...requestInit(options) })).data,
    specs: {
      complete: async (id, specId, options) =>
        (await api.POST('/v1/orchestrations/{id}/specs/{spec_id}/complete', { ...spec(id, specId), ...requestInit(options) })).data,
      fail: async (id, specId, options) =>
        (await api.POST('/v1/orchestrations/{id}/specs/{spec_id}/fail', { ...spec(id, specId), ...requestInit(options) })).data,
      explore: async (id, specId, options) =>
        (await api.POST('/v1/orchestrations/{id}/specs/{spec_id}/explore', { ...spec(id, specId), ...requestInit(options) })).data,
    },
  };
}
