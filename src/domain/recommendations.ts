import { levelOf, tokenBudget, type Level } from './budget.js';

export type ReferenceMetric = 'token_usage_percent' | 'session_duration' | 'handoff_success_percent' | 'recovery_time';

/**
 * The reference "Key Metrics to Monitor" table, row by row. `target` is the table's Target
 * cell. Token-usage rows apply at their budget level; duration rows from `fromMinutes`
 * (inclusive) to the next row's bound, like the levels.
 */
export type ReferenceRow =
  | { metric: 'token_usage_percent'; target: string; action: string; level: Level }
  | { metric: 'session_duration'; target: string; action: string; fromMinutes: number }
  | { metric: 'handoff_success_percent' | 'recovery_time'; target: string; action: string };

export const REFERENCE_METRICS: readonly ReferenceRow[] = [
  { metric: 'token_usage_percent', target: '<60%', action: 'Normal operation', level: 'normal' },
  { metric: 'token_usage_percent', target: '60-75%', action: 'Enable progressive disclosure', level: 'progressive_disclosure' },
  { metric: 'token_usage_percent', target: '75-85%', action: 'Defer non-critical context', level: 'defer_non_critical' },
  { metric: 'token_usage_percent', target: '>85%', action: 'Emergency recovery', level: 'emergency' },
  { metric: 'session_duration', target: '<30 min', action: 'Normal', fromMinutes: 0 },
  { metric: 'session_duration', target: '30-60 min', action: 'Create checkpoint every 10 min', fromMinutes: 30 },
  { metric: 'session_duration', target: '>60 min', action: 'Consider new session', fromMinutes: 60 },
  { metric: 'handoff_success_percent', target: '>99%', action: 'Monitor for issues' },
  { metric: 'recovery_time', target: '<5 min', action: 'Acceptable' },
  { metric: 'recovery_time', target: '>10 min', action: 'Optimize checkpoint strategy' },
];

/** The healthy target of each metric: its first row in the table. */
export const REFERENCE_TARGETS: Readonly<Record<ReferenceMetric, string>> = {
  token_usage_percent: '<60%',
  session_duration: '<30 min',
  handoff_success_percent: '>99%',
  recovery_time: '<5 min',
};

export interface Recommendation {
  metric: 'token_usage_percent' | 'session_duration';
  /** Percent of the budget used (2 decimals), or the session's age in minutes (2 decimals). */
  value: number;
  /** The metric's healthy target, e.g. "<60%". */
  target: string;
  /** What the row of the table that applies says to do. */
  action: string;
}

/** One recommendation per metric: the table row that applies to this position and age. */
export function recommendationsFor(input: { used: number; total: number; ageSeconds: number }): Recommendation[] {
  const level = levelOf(input.used, input.total);
  const ageSeconds = Math.max(0, input.ageSeconds);
  const usageRow = rowWhere((row) => row.metric === 'token_usage_percent' && row.level === level);
  const durationRow = rowWhere((row) => row.metric === 'session_duration' && ageSeconds >= row.fromMinutes * 60);
  return [
    {
      metric: 'token_usage_percent',
      value: tokenBudget(input.total, input.used).positionPercent,
      target: REFERENCE_TARGETS.token_usage_percent,
      action: usageRow.action,
    },
    {
      metric: 'session_duration',
      value: Math.round((ageSeconds * 100) / 60) / 100,
      target: REFERENCE_TARGETS.session_duration,
      action: durationRow.action,
    },
  ];
}

/** The last matching row (rows of a metric are in ascending order, so the highest band reached). */
function rowWhere(predicate: (row: ReferenceRow) => boolean): ReferenceRow {
  const row = REFERENCE_METRICS.findLast(predicate);
  if (!row) throw new Error('the reference metrics table has no row for this value');
  return row;
}
