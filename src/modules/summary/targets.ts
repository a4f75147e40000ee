/**
 * Which targets of the reference "Key Metrics to Monitor" table (section 7) a project misses, from
 * its aggregates. Pure functions over the rows of sessions/recommendations.ts: each metric's target
 * is its healthy first row, and the action is the row of the band the project's worst value reached.
 */
import { LEVELS, tokenBudget, type Level } from '../../domain/budget.js';
import { REFERENCE_METRICS, REFERENCE_TARGETS, type ReferenceMetric, type ReferenceRow } from '../../domain/recommendations.js';

/** Handoff success must stay above this percentage (`>99%`). */
export const HANDOFF_SUCCESS_TARGET_PERCENT = 99;
/** Recovery is acceptable below this many minutes (`<5 min`)... */
export const RECOVERY_TARGET_MINUTES = 5;
/** ...and calls for a better checkpoint strategy above this many (`>10 min`). */
export const RECOVERY_ACTION_ABOVE_MINUTES = 10;

/** The session-duration bands past the healthy one, in minutes (30, 60): the summary counts live sessions at or past each. */
export const DURATION_BOUNDS_MINUTES: readonly number[] = REFERENCE_METRICS.flatMap((row) =>
  row.metric === 'session_duration' && row.fromMinutes > 0 ? [row.fromMinutes] : [],
);

export interface TargetCheck {
  metric: ReferenceMetric;
  /** The healthy target, as the table writes it, e.g. "<60%". */
  target: string;
  /** The project's value for this metric (see each function); null when there is nothing to measure. */
  actual: number | null;
  unit: 'percent' | 'minutes';
  missed: boolean;
  /** What the table says to do at `actual`. */
  action: string;
  /** The figures behind `actual`, in a sentence. */
  detail: string;
}

function rowsOf(metric: ReferenceMetric): ReferenceRow[] {
  return REFERENCE_METRICS.filter((row) => row.metric === metric);
}

function actionWhere(predicate: (row: ReferenceRow) => boolean): string {
  const row = REFERENCE_METRICS.findLast(predicate);
  if (!row) throw new Error('the reference metrics table has no row for this value');
  return row.action;
}

const minutes = (seconds: number): number => Math.round((seconds * 100) / 60) / 100;
const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** `part` of `whole` in percent, 2 decimals half up (exact, as budget positions); null when whole is 0. */
export function percentOf(part: number, whole: number): number | null {
  return whole > 0 ? tokenBudget(whole, part).positionPercent : null;
}

/**
 * Token usage of the live sessions: `actual` is the highest position among them; the target (<60%)
 * is missed when any live session is at 60% or more, and the action is that of the highest level reached.
 */
export function tokenUsageTarget(input: { liveByLevel: Readonly<Record<Level, number>>; maxPositionPercent: number | null }): TargetCheck {
  const live = LEVELS.reduce((sum, { level }) => sum + input.liveByLevel[level], 0);
  const worst = LEVELS.findLast(({ level }) => input.liveByLevel[level] > 0)?.level ?? 'normal';
  const beyond = LEVELS.filter(({ fromPercent }) => fromPercent > 0);
  const beyondCount = beyond.reduce((sum, { level }) => sum + input.liveByLevel[level], 0);
  return {
    metric: 'token_usage_percent',
    target: REFERENCE_TARGETS.token_usage_percent,
    actual: live > 0 ? input.maxPositionPercent : null,
    unit: 'percent',
    missed: worst !== 'normal',
    action: actionWhere((row) => row.metric === 'token_usage_percent' && row.level === worst),
    detail:
      live === 0
        ? 'no live sessions'
        : `${beyondCount} of ${plural(live, 'live session')} at ${beyond[0]!.fromPercent}% of their budget or more ` +
          `(${beyond.map(({ level }) => `${level}: ${input.liveByLevel[level]}`).join(', ')})`,
  };
}

/**
 * Age of the live sessions: `actual` is the oldest one's age in minutes; the target (<30 min) is
 * missed when a live session has run 30 minutes or more. `atLeast[i]` counts the live sessions
 * aged DURATION_BOUNDS_MINUTES[i] minutes or more.
 */
export function sessionDurationTarget(input: { live: number; maxAgeSeconds: number | null; atLeast: readonly number[] }): TargetCheck {
  const age = input.live > 0 && input.maxAgeSeconds !== null ? Math.max(0, input.maxAgeSeconds) : null;
  const band = (row: ReferenceRow) => row.metric === 'session_duration' && (age ?? 0) >= row.fromMinutes * 60;
  return {
    metric: 'session_duration',
    target: REFERENCE_TARGETS.session_duration,
    actual: age === null ? null : minutes(age),
    unit: 'minutes',
    missed: age !== null && age >= DURATION_BOUNDS_MINUTES[0]! * 60,
    action: actionWhere(band),
    detail:
      age === null
        ? 'no live sessions'
        : `of ${plural(input.live, 'live session')}, ` +
          DURATION_BOUNDS_MINUTES.map((bound, i) => `${input.atLeast[i] ?? 0} running ${bound} min or more`).join(', '),
  };
}

/** Accepted of decided handoffs: the target (>99%) is missed at 99% or less; pending ones do not count. */
export function handoffSuccessTarget(input: { accepted: number; rejected: number }): TargetCheck {
  const decided = input.accepted + input.rejected;
  const [row] = rowsOf('handoff_success_percent');
  return {
    metric: 'handoff_success_percent',
    target: REFERENCE_TARGETS.handoff_success_percent,
    actual: percentOf(input.accepted, decided),
    unit: 'percent',
    // Exact: accepted / decided * 100 <= 99, compared in integers, never the rounded percentage.
    missed: decided > 0 && input.accepted * 100 <= HANDOFF_SUCCESS_TARGET_PERCENT * decided,
    action: row!.action,
    detail: decided === 0 ? 'no decided handoffs' : `${input.accepted} of ${plural(decided, 'decided handoff')} accepted, ${input.rejected} rejected`,
  };
}

/**
 * The 95th percentile of recovery times: the target (<5 min) is missed at 5 minutes or more. The
 * table acts only above 10 minutes; between the two it says nothing, so the action says both.
 */
export function recoveryTimeTarget(input: { count: number; p95Seconds: number | null }): TargetCheck {
  const [acceptable, optimize] = rowsOf('recovery_time');
  const p95 = input.count > 0 ? input.p95Seconds : null;
  const missed = p95 !== null && p95 >= RECOVERY_TARGET_MINUTES * 60;
  const action = !missed
    ? acceptable!.action
    : p95 > RECOVERY_ACTION_ABOVE_MINUTES * 60
      ? optimize!.action
      : `Watch: above the ${acceptable!.target} target; above ${RECOVERY_ACTION_ABOVE_MINUTES} min: ${optimize!.action}`;
  return {
    metric: 'recovery_time',
    target: REFERENCE_TARGETS.recovery_time,
    actual: p95 === null ? null : minutes(p95),
    unit: 'minutes',
    missed,
    action,
    detail: p95 === null ? 'no measured recoveries' : `p95 of ${input.count} ${input.count === 1 ? 'recovery' : 'recoveries'}`,
  };
}
