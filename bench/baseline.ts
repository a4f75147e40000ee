// The minimal baseline of `npm run bench`: what a user would write instead of running the service.
// Fastify with nothing registered (no plugins, hooks, schemas, auth or logger) and `pg`, on its own
// tables in the bench database:
// - POST /usage/:id   {"tokens": n}  one prepared statement increments `used` of counter :id and
//   appends one history row, answering the new `used` (counters 1…1,001; the bench sends 1…1,000
//   as 1,000 sessions and 1,001 as the hot one);
// - POST /checkpoints/:thread  {"context_snapshot": {…}}  LangGraph's own PostgresSaver.put of a
//   checkpoint holding the snapshot as a channel value, as a LangGraph user would store it.
//
// Environment: PORT, DATABASE_URL, DATABASE_POOL_MAX.
import { PostgresSaver } from '@langchain/langgraph-checkpoint-postgres';
import { emptyCheckpoint, uuid6 } from '@langchain/langgraph-checkpoint';
import Fastify from 'fastify';
import pg from 'pg';
import { BASELINE_SCHEMA, LANGGRAPH_SCHEMA, usageStatement } from './baseline-sql.js';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
await pool.query(BASELINE_SCHEMA);
const saver = new PostgresSaver(pool, undefined, { schema: LANGGRAPH_SCHEMA });
await saver.setup();
const usage = { name: 'baseline_usage', text: usageStatement('$1', '$2') };
// Each checkpoint writes its channel under a new version, as LangGraph does: a repeated version
// would let PostgresSaver skip the blob (ON CONFLICT DO NOTHING).
let version = 0;

const app = Fastify();
app.post<{ Params: { id: string }; Body: { tokens?: unknown } }>('/usage/:id', async (request, reply) => {
  const tokens = request.body?.tokens;
  if (typeof tokens !== 'number' || !Number.isInteger(tokens) || tokens < 1) return reply.code(400).send({ status: 400 });
  const { rows } = await pool.query<{ used: string }>({ ...usage, values: [Number(request.params.id), tokens] });
  if (!rows[0]) return reply.code(404).send({ status: 404 });
  return { used: Number(rows[0].used) };
});
app.post<{ Params: { thread: string }; Body: { context_snapshot?: unknown } }>('/checkpoints/:thread', async (request, reply) => {
  const snapshot = request.body?.context_snapshot;
  if (typeof snapshot !== 'object' || snapshot === null) return reply.code(400).send({ status: 400 });
  version += 1;
  const checkpoint = { ...emptyCheckpoint(), id: uuid6(-1), channel_values: { context: snapshot }, channel_versions: { context: version } };
  const config = await saver.put(
    { configurable: { thread_id: request.params.thread, checkpoint_ns: '' } },
    checkpoint,
    { source: 'update', step: -1, parents: {} },
    { context: version },
  );
  return reply.code(201).send({ checkpoint_id: config.configurable?.checkpoint_id });
});

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);
await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
