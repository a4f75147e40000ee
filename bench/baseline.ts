// The bare baseline of `npm run bench`: what a usage update costs when written by hand, with no
// framework around it — Fastify with no plugins, hooks, schemas or logger, and `pg` directly.
// It does the service's SQL work: an API key check (SHA-256, cached like the service does, else
// a lookup by hash) and the very text of the service's usage statement (recordUsageSql), so the
// comparison measures the service's overhead, not a cheaper query.
//
// Environment: PORT, DATABASE_URL, DATABASE_POOL_MAX, AUTH_CACHE_TTL_MS, and BASELINE_PREPARED=1 to
// send the statement as a named prepared statement (parsed and planned once per connection).
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { newId } from '../src/lib/ids.js';
import { levelOf } from '../src/domain/budget.js';
import { tokenBudgetWire } from '../src/modules/sessions/sessions.schemas.js';
import { RECORD_USAGE_STATEMENT, recordUsageSql, type UsageWrite } from '../src/modules/usage/usage.repository.js';

const MAX_TOKENS_PER_UPDATE = 10_000_000;

/**
 * The statement's text with `$n` placeholders, once, and for each placeholder which field of the
 * write it carries: the text is built from sentinel values, then each request only fills an array.
 */
function compileUsageStatement() {
  const now = new Date(0);
  const sentinels = {
    usageId: '\u0000usageId',
    projectId: '\u0000projectId',
    sessionId: '\u0000sessionId',
    model: '\u0000model',
    source: '\u0000source',
    key: '\u0000key',
    requestHash: '\u0000requestHash',
  };
  const tokens = -101;
  const inputTokens = -102;
  const outputTokens = -103;
  const statement = recordUsageSql({
    ...sentinels,
    tokens,
    inputTokens,
    outputTokens,
    idempotency: { key: sentinels.key, requestHash: sentinels.requestHash },
    now,
  });
  const fields = statement.values.map((value) => {
    if (value === now) return 'now';
    if (value === tokens) return 'tokens';
    if (value === inputTokens) return 'inputTokens';
    if (value === outputTokens) return 'outputTokens';
    const field = Object.entries(sentinels).find(([, sentinel]) => sentinel === value)?.[0];
    if (!field) throw new Error(`unexpected value in the usage statement: ${String(value)}`);
    return field;
  });
  return { text: statement.text, fields };
}

type Field = ReturnType<typeof compileUsageStatement>['fields'][number];
type Values = Record<Field, unknown>;

const { text, fields } = compileUsageStatement();
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_MAX ?? 10) });
const authCacheTtlMs = Number(process.env.AUTH_CACHE_TTL_MS ?? 5000);
const statementName = process.env.BASELINE_PREPARED === '1' ? RECORD_USAGE_STATEMENT : undefined;
const verified = new Map<string, { projectId: string; expiresAt: number }>();

async function projectOf(authorization: string | undefined): Promise<string | null> {
  const apiKey = authorization?.startsWith('Bearer ') ? authorization.slice(7) : undefined;
  if (!apiKey) return null;
  const keyHash = createHash('sha256').update(apiKey).digest('hex');
  const cached = verified.get(keyHash);
  const nowMs = Date.now();
  if (cached && cached.expiresAt > nowMs) return cached.projectId;
  const { rows } = await pool.query<{ project_id: string }>('SELECT project_id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL', [keyHash]);
  const projectId = rows[0]?.project_id ?? null;
  if (projectId && authCacheTtlMs > 0) verified.set(keyHash, { projectId, expiresAt: nowMs + authCacheTtlMs });
  return projectId;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= MAX_TOKENS_PER_UPDATE;

const app = Fastify();
app.post<{ Params: { id: string }; Body: { tokens?: unknown; source?: unknown; model?: unknown } }>(
  '/v1/sessions/:id/usage',
  async (request, reply) => {
    const projectId = await projectOf(request.headers.authorization);
    if (!projectId) return reply.code(401).send({ status: 401 });
    const body = request.body;
    if (!body || !isCount(body.tokens)) return reply.code(400).send({ status: 400 });
    const write: Omit<UsageWrite, 'idempotency'> & { key: null; requestHash: null } = {
      usageId: newId('use'),
      projectId,
      sessionId: request.params.id,
      tokens: body.tokens,
      inputTokens: null,
      outputTokens: null,
      model: typeof body.model === 'string' ? body.model : null,
      source: typeof body.source === 'string' ? body.source : null,
      key: null,
      requestHash: null,
      now: new Date(),
    };
    const values = fields.map((field) => (write as Values)[field]);
    const { rows } = await pool.query<{ total: string; used: string; status: string; crossed: number[] }>({ name: statementName, text, values });
    const row = rows[0];
    if (!row) return reply.code(404).send({ status: 404 });
    const total = Number(row.total);
    const used = Number(row.used);
    return {
      session_id: request.params.id,
      token_budget: tokenBudgetWire(total, used),
      level: levelOf(used, total),
      crossed: row.crossed,
      status: row.status,
    };
  },
);

const close = async () => {
  await app.close();
  await pool.end();
  process.exit(0);
};
process.on('SIGTERM', close);
process.on('SIGINT', close);

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : ''}\n`);
