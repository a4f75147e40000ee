// Idempotency-Key for every route but the usage update: a request runs at most once per key. Its
// change and its answer commit in one transaction, so no crash can leave a change without its answer
// (a retry would run it again) or an answer without its change. A retry gets the stored answer; a
// retry racing the first request gets 409 at once; a refusal (4xx) is remembered and replayed too.
import { joinAmbient } from '../../lib/ambient-transaction.js';
import type { Clock } from '../../lib/clock.js';
import { AppError } from '../../lib/errors.js';
import { assertSameRequest, keyReused } from './idempotency-key.js';
import type { IdempotencyRecord, IdempotencyRepository } from './idempotency.repository.js';

export interface KeyedRequest {
  projectId: string;
  key: string;
  requestHash: string;
}

export interface Answer {
  statusCode: number;
  body: unknown;
  /** Headers a replay repeats. */
  headers: Record<string, string>;
}

export interface IdempotencyServiceDeps {
  idempotency: IdempotencyRepository;
  clock: Clock;
  ttlHours: number;
}

const inProgress = () =>
  new AppError('IDEMPOTENCY_REQUEST_IN_PROGRESS', {
    detail: 'the first request with this Idempotency-Key has not finished; retry shortly',
    headers: { 'retry-after': '1' },
  });

function replayOf(request: KeyedRequest, first: IdempotencyRecord): Answer {
  assertSameRequest(request.key, first, { requestHash: request.requestHash, kind: 'response' });
  return { statusCode: first.statusCode!, body: first.responseBody, headers: first.responseHeaders };
}

export function createIdempotencyService({ idempotency, clock, ttlHours }: IdempotencyServiceDeps) {
  const expiredBefore = (now: Date) => new Date(now.getTime() - ttlHours * 3_600_000);

  return {
    /**
     * Runs `work` in a transaction that everything it does joins (src/lib/ambient-transaction.ts),
     * and stores its answer in that same transaction. When the key was used already, `work` does
     * not run: the first answer comes back (or 422 for another request under the same key).
     */
    async once(request: KeyedRequest, work: () => Promise<Answer>): Promise<{ answer: Answer; replayed: boolean }> {
      const { projectId, key, requestHash } = request;
      return idempotency.transaction(async (tx) => {
        if (!(await idempotency.lockKey(tx, projectId, key))) throw inProgress();
        const now = clock.now();
        const first = await idempotency.findLive(projectId, key, expiredBefore(now), tx);
        if (first) return { answer: replayOf(request, first), replayed: true };
        const answer = await joinAmbient(tx, work);
        const stored = await idempotency.store(tx, {
          projectId,
          key,
          requestHash,
          statusCode: answer.statusCode,
          responseBody: answer.body,
          responseHeaders: answer.headers,
          now,
          expiredBefore: expiredBefore(now),
        });
        // The lock keeps other requests of this kind out; only a usage update can have taken the key since.
        if (!stored) throw keyReused(key);
        return { answer, replayed: false };
      });
    },

    /** Remembers a refusal, so that a retry gets it again rather than a different answer later. */
    async rememberRefusal(request: KeyedRequest, refusal: Answer): Promise<void> {
      const now = clock.now();
      await idempotency.storeRefusal({
        ...request,
        statusCode: refusal.statusCode,
        responseBody: refusal.body,
        responseHeaders: refusal.headers,
        now,
        expiredBefore: expiredBefore(now),
      });
    },

    /** Deletes the key's record if it expired (housekeeping prunes them later; the usage statement needs it gone now). */
    forgetExpired: (projectId: string, key: string) => idempotency.deleteExpired(projectId, key, expiredBefore(clock.now())),

    /** The key's first use, for the usage route's replays (which rebuild the answer from the usage row). */
    firstUse: (projectId: string, key: string) => idempotency.findLive(projectId, key, expiredBefore(clock.now())),
  };
}

export type IdempotencyService = ReturnType<typeof createIdempotencyService>;
