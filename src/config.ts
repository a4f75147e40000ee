import ipaddr from 'ipaddr.js';
import { z } from 'zod';

import { DEFAULT_MODELS, type CatalogModel } from './domain/model-catalog.js';
import { canonicalPrice } from './domain/prices.js';

/** Models every deployment knows (with their published prices); `MODELS` adds to or overrides these by name. */
export { DEFAULT_MODELS };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** A whole number written in decimal digits only (no sign, exponent, hex or fraction). */
function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
}

/** 'true'/'false'/'1'/'0' (any case). Unlike z.coerce.boolean, 'false' really is false. */
const bool = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0'], { error: "must be 'true', 'false', '1' or '0'" }))
  .transform((value) => value === 'true' || value === '1');

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const protocol = new URL(value).protocol;
      return protocol === 'postgres:' || protocol === 'postgresql:';
    } catch {
      return false;
    }
  },
  { error: 'must be a postgres:// or postgresql:// URL' },
);

const delayList = z
  .string()
  .transform((value) => value.split(',').map((item) => item.trim()))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^\d+$/, 'every delay must be a whole number of seconds')
          .transform(Number)
          .pipe(z.number().min(1, 'every delay must be at least 1 second')),
      )
      .min(1),
  );

const PriceSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const price = canonicalPrice(value);
  if (price === null) {
    ctx.addIssue({ code: 'custom', message: 'must be a price in USD per million tokens: a decimal ≥ 0 with at most 6 decimals' });
    return z.NEVER;
  }
  return price;
});

const ModelEntrySchema = z.strictObject({
  model: z.string().min(1).max(256),
  context_window: z.number().int().positive(),
  prices_usd_per_mtok: z
    .strictObject({
      input: PriceSchema,
      output: PriceSchema,
      cache_read: PriceSchema,
      cache_write: PriceSchema,
      cache_write_1h: PriceSchema.optional(),
    })
    .optional(),
  /** The date the prices were taken (YYYY-MM-DD); part of their version. */
  prices_as_of: z.iso.date().optional(),
});

const modelList = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be valid JSON' });
      return z.NEVER;
    }
  })
  .pipe(z.array(ModelEntrySchema, { error: 'must be a JSON array of {"model","context_window","prices_usd_per_mtok"?}' }))
  .transform(mergeModels);

/** proxy-addr's names for address ranges, accepted in TRUST_PROXY lists. */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY: `false`/`true`, a hop count (trust that many proxies in front), or a comma-separated
 * list of addresses, CIDR ranges and proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`).
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value, ctx): boolean | number | string[] => {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((item) => item.trim());
    const bad = entries.filter((entry) => !(PROXY_RANGE_NAMES.includes(entry.toLowerCase()) || ipaddr.isValid(entry) || ipaddr.isValidCIDR(entry)));
    if (bad.length > 0) {
      ctx.addIssue({
        code: 'custom',
        message:
          `must be 'true', 'false', a hop count, or a comma-separated list of addresses, CIDR ranges or ` +
          `${PROXY_RANGE_NAMES.join('/')}; not ${bad.map((entry) => JSON.stringify(entry)).join(', ')}`,
      });
      return z.NEVER;
    }
    return entries.map((entry) => (PROXY_RANGE_NAMES.includes(entry.toLowerCase()) ? entry.toLowerCase() : entry));
  });

/** MODELS over the built-in models: an entry without prices keeps the built-in model's prices (if any). */
function mergeModels(extra: z.infer<typeof ModelEntrySchema>[]): CatalogModel[] {
  const byName = new Map(DEFAULT_MODELS.map((entry) => [entry.model, entry]));
  for (const entry of extra) {
    const prices = entry.prices_usd_per_mtok;
    const asOf = entry.prices_as_of ?? null;
    byName.set(entry.model, {
      model: entry.model,
      contextWindow: entry.context_window,
      price: prices
        ? {
            prices: {
              input: prices.input,
              output: prices.output,
              cacheRead: prices.cache_read,
              cacheWrite: prices.cache_write,
              cacheWrite1h: prices.cache_write_1h ?? null,
            },
            version: `settings:${asOf ?? 'undated'}`,
            asOf,
          }
        : (byName.get(entry.model)?.price ?? null),
    });
  }
  return [...byName.values()];
}

/** The parsed configuration; keys are camelCase, inputs are the raw environment strings. */
export const ConfigSchema = z.object({
  port: int(0, 65_535).default(3000),
  host: z.string().default('0.0.0.0'),
  databaseUrl: postgresUrl.optional(),
  dataDir: z.string().default('./data'),
  bootstrapApiKey: z.string().min(20, 'must be at least 20 characters').optional(),
  adminToken: z.string().min(16, 'must be at least 16 characters').optional(),
  webhookAllowPrivateNetworks: bool.default(false),
  webhookDispatcher: z.enum(['on', 'off'], { error: "must be 'on' or 'off'" }).default('on'),
  webhookRetryDelaysSeconds: delayList.default([5, 300, 1800, 7200, 18_000, 36_000, 36_000]),
  webhookTimeoutMs: int(1).default(15_000),
  logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  // Largest accepted request body; larger ones get 413.
  bodyLimitBytes: int(1).default(1_048_576),
  // How long idempotency keys are kept; the contract promises at least 24 hours.
  idempotencyTtlHours: int(24).default(24),
  // Largest checkpoint snapshot, in bytes of its canonical JSON; larger ones get 413.
  checkpointMaxBytes: int(2).default(1_048_576),
  // Usage history and checkpoints older than this many days are pruned; unset keeps them forever.
  // Checkpoints that a fork, a handoff or a recovery refers to, and each session's latest, are kept.
  usageRetentionDays: int(1).optional(),
  checkpointRetentionDays: int(1).optional(),
  // Events older than this, with their finished deliveries and attempt logs, are pruned; events
  // still owed to a subscriber are kept. Unset keeps them forever.
  eventRetentionDays: int(1).optional(),
  // How long a verified API key stays cached in memory; 0 checks the database on every request.
  authCacheTtlMs: int(0).default(5000),
  // Maximum connections in the PostgreSQL pool when DATABASE_URL is set.
  databasePoolMax: int(1).default(10),
  // Models and context windows served by GET /v1/models and used as default budgets.
  models: modelList.default(() => [...DEFAULT_MODELS]),
  // A session may name a model that MODELS lacks (its budget then defaults to 200,000); else that is 400.
  allowUnknownModels: bool.default(false),
  // Most requests one API key may make per window on /v1, counted per replica; 0 turns limiting off.
  rateLimitMax: int(0).default(10_000),
  rateLimitWindowMs: int(1).default(1000),
  // Requests failing authentication (no, unknown, revoked or expired key) one client address may make
  // per window, per replica; past it, 429 without a database lookup. 0 turns this limit off.
  rateLimitUnauthenticatedMax: int(0).default(50),
  // Node's HTTP server: time to receive a whole request, socket inactivity, idle keep-alive; 0 = none.
  requestTimeoutMs: int(0).default(30_000),
  connectionTimeoutMs: int(0).default(60_000),
  keepAliveTimeoutMs: int(1).default(72_000),
  // Which proxies' X-Forwarded-* headers to believe (client address, protocol, host).
  trustProxy: trustProxy.default(false),
  // When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`.
  metricsToken: z.string().min(16, 'must be at least 16 characters').optional(),
  // The worker process (no API) serves GET /metrics on this port when set.
  workerMetricsPort: int(0, 65_535).optional(),
  // Open GET /v1/events/stream connections one API key may hold, per replica.
  eventStreamsPerKey: int(1).default(100),
  // How often an open event stream gets a keep-alive comment.
  eventStreamHeartbeatMs: int(1).default(15_000),
  // OTLP telemetry naming an external id no session has creates that session (else its items are rejected).
  otlpCreateSessions: bool.default(true),
  // Largest OTLP export body, as sent and after decompression (the OTLP specification recommends 64 MiB).
  otlpBodyLimitBytes: int(1).default(67_108_864),
});

export type Config = Readonly<z.infer<typeof ConfigSchema>>;

/** Which environment variable feeds each setting. */
export const ENV_VARS = {
  port: 'PORT',
  host: 'HOST',
  databaseUrl: 'DATABASE_URL',
  dataDir: 'DATA_DIR',
  bootstrapApiKey: 'BOOTSTRAP_API_KEY',
  adminToken: 'ADMIN_TOKEN',
  webhookAllowPrivateNetworks: 'WEBHOOK_ALLOW_PRIVATE_NETWORKS',
  webhookDispatcher: 'WEBHOOK_DISPATCHER',
  webhookRetryDelaysSeconds: 'WEBHOOK_RETRY_DELAYS',
  webhookTimeoutMs: 'WEBHOOK_TIMEOUT_MS',
  logLevel: 'LOG_LEVEL',
  bodyLimitBytes: 'BODY_LIMIT_BYTES',
  idempotencyTtlHours: 'IDEMPOTENCY_TTL_HOURS',
  checkpointMaxBytes: 'CHECKPOINT_MAX_BYTES',
  usageRetentionDays: 'USAGE_RETENTION_DAYS',
  checkpointRetentionDays: 'CHECKPOINT_RETENTION_DAYS',
  eventRetentionDays: 'EVENT_RETENTION_DAYS',
  authCacheTtlMs: 'AUTH_CACHE_TTL_MS',
  databasePoolMax: 'DATABASE_POOL_MAX',
  models: 'MODELS',
  allowUnknownModels: 'ALLOW_UNKNOWN_MODELS',
  rateLimitMax: 'RATE_LIMIT_MAX',
  rateLimitWindowMs: 'RATE_LIMIT_WINDOW_MS',
  rateLimitUnauthenticatedMax: 'RATE_LIMIT_UNAUTHENTICATED_MAX',
  requestTimeoutMs: 'REQUEST_TIMEOUT_MS',
  connectionTimeoutMs: 'CONNECTION_TIMEOUT_MS',
  keepAliveTimeoutMs: 'KEEP_ALIVE_TIMEOUT_MS',
  trustProxy: 'TRUST_PROXY',
  metricsToken: 'METRICS_TOKEN',
  workerMetricsPort: 'WORKER_METRICS_PORT',
  eventStreamsPerKey: 'EVENT_STREAMS_PER_KEY',
  eventStreamHeartbeatMs: 'EVENT_STREAM_HEARTBEAT_MS',
  otlpCreateSessions: 'OTLP_CREATE_SESSIONS',
  otlpBodyLimitBytes: 'OTLP_BODY_LIMIT_BYTES',
} as const satisfies Record<keyof Config, string>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment (empty or blank values count as unset). Throws ConfigError listing every problem. */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const input: Record<string, string | undefined> = {};
  for (const [key, name] of Object.entries(ENV_VARS)) {
    const value = env[name];
    input[key] = value === undefined || value.trim() === '' ? undefined : value;
  }
  const result = ConfigSchema.safeParse(input);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const [key, ...rest] = issue.path;
      const name = ENV_VARS[key as keyof Config] ?? String(key);
      const where = rest.map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`)).join('');
      return `  - ${name}${where}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return freeze(result.data);
}

/** parseConfig for process entries: on a bad environment, prints why and exits with status 1. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  try {
    return parseConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

/**
 * A valid config for tests, without reading process.env: port 0 on 127.0.0.1, silent logs,
 * no in-process dispatcher (tests call dispatcher.tick()), private webhook URLs allowed (the
 * recording receiver listens on loopback) and no auth cache (revoked keys fail at once).
 */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return freeze({
    ...parseConfig({}),
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    webhookDispatcher: 'off',
    webhookAllowPrivateNetworks: true,
    authCacheTtlMs: 0,
    ...overrides,
  });
}

/** A frozen copy: the config and its arrays cannot change after start-up. */
function freeze(config: z.infer<typeof ConfigSchema>): Config {
  return Object.freeze({
    ...config,
    webhookRetryDelaysSeconds: Object.freeze([...config.webhookRetryDelaysSeconds]) as number[],
    models: Object.freeze(config.models.map((entry) => Object.freeze({ ...entry }))) as Config['models'],
    trustProxy: Array.isArray(config.trustProxy) ? (Object.freeze([...config.trustProxy]) as string[]) : config.trustProxy,
  });
}
