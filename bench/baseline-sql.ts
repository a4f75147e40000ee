// The minimal baseline's tables and usage statement: served by bench/baseline.ts, sent by pgbench.

/** Counters 1…1,000 stand for 1,000 sessions, 1,001 for the hot one. */
export const COUNTERS = 1001;
export const HOT_COUNTER = 1001;

export const BASELINE_SCHEMA = `CREATE SCHEMA IF NOT EXISTS baseline;
CREATE TABLE IF NOT EXISTS baseline.counters (id int PRIMARY KEY, used bigint NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS baseline.history (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  counter_id int NOT NULL,
  tokens int NOT NULL,
  used_after bigint NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO baseline.counters (id) SELECT generate_series(1, ${COUNTERS}) ON CONFLICT DO NOTHING;`;

/** One statement: increment `used` of counter `id`, append a history row, answer the new `used`. */
export const usageStatement = (id: string, tokens: string) => `WITH counter AS (
  UPDATE baseline.counters SET used = used + ${tokens} WHERE id = ${id} RETURNING id, used
), history AS (
  INSERT INTO baseline.history (counter_id, tokens, used_after) SELECT id, ${tokens}, used FROM counter
)
SELECT used FROM counter`;

/** LangGraph's tables go to their own schema: the service has a `checkpoints` table of its own. */
export const LANGGRAPH_SCHEMA = 'langgraph';
