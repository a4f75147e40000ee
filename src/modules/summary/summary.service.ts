// The health of a project's sessions in one summary: the aggregates come from one SQL statement,
// the verdicts against the reference targets from the pure functions of targets.ts.
import type { Clock } from '../../lib/clock.js';
import { HANDOFF_STATUSES, type HandoffStatus } from '../handoffs/handoffs.repository.js';
import { LEVELS, type Level } from '../../domain/budget.js';
import { SESSION_STATUSES, type SessionStatus } from '../../domain/session.js';
import type { Distribution, MetricsAggregates, SummaryRepository } from './summary.repository.js';
import {
  DURATION_BOUNDS_MINUTES,
  handoffSuccessTarget,
  percentOf,
  recoveryTimeTarget,
  sessionDurationTarget,
  tokenUsageTarget,
  type TargetCheck,
} from './targets.js';

export interface MetricsSummary {
  generatedAt: Date;
  since: Date | null;
  sessions: { total: number; live: number; byStatus: Record<SessionStatus, number> };
  tokens: { used: number; budget: number; liveByLevel: Record<Level, { sessions: number; used: number }> };
  handoffs: { total: number; byStatus: Record<HandoffStatus, number>; successPercent: number | null };
  /** Tokens per class and cost per model (issue 14). */
  usage: Pick<MetricsAggregates, 'costUsd' | 'tokensByClass' | 'byModel'>;
  recoveryTimeSeconds: Distribution;
  sessionDurationSeconds: { archived: Distribution; live: Distribution };
  targets: TargetCheck[];
}

export interface SummaryServiceDeps {
  summary: SummaryRepository;
  clock: Clock;
}

const LEVEL_NAMES = LEVELS.map(({ level }) => level);

/** Every key of `keys`, 0 (or `zero`) where the aggregate has no group. */
function complete<K extends string, V>(keys: readonly K[], counts: Record<string, V>, zero: V): Record<K, V> {
  return Object.fromEntries(keys.map((key) => [key, counts[key] ?? zero])) as Record<K, V>;
}

export function createSummaryService({ summary, clock }: SummaryServiceDeps) {
  return {
    async summary(projectId: string, options: { since?: Date } = {}): Promise<MetricsSummary> {
      const now = clock.now();
      const since = options.since ?? null;
      const aggregates = await summary.aggregates({ projectId, now, since, durationBoundsMinutes: DURATION_BOUNDS_MINUTES });

      const byStatus = complete(SESSION_STATUSES, aggregates.sessionsByStatus, 0);
      const total = SESSION_STATUSES.reduce((sum, status) => sum + byStatus[status], 0);
      const live = total - byStatus.archived;
      const liveByLevel = complete(LEVEL_NAMES, aggregates.liveByLevel, { sessions: 0, used: 0 });
      const handoffs = complete(HANDOFF_STATUSES, aggregates.handoffsByStatus, 0);

      return {
        generatedAt: now,
        since,
        sessions: { total, live, byStatus },
        tokens: { used: aggregates.tokensUsed, budget: aggregates.tokensBudget, liveByLevel },
        handoffs: {
          total: HANDOFF_STATUSES.reduce((sum, status) => sum + handoffs[status], 0),
          byStatus: handoffs,
          successPercent: percentOf(handoffs.accepted, handoffs.accepted + handoffs.rejected),
        },
        usage: { costUsd: aggregates.costUsd, tokensByClass: aggregates.tokensByClass, byModel: aggregates.byModel },
        recoveryTimeSeconds: aggregates.recoverySeconds,
        sessionDurationSeconds: { archived: aggregates.archivedDurationSeconds, live: aggregates.liveAgeSeconds },
        targets: [
          tokenUsageTarget({
            liveByLevel: Object.fromEntries(LEVELS.map(({ level }) => [level, liveByLevel[level].sessions])) as Record<Level, number>,
            maxPositionPercent: aggregates.liveMaxPositionPercent,
          }),
          sessionDurationTarget({ live, maxAgeSeconds: aggregates.liveAgeSeconds.max, atLeast: aggregates.liveAtLeast }),
          handoffSuccessTarget({ accepted: handoffs.accepted, rejected: handoffs.rejected }),
          recoveryTimeTarget({ count: aggregates.recoverySeconds.count, p95Seconds: aggregates.recoverySeconds.p95 }),
        ],
      };
    },
  };
}

export type SummaryService = ReturnType<typeof createSummaryService>;
