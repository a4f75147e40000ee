// What the CLI prints for people: the API's objects as aligned fields and tables.
import type { Budget, Checkpoint, Session, UsageEntry, WebhookDelivery } from '../index.js';
import { clip, duration, fields, num, pct, table, time } from './format.js';

type Cost = Session['cost'];
type Classes = NonNullable<UsageEntry['classes']>;

/** `$0.008 of $0.01 (80%)`, or `$0.003 (no limit)`. */
export const costText = (cost: Cost): string =>
  cost.limit_usd === null ? `$${cost.used_usd} (no limit)` : `$${cost.used_usd} of $${cost.limit_usd} (${pct(cost.position_percent)})`;

/** The classes that hold tokens: `50 in · 100,000 cache read · 248 cache write · 503 out (40 reasoning)`; empty for { tokens }. */
export function classesText(classes: Classes | null): string {
  if (!classes) return '';
  const parts = (
    [
      [classes.input, 'in'],
      [classes.cache_read, 'cache read'],
      [classes.cache_write, 'cache write'],
      [classes.output, 'out'],
    ] as const
  )
    .filter(([count]) => count > 0)
    .map(([count, name]) => `${num(count)} ${name}`);
  return parts.join(' · ') + (classes.reasoning > 0 ? ` (${num(classes.reasoning)} reasoning)` : '');
}

export function sessionFields(session: Session): string {
  const budget = session.token_budget;
  return fields([
    ['Session', session.session_id],
    ['Task', session.task_id],
    ['Model', session.model],
    ['Status', session.status],
    ['Level', session.level],
    ['Budget', `${num(budget.used)} of ${num(budget.total)} used (${pct(budget.position_percent)}), ${num(budget.available)} available`],
    ['Counts', session.count === 'all' ? 'all tokens' : 'billable input and output (cache reads excluded)'],
    ['Cost', costText(session.cost)],
    ['Context keys', Object.keys(session.context).join(', ') || '(empty)'],
    ['Deferred keys', Object.keys(session.deferred_context).join(', ') || '(none)'],
    ['Checkpoints', session.checkpoints_count],
    ['Updated', time(session.updated_at)],
  ]);
}

export function sessionsTable(sessions: Session[]): string {
  return table(
    ['session', 'task', 'model', 'status', 'level', 'used', 'total', 'position', 'updated'],
    sessions.map((s) => [
      s.session_id,
      clip(s.task_id, 40),
      s.model,
      s.status,
      s.level,
      s.token_budget.used,
      s.token_budget.total,
      pct(s.token_budget.position_percent),
      time(s.updated_at),
    ]),
    '(no sessions)',
  );
}

export function budgetText(budget: Budget): string {
  const { token_budget: b, forecast } = budget;
  const summary = fields([
    ['Session', budget.session_id],
    ['Total', num(b.total)],
    ['Used', num(b.used)],
    ['Available', num(b.available)],
    ['Position', pct(b.position_percent)],
    ['Level', budget.level],
    ['Thresholds', budget.thresholds.map((t) => `${t}%`).join(', ')],
    ['Counts', budget.count === 'all' ? 'all tokens' : 'billable input and output (cache reads excluded)'],
    ['Cost', costText(budget.cost)],
    ['Cost thresholds', budget.cost_thresholds.map((t) => `${t}%`).join(', ')],
    ['Session age', duration(budget.session_age_seconds)],
  ]);
  const recommendations = table(
    ['metric', 'value', 'target', 'action'],
    budget.recommendations.map((r) => [r.metric, r.value, r.target, r.action]),
  );
  const marks = Object.keys(forecast.updates_until).sort((a, b) => Number(a) - Number(b));
  const forecastTable = table(
    ['at', 'updates until', 'time until'],
    marks.map((mark) => [`${mark}%`, forecast.updates_until[mark], duration(forecast.seconds_until[mark])]),
  );
  const rate = forecast.tokens_per_update === null ? 'not enough history' : `${num(forecast.tokens_per_update)} tokens per update`;
  return `${summary}\n\nRecommendations\n${recommendations}\n\nForecast (${rate})\n${forecastTable}`;
}

export function checkpointsTable(checkpoints: Checkpoint[]): string {
  return table(
    ['checkpoint', 'phase', 'used', 'position', 'size', 'created'],
    checkpoints.map((c) => [
      c.checkpoint_id,
      c.phase,
      c.token_usage.used,
      pct(c.token_usage.position_percent),
      `${num(c.size_bytes)} B`,
      time(c.created_at),
    ]),
    '(no checkpoints)',
  );
}

export const usageHeaders = ['created', 'tokens', 'used', 'available', 'position', 'crossed', 'classes', 'cost', 'source'];
export const usageRow = (u: UsageEntry) => [
  time(u.created_at),
  u.tokens,
  u.used,
  u.available,
  pct(u.position_percent),
  u.crossed.length > 0 ? u.crossed.map((t) => `${t}%`).join(' ') : '',
  classesText(u.classes),
  u.cost_usd === null ? '' : `$${u.cost_usd}`,
  u.source,
];

export function deliveriesText(deliveries: WebhookDelivery[]): string {
  const summary = table(
    ['delivery', 'event', 'status', 'attempts', 'last code', 'next attempt', 'last error'],
    deliveries.map((d) => [d.delivery_id, d.event_type, d.status, d.attempts, d.last_status_code, time(d.next_attempt_at), clip(d.last_error, 40)]),
    '(no deliveries)',
  );
  const attempts = deliveries.flatMap((d) =>
    d.attempt_log.map((a) => [
      d.delivery_id,
      a.attempt,
      time(a.started_at),
      a.status_code,
      `${num(a.duration_ms)} ms`,
      clip(a.error ?? a.response_snippet, 50),
    ]),
  );
  if (attempts.length === 0) return summary;
  return `${summary}\n\nAttempts\n${table(['delivery', '#', 'started', 'code', 'duration', 'error or response'], attempts)}`;
}
