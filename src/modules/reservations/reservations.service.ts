// Holds on a session's budget: granted only when they fit (used + reserved + tokens ≤ total) under
// the session's row lock, so parallel agents on one budget cannot overshoot it together, on any
// number of replicas. A commit records the usage exactly as POST …/usage does and ends the hold in
// the same transaction; a hold left alone stops counting at expires_at.
import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { takePage } from '../../lib/wire.js';
import type { JsonObject } from '../../lib/wire.js';
import { allowedFrom, assertAllowed } from '../../domain/transitions.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import type { UsageInput, UsageResult, UsageService } from '../usage/usage.service.js';
import type { EndedReservation, Reservation, ReservationsRepository } from './reservations.repository.js';
import { DEFAULT_TTL_SECONDS, type ReservationStatus } from './reservations.schemas.js';

export interface ReserveInput {
  tokens: number;
  ttlSeconds?: number;
  source?: string;
  metadata?: JsonObject;
}

export interface Grant {
  reservation: Reservation;
  total: number;
  used: number;
  reserved: number;
}

export interface ReservationsServiceDeps {
  reservations: ReservationsRepository;
  sessions: Pick<SessionsRepository, 'find'>;
  usage: Pick<UsageService, 'record' | 'answerOf'>;
  clock: Clock;
}

const RECORD_USAGE_IN = allowedFrom('record_usage');

function notHeld(reservation: EndedReservation): AppError {
  const why =
    reservation.previousStatus === 'committed'
      ? 'it was already committed with another body'
      : reservation.releaseReason === 'client'
        ? 'it was released'
        : `it was released when its session was ${reservation.releaseReason === 'merged' ? 'merged' : reservation.releaseReason === 'archived' ? 'archived' : 'recovered'}`;
  return new AppError('RESERVATION_NOT_HELD', { detail: `reservation ${reservation.id} cannot be committed: ${why}` });
}

export function createReservationsService({ reservations, sessions, usage, clock }: ReservationsServiceDeps) {
  async function requireReservation(projectId: string, id: string): Promise<Reservation> {
    const reservation = await reservations.find(projectId, id, clock.now());
    if (!reservation) throw notFound('reservation', id);
    return reservation;
  }

  return {
    /** 201 with the hold, or 409 BUDGET_EXHAUSTED (with available and reserved) and nothing held. */
    async reserve(projectId: string, sessionId: string, input: ReserveInput): Promise<Grant> {
      const now = clock.now();
      const id = newId('rsv');
      const expiresAt = new Date(now.getTime() + (input.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000);
      const hold = { id, projectId, sessionId, tokens: input.tokens, source: input.source ?? null, metadata: input.metadata ?? {} };
      const outcome = await reservations.reserve({ ...hold, now, expiresAt, allowedIn: RECORD_USAGE_IN });
      switch (outcome.outcome) {
        case 'not_found':
          throw notFound('session', sessionId);
        case 'status':
          assertAllowed('record_usage', { id: sessionId, status: outcome.status });
          throw new Error(`session ${sessionId} refused a reservation in status ${outcome.status}, which allows usage`);
        case 'exhausted': {
          const available = outcome.total - outcome.used - outcome.reserved;
          throw new AppError('BUDGET_EXHAUSTED', {
            detail: `${input.tokens} tokens do not fit: ${Math.max(available, 0)} available (total ${outcome.total}, used ${outcome.used}, reserved ${outcome.reserved})`,
            extensions: { available, reserved: outcome.reserved },
          });
        }
        case 'granted': {
          const reservation: Reservation = {
            ...hold,
            status: 'held',
            expiresAt,
            createdAt: now,
            resolvedAt: null,
            releaseReason: null,
            commitRequestHash: null,
            usageRecordId: null,
          };
          return { reservation, total: outcome.total, used: outcome.used, reserved: outcome.reserved };
        }
      }
    },

    /**
     * Records `input` as POST …/usage does and ends the hold, in one transaction (a hold past
     * expiry too: the tokens were spent). A second commit with the same body (`requestHash`) gets
     * the first answer (`replayed`); any other is 409 RESERVATION_NOT_HELD, as is one of a released hold.
     */
    async commit(
      projectId: string,
      id: string,
      input: UsageInput,
      requestHash: string,
    ): Promise<{ result: UsageResult; reservation: Reservation; replayed: boolean }> {
      return reservations.transaction(async () => {
        const usageRecordId = newId('use');
        const ended = await reservations.end(projectId, id, { to: 'committed', now: clock.now(), requestHash, usageRecordId });
        if (!ended) throw notFound('reservation', id);
        if (ended.previousStatus === 'held' || ended.previousStatus === 'expired') {
          const result = await usage.record(projectId, ended.sessionId, { ...input, usageId: usageRecordId });
          return { result, reservation: ended, replayed: false };
        }
        if (ended.previousStatus === 'committed' && ended.commitRequestHash === requestHash && ended.usageRecordId) {
          return { result: await usage.answerOf(projectId, ended.sessionId, ended.usageRecordId), reservation: ended, replayed: true };
        }
        throw notHeld(ended);
      });
    },

    /** Ends a hold; releasing one that is released or expired already changes nothing. 409 once committed. */
    async release(projectId: string, id: string): Promise<Reservation> {
      const ended = await reservations.end(projectId, id, { to: 'released', now: clock.now(), reason: 'client' });
      if (!ended) throw notFound('reservation', id);
      if (ended.previousStatus === 'committed') {
        throw new AppError('RESERVATION_NOT_HELD', { detail: `reservation ${id} was committed: there is nothing left to release` });
      }
      return ended;
    },

    get: requireReservation,

    async list(projectId: string, sessionId: string, query: { status?: ReservationStatus; limit: number; beforeId?: string }) {
      if (!(await sessions.find(projectId, sessionId))) throw notFound('session', sessionId);
      const rows = await reservations.list(projectId, sessionId, { ...query, limit: query.limit + 1, now: clock.now() });
      return takePage(rows, query.limit);
    },
  };
}

export type ReservationsService = ReturnType<typeof createReservationsService>;
