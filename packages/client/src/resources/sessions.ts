// client.sessions (with .usage) and client.checkpoints: a session's budget, usage, checkpoints and
// lifecycle (resume, archive, fork, merge, emergency recovery, lineage, export).
import type { TypedPaths } from '../http.js';
import type { components } from '../openapi-types.js';
import { requestInit, type QueryOf, type RequestBody, type RequestOptions } from '../operations.js';
import { pagedList, type PagedList } from '../pagination.js';

type Schemas = components['schemas'];
const path = (id: string) => ({ path: { id } });

export interface UpdateSessionOptions extends RequestOptions {
  /**
   * The session's `version` as last read (sent as `If-Match`): the update is refused with 412
   * `PRECONDITION_FAILED` if the session changed since.
   */
  ifVersion?: number;
}

export interface CreateCheckpointOptions extends RequestOptions {
  /** Sends `Prefer: return=minimal`: the answer leaves out `context_snapshot`, which the caller has. */
  returnMinimal?: boolean;
}

export interface UsageResource {
  /** POST /v1/sessions/{id}/usage: counts a model call's tokens; says which thresholds it crossed. */
  create(sessionId: string, body: RequestBody<'recordUsage'>, options?: RequestOptions): Promise<Schemas['UsageResult']>;
  /** GET /v1/sessions/{id}/usage: the usage history, newest first. */
  list(sessionId: string, query?: QueryOf<'listUsage'>, options?: RequestOptions): PagedList<Schemas['UsageEntry']>;
}

export interface SessionsResource {
  /** POST /v1/sessions */
  create(body: RequestBody<'createSession'>, options?: RequestOptions): Promise<Schemas['Session']>;
  /** GET /v1/sessions: newest first, filtered by `status`, `task_id`, `parent_session_id`. */
  list(query?: QueryOf<'listSessions'>, options?: RequestOptions): PagedList<Schemas['Session']>;
  /** GET /v1/sessions/{id} */
  get(sessionId: string, options?: RequestOptions): Promise<Schemas['Session']>;
  /** PATCH /v1/sessions/{id}: a JSON merge patch of context, metadata, budget total, thresholds. */
  update(sessionId: string, body: RequestBody<'updateSession'>, options?: UpdateSessionOptions): Promise<Schemas['Session']>;
  /** GET /v1/sessions/{id}/budget: budget, level, recommendations and forecast. */
  budget(sessionId: string, options?: RequestOptions): Promise<Schemas['Budget']>;
  usage: UsageResource;
  /** POST /v1/sessions/{id}/resume */
  resume(sessionId: string, options?: RequestOptions): Promise<Schemas['Session']>;
  /** POST /v1/sessions/{id}/archive */
  archive(sessionId: string, options?: RequestOptions): Promise<Schemas['Session']>;
  /** POST /v1/sessions/{id}/fork: a child session from a checkpoint (default the latest), with a fresh budget. */
  fork(sessionId: string, body?: RequestBody<'forkSession'>, options?: RequestOptions): Promise<Schemas['Session']>;
  /** POST /v1/sessions/{id}/merge: merges a fork's context back and archives the fork. */
  merge(sessionId: string, body: RequestBody<'mergeFork'>, options?: RequestOptions): Promise<Schemas['Session']>;
  /**
   * POST /v1/sessions/{id}/emergency-recovery: a final checkpoint, the session archived, and a new
   * session (same task_id, fresh budget, the context) in `new_session`, which carries on the work.
   */
  emergencyRecovery(sessionId: string, options?: RequestOptions): Promise<Schemas['EmergencyRecovery']>;
  /** GET /v1/sessions/{id}/lineage: ancestors and descendants through forks and recoveries. */
  lineage(sessionId: string, options?: RequestOptions): Promise<Schemas['Lineage']>;
  /** GET /v1/sessions/{id}/export: the session with its checkpoints, usage and handoffs. */
  export(sessionId: string, options?: RequestOptions): Promise<Schemas['SessionExport']>;
}

export interface CheckpointsResource {
  /** POST /v1/sessions/{id}/checkpoints: a snapshot of the context (or of `context_snapshot`). */
  create(sessionId: string, body: RequestBody<'createCheckpoint'>, options?: CreateCheckpointOptions): Promise<Schemas['CreatedCheckpoint']>;
  /**
   * POST /v1/sessions/{id}/checkpoints/batch: several snapshots stored at once, in this order, all
   * or none (`data` in the same order).
   */
  createBatch(
    sessionId: string,
    body: RequestBody<'createCheckpointBatch'>,
    options?: CreateCheckpointOptions,
  ): Promise<Schemas['CreatedCheckpointBatch']>;
  /** GET /v1/sessions/{id}/checkpoints: newest first; `phase` finds those of one phase. */
  list(sessionId: string, query?: QueryOf<'listCheckpoints'>, options?: RequestOptions): PagedList<Schemas['Checkpoint']>;
  /** GET /v1/checkpoints/{id} */
  get(checkpointId: string, options?: RequestOptions): Promise<Schemas['Checkpoint']>;
  /** POST /v1/checkpoints/{id}/restore: the snapshot becomes the session's context again. */
  restore(checkpointId: string, options?: RequestOptions): Promise<Schemas['Session']>;
}

export function createSessionsResource(api: TypedPaths): SessionsResource {
  return {
    create: async (body, options) => (await api.POST('/v1/sessions', { body, ...requestInit(options) })).data,
    list: (query = {}, options) =>
      pagedList(query, async (q) => (await api.GET('/v1/sessions', { params: { query: q }, ...requestInit(options) })).data),
    get: async (id, options) => (await api.GET('/v1/sessions/{id}', { params: path(id), ...requestInit(options) })).data,
    async update(id, body, options) {
      const ifMatch: Record<string, string> = options?.ifVersion === undefined ? {} : { 'if-match': `"${options.ifVersion}"` };
      return (await api.PATCH('/v1/sessions/{id}', { params: path(id), body, ...requestInit(options, ifMatch) })).data;
    },
    budget: async (id, options) => (await api.GET('/v1/sessions/{id}/budget', { params: path(id), ...requestInit(options) })).data,
    usage: {
      create: async (id, body, options) => (await api.POST('/v1/sessions/{id}/usage', { params: path(id), body, ...requestInit(options) })).data,
      list: (id, query = {}, options) =>
        pagedList(
          query,
          async (q) => (await api.GET('/v1/sessions/{id}/usage', { params: { path: { id }, query: q }, ...requestInit(options) })).data,
        ),
    },
    resume: async (id, options) => (await api.POST('/v1/sessions/{id}/resume', { params: path(id), body: {}, ...requestInit(options) })).data,
    archive: async (id, options) => (await api.POST('/v1/sessions/{id}/archive', { params: path(id), body: {}, ...requestInit(options) })).data,
    fork: async (id, body = {}, options) => (await api.POST('/v1/sessions/{id}/fork', { params: path(id), body, ...requestInit(options) })).data,
    merge: async (id, body, options) => (await api.POST('/v1/sessions/{id}/merge', { params: path(id), body, ...requestInit(options) })).data,
    emergencyRecovery: async (id, options) =>
      (await api.POST('/v1/sessions/{id}/emergency-recovery', { params: path(id), body: {}, ...requestInit(options) })).data,
    lineage: async (id, options) => (await api.GET('/v1/sessions/{id}/lineage', { params: path(id), ...requestInit(options) })).data,
    export: async (id, options) => (await api.GET('/v1/sessions/{id}/export', { params: path(id), ...requestInit(options) })).data,
  };
}

export function createCheckpointsResource(api: TypedPaths): CheckpointsResource {
  return {
    async create(sessionId, body, options) {
      const prefer: Record<string, string> = options?.returnMinimal ? { prefer: 'return=minimal' } : {};
      return (await api.POST('/v1/sessions/{id}/checkpoints', { params: path(sessionId), body, ...requestInit(options, prefer) })).data;
    },
    async createBatch(sessionId, body, options) {
      const prefer: Record<string, string> = options?.returnMinimal ? { prefer: 'return=minimal' } : {};
      return (await api.POST('/v1/sessions/{id}/checkpoints/batch', { params: path(sessionId), body, ...requestInit(options, prefer) })).data;
    },
    list: (sessionId, query = {}, options) =>
      pagedList(
        query,
        async (q) =>
          (await api.GET('/v1/sessions/{id}/checkpoints', { params: { path: { id: sessionId }, query: q }, ...requestInit(options) })).data,
      ),
    get: async (id, options) => (await api.GET('/v1/checkpoints/{id}', { params: path(id), ...requestInit(options) })).data,
    restore: async (id, options) => (await api.POST('/v1/checkpoints/{id}/restore', { params: path(id), body: {}, ...requestInit(options) })).data,
  };
}
