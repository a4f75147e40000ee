// client.reservations: holds on a session's budget before a model call, committed with the usage
// it stood for (or released), so that parallel agents on one budget cannot overshoot it.
import type { TypedPaths } from '../http.js';
import type { components } from '../openapi-types.js';
import { requestInit, type QueryOf, type RequestBody, type RequestOptions } from '../operations.js';
import { pagedList, type PagedList } from '../pagination.js';

type Schemas = components['schemas'];
const path = (id: string) => ({ path: { id } });

export interface ReservationsResource {
  /**
   * POST /v1/sessions/{id}/reservations: holds `tokens` (the estimate) when they fit; otherwise a
   * ProblemError 409 `BUDGET_EXHAUSTED` with `available` and `reserved`.
   */
  create(sessionId: string, body: RequestBody<'createReservation'>, options?: RequestOptions): Promise<Schemas['ReservationGrant']>;
  /** GET /v1/sessions/{id}/reservations: newest first, filtered by `status`. */
  list(sessionId: string, query?: QueryOf<'listReservations'>, options?: RequestOptions): PagedList<Schemas['Reservation']>;
  /** GET /v1/reservations/{id} */
  get(reservationId: string, options?: RequestOptions): Promise<Schemas['Reservation']>;
  /** POST /v1/reservations/{id}/commit: records the call's usage (as usage.create does) and ends the hold at once. */
  commit(reservationId: string, body: RequestBody<'commitReservation'>, options?: RequestOptions): Promise<Schemas['CommitResult']>;
  /** POST /v1/reservations/{id}/release: ends the hold without usage (the call was not made). */
  release(reservationId: string, options?: RequestOptions): Promise<Schemas['Reservation']>;
}

export function createReservationsResource(api: TypedPaths): ReservationsResource {
  return {
    create: async (sessionId, body, options) =>
      (await api.POST('/v1/sessions/{id}/reservations', { params: path(sessionId), body, ...requestInit(options) })).data,
    list: (sessionId, query = {}, options) =>
      pagedList(
        query,
        async (q) =>
          (await api.GET('/v1/sessions/{id}/reservations', { params: { path: { id: sessionId }, query: q }, ...requestInit(options) })).data,
      ),
    get: async (id, options) => (await api.GET('/v1/reservations/{id}', { params: path(id), ...requestInit(options) })).data,
    commit: async (id, body, options) => (await api.POST('/v1/reservations/{id}/commit', { params: path(id), body, ...requestInit(options) })).data,
    release: async (id, options) => (await api.POST('/v1/reservations/{id}/release', { params: path(id), body: {}, ...requestInit(options) })).data,
  };
}
