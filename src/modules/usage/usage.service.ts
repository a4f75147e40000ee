import type { Clock } from '../../lib/clock.js';
import { AppError, notFound } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { isUniqueViolation } from '../../lib/prisma-errors.js';
import { takePage } from '../../lib/wire.js';
import { assertSameRequest } from '../idempotency/idempotency-key.js';
import type { IdempotencyService } from '../idempotency/idempotency.service.js';
import { forecast } from '../../domain/forecast.js';
import { recommendationsFor } from '../../domain/recommendations.js';
import type { Session, SessionStatus } from '../../domain/session.js';
import type { SessionsRepository } from '../sessions/sessions.repository.js';
import { assertAllowed } from '../../domain/transitions.js';
import { createPositionHints } from './position-hints.js';
import type { RecordedUsage, UsageRepository, UsageRow, UsageWrite } from './usage.repository.js';
import { plainClasses, totalTokens, type TokenClasses } from '../../domain/token-classes.js';

/** The update's classes and the tokens it counts in each count mode. */
function classesOf(input: UsageInput): { classes: TokenClasses | null; tokens: number; billableTokens: number } {
  const classes = input.classes ?? (input.tokens === undefined ? plainClasses(input.inputTokens ?? 0, input.outputTokens ?? 0) : null);
  if (!classes) return { classes: null, tokens: input.tokens!, billableTokens: input.tokens! };
  const tokens = totalTokens(classes);
  return { classes, tokens, billableTokens: tokens - classes.cacheRead };
}

function resultOf(sessionId: string, counted: RecordedUsage, classes: TokenClasses | null): UsageResult {
  return {
    sessionId,
    total: counted.total,
    used: counted.used,
    reserved: counted.reserved,
    status: counted.status,
    crossed: counted.crossed,
    tokens: counted.counted,
    classes,
    costUsd: counted.costUsd,
    priceVersion: counted.priceVersion,
    costUsedUsd: counted.costUsedUsd,
    costLimitUsd: counted.costLimitUsd,
    costCrossed: counted.costCrossed,
  };
}

export interface UsageInput {
  tokens?: number;
  inputTokens?: number;
  outputTokens?: number;
  /** A provider's usage object already normalised (POST { provider, usage }, or OTLP telemetry). */
  classes?: TokenClasses;
  provider?: string;
  model?: string;
  source?: string;
  /** The telemetry item the update came from (an OTLP span or log record), shown in the history. */
  origin?: string;
  /** The id of the usage row to write (a reservation's commit names it in the same transaction); default a new one. */
  usageId?: string;
}

export interface UsageResult {
  sessionId: string;
  total: number;
  used: number;
  /** Tokens in live holds on the session: after the update (a replay: at the time of the replay). */
  reserved: number;
  status: SessionStatus;
  crossed: number[];
  /** The tokens this update counted on the budget. */
  tokens: number;
  classes: TokenClasses | null;
  costUsd: string | null;
  priceVersion: string | null;
  costUsedUsd: string;
  costLimitUsd: string | null;
  costCrossed: number[];
}

export type UsageEntry = UsageRow;

/** How many recent updates the burn-rate forecast looks at. */
export const FORECAST_WINDOW = 20;

export interface UsageServiceDeps {
  usage: UsageRepository;
  sessions: Pick<SessionsRepository, 'find'>;
  idempotency: Pick<IdempotencyService, 'firstUse' | 'forgetExpired'>;
  clock: Clock;
}

export function createUsageService({ usage, sessions, idempotency, clock }: UsageServiceDeps) {
  const hints = createPositionHints();

  async function requireSession(projectId: string, sessionId: string): Promise<Session> {
    const session = await sessions.find(projectId, sessionId);
    if (!session) throw notFound('session', sessionId);
    return session;
  }

  /**
   * The first answer of an Idempotency-Key, rebuilt from the usage row it counted; null when the
   * key was never used. 422 when it was used for another request.
   */
  async function replay(projectId: string, sessionId: string, key: string, requestHash: string): Promise<UsageResult | null> {
    const first = await idempotency.firstUse(projectId, key);
    if (!first) return null;
    assertSameRequest(key, first, { requestHash, kind: 'usage' });
    const answer = await answerOf(projectId, sessionId, first.usageRecordId!);
    if (!answer) throw new AppError('IDEMPOTENCY_KEY_REUSED', { detail: 'the usage this key counted has been pruned' });
    return answer;
  }

  /**
   * The answer an update gave, rebuilt from its usage row (null once pruned). `reserved` is the
   * session's at the time of the replay: the usage row does not keep it.
   */
  async function answerOf(projectId: string, sessionId: string, usageRecordId: string): Promise<UsageResult | null> {
    const row = await usage.find(projectId, sessionId, usageRecordId);
    if (!row) return null;
    return {
      sessionId,
      total: row.totalAfter,
      used: row.usedAfter,
      reserved: await usage.liveReserved(sessionId, clock.now()),
      status: row.statusAfter,
      crossed: row.crossed,
      tokens: row.tokens,
      classes: row.classes,
      costUsd: row.costUsd,
      priceVersion: row.priceVersion,
      costUsedUsd: row.costUsedAfter,
      costLimitUsd: row.costLimitAfter,
      costCrossed: row.costCrossed,
    };
  }

  /** Counts the update with the short statement when nothing can cross, with the full one otherwise. */
  async function count(write: UsageWrite): Promise<RecordedUsage | null> {
    const mayCross = hints.mayCross(write.sessionId, write.tokens);
    // The short statement refuses an update that would cross something: then the full one runs.
    return (await usage.record(write, { mayCross })) ?? (mayCross ? null : await usage.record(write, { mayCross: true }));
  }

  return {
    /** The answer of a counted update, from its usage row; 409 once the row has been pruned. */
    async answerOf(projectId: string, sessionId: string, usageRecordId: string): Promise<UsageResult> {
      const answer = await answerOf(projectId, sessionId, usageRecordId);
      if (!answer) throw new AppError('RESERVATION_NOT_HELD', { detail: 'the usage this reservation was committed with has been pruned' });
      return answer;
    },

    async record(
      projectId: string,
      sessionId: string,
      input: UsageInput,
      idempotencyKey?: { key: string; requestHash: string },
    ): Promise<UsageResult & { replayed: boolean }> {
      const { classes, tokens, billableTokens } = classesOf(input);
      const write: UsageWrite = {
        usageId: input.usageId ?? newId('use'),
        projectId,
        sessionId,
        tokens,
        billableTokens,
        classes,
        provider: input.provider ?? null,
        model: input.model ?? null,
        source: input.source ?? null,
        origin: input.origin ?? null,
        idempotency: idempotencyKey ?? null,
        now: clock.now(),
      };
      let counted: RecordedUsage | null;
      try {
        counted = await count(write);
      } catch (error) {
        if (!idempotencyKey || !isUniqueViolation(error)) throw error;
        // The key is taken: by this very update (a retry), or by another request...
        const replayed = await replay(projectId, sessionId, idempotencyKey.key, idempotencyKey.requestHash);
        if (replayed) return { ...replayed, replayed: true };
        // ...or by a record that expired and was not pruned yet: it holds the key no longer.
        await idempotency.forgetExpired(projectId, idempotencyKey.key);
        counted = await count(write);
      }
      if (counted) {
        hints.note(sessionId, counted);
        return { ...resultOf(sessionId, counted, classes), replayed: false };
      }
      // Nothing counted. A retry of an update that counted before the session was archived (or
      // recovered) still gets its first answer: it was counted, and must not be counted again elsewhere.
      const replayed = idempotencyKey ? await replay(projectId, sessionId, idempotencyKey.key, idempotencyKey.requestHash) : null;
      if (replayed) return { ...replayed, replayed: true };
      const state = await usage.sessionStatus(projectId, sessionId);
      if (state === null) throw notFound('session', sessionId);
      assertAllowed('record_usage', { id: sessionId, ...state });
      throw new Error(`usage update of session ${sessionId} touched no row although its status ${state.status} allows usage`);
    },

    async history(projectId: string, sessionId: string, limit: number, afterId?: string) {
      await requireSession(projectId, sessionId);
      return takePage(await usage.list(projectId, sessionId, limit + 1, afterId), limit);
    },

    async budget(projectId: string, sessionId: string) {
      const session = await requireSession(projectId, sessionId);
      const recent = await usage.list(projectId, sessionId, FORECAST_WINDOW);
      const now = clock.now();
      const ageSeconds = Math.max(0, Math.floor((now.getTime() - session.createdAt.getTime()) / 1000));
      return {
        session,
        ageSeconds,
        recommendations: recommendationsFor({ used: session.used, total: session.total, ageSeconds }),
        forecast: forecast({
          total: session.total,
          used: session.used,
          thresholds: session.thresholds,
          recent,
          now,
          // Fewer than a window's worth of updates: that is the whole history, burnt since creation.
          ...(recent.length < FORECAST_WINDOW ? { openedAt: session.createdAt } : {}),
        }),
      };
    },
  };
}

export type UsageService = ReturnType<typeof createUsageService>;
