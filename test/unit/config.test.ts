import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_MODELS, parseConfig, testConfig, type Config } from '../../src/config.js';

/** The ConfigError message for an environment, or fails the test when it parses. */
function errorFor(env: Record<string, string>): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

describe('parseConfig', () => {
  it('applies every default to an empty environment', () => {
    expect(parseConfig({})).toEqual({
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: './data',
      bootstrapApiKey: undefined,
      adminToken: undefined,
      webhookAllowPrivateNetworks: false,
      webhookDispatcher: 'on',
      webhookRetryDelaysSeconds: [5, 300, 1800, 7200, 18_000, 36_000, 36_000],
      webhookTimeoutMs: 15_000,
      logLevel: 'info',
      bodyLimitBytes: 1_048_576,
      idempotencyTtlHours: 24,
      checkpointMaxBytes: 1_048_576,
      usageRetentionDays: undefined,
      checkpointRetentionDays: undefined,
      eventRetentionDays: undefined,
      authCacheTtlMs: 5000,
      databasePoolMax: 10,
      models: [...DEFAULT_MODELS],
      allowUnknownModels: false,
      rateLimitMax: 10_000,
      rateLimitWindowMs: 1000,
      rateLimitUnauthenticatedMax: 50,
      requestTimeoutMs: 30_000,
      connectionTimeoutMs: 60_000,
      keepAliveTimeoutMs: 72_000,
      trustProxy: false,
      metricsToken: undefined,
      workerMetricsPort: undefined,
      eventStreamsPerKey: 100,
      eventStreamHeartbeatMs: 15_000,
      otlpCreateSessions: true,
      otlpBodyLimitBytes: 67_108_864,
    } satisfies Config);
  });

  it('treats empty and blank strings as unset', () => {
    expect(parseConfig({ PORT: '', ADMIN_TOKEN: '', LOG_LEVEL: '  ', DATABASE_URL: '' })).toEqual(parseConfig({}));
  });

  it.each<[string, string, Partial<Config>]>([
    ['PORT', '8080', { port: 8080 }],
    ['PORT', '0', { port: 0 }],
    ['PORT', ' 65535 ', { port: 65_535 }],
    ['HOST', '127.0.0.1', { host: '127.0.0.1' }],
    ['DATABASE_URL', 'postgres://u:p@db:5432/app', { databaseUrl: 'postgres://u:p@db:5432/app' }],
    ['DATABASE_URL', 'postgresql://localhost/app?sslmode=require', { databaseUrl: 'postgresql://localhost/app?sslmode=require' }],
    ['DATA_DIR', '/var/lib/sss', { dataDir: '/var/lib/sss' }],
    ['BOOTSTRAP_API_KEY', 'k'.repeat(20), { bootstrapApiKey: 'k'.repeat(20) }],
    ['ADMIN_TOKEN', 'a'.repeat(16), { adminToken: 'a'.repeat(16) }],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'true', { webhookAllowPrivateNetworks: true }],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', '1', { webhookAllowPrivateNetworks: true }],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'TRUE', { webhookAllowPrivateNetworks: true }],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'false', { webhookAllowPrivateNetworks: false }],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', '0', { webhookAllowPrivateNetworks: false }],
    ['WEBHOOK_DISPATCHER', 'off', { webhookDispatcher: 'off' }],
    ['WEBHOOK_RETRY_DELAYS', '1, 2,3', { webhookRetryDelaysSeconds: [1, 2, 3] }],
    ['WEBHOOK_RETRY_DELAYS', '60', { webhookRetryDelaysSeconds: [60] }],
    ['WEBHOOK_TIMEOUT_MS', '2500', { webhookTimeoutMs: 2500 }],
    ['LOG_LEVEL', 'silent', { logLevel: 'silent' }],
    ['LOG_LEVEL', 'trace', { logLevel: 'trace' }],
    ['BODY_LIMIT_BYTES', '4096', { bodyLimitBytes: 4096 }],
    ['IDEMPOTENCY_TTL_HOURS', '48', { idempotencyTtlHours: 48 }],
    ['CHECKPOINT_MAX_BYTES', '65536', { checkpointMaxBytes: 65_536 }],
    ['USAGE_RETENTION_DAYS', '30', { usageRetentionDays: 30 }],
    ['CHECKPOINT_RETENTION_DAYS', '90', { checkpointRetentionDays: 90 }],
    ['EVENT_RETENTION_DAYS', '14', { eventRetentionDays: 14 }],
    ['EVENT_STREAMS_PER_KEY', '1000', { eventStreamsPerKey: 1000 }],
    ['EVENT_STREAM_HEARTBEAT_MS', '5000', { eventStreamHeartbeatMs: 5000 }],
    ['AUTH_CACHE_TTL_MS', '0', { authCacheTtlMs: 0 }],
    ['DATABASE_POOL_MAX', '25', { databasePoolMax: 25 }],
    ['ALLOW_UNKNOWN_MODELS', 'true', { allowUnknownModels: true }],
    ['RATE_LIMIT_MAX', '0', { rateLimitMax: 0 }],
    ['RATE_LIMIT_MAX', '600', { rateLimitMax: 600 }],
    ['RATE_LIMIT_WINDOW_MS', '60000', { rateLimitWindowMs: 60_000 }],
    ['RATE_LIMIT_UNAUTHENTICATED_MAX', '0', { rateLimitUnauthenticatedMax: 0 }],
    ['REQUEST_TIMEOUT_MS', '0', { requestTimeoutMs: 0 }],
    ['CONNECTION_TIMEOUT_MS', '120000', { connectionTimeoutMs: 120_000 }],
    ['KEEP_ALIVE_TIMEOUT_MS', '5000', { keepAliveTimeoutMs: 5000 }],
    ['TRUST_PROXY', 'true', { trustProxy: true }],
    ['TRUST_PROXY', 'FALSE', { trustProxy: false }],
    ['TRUST_PROXY', '2', { trustProxy: 2 }],
    ['TRUST_PROXY', '10.0.0.0/8, 192.168.1.7,loopback', { trustProxy: ['10.0.0.0/8', '192.168.1.7', 'loopback'] }],
    ['TRUST_PROXY', 'fd00::/8,::1', { trustProxy: ['fd00::/8', '::1'] }],
    ['METRICS_TOKEN', 'm'.repeat(16), { metricsToken: 'm'.repeat(16) }],
    ['WORKER_METRICS_PORT', '9464', { workerMetricsPort: 9464 }],
    ['OTLP_CREATE_SESSIONS', 'false', { otlpCreateSessions: false }],
    ['OTLP_CREATE_SESSIONS', '1', { otlpCreateSessions: true }],
    ['OTLP_BODY_LIMIT_BYTES', '16777216', { otlpBodyLimitBytes: 16_777_216 }],
  ])('reads %s=%j', (name, value, expected) => {
    expect(parseConfig({ [name]: value })).toMatchObject(expected);
  });

  it('reads WEBHOOK_ALLOW_PRIVATE_NETWORKS=false as false, unlike z.coerce.boolean', () => {
    expect(parseConfig({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' }).webhookAllowPrivateNetworks).toBe(false);
  });

  it.each([
    ['PORT', 'abc', 'must be a whole number'],
    ['PORT', '65536', 'must be at most 65535'],
    ['PORT', '-1', 'must be a whole number'],
    ['PORT', '80.5', 'must be a whole number'],
    ['PORT', '1e3', 'must be a whole number'],
    ['DATABASE_URL', 'mysql://localhost/app', 'postgres:// or postgresql://'],
    ['DATABASE_URL', 'not a url', 'postgres:// or postgresql://'],
    ['BOOTSTRAP_API_KEY', 'short', 'at least 20 characters'],
    ['ADMIN_TOKEN', 'a'.repeat(15), 'at least 16 characters'],
    ['WEBHOOK_ALLOW_PRIVATE_NETWORKS', 'yes', "'true', 'false', '1' or '0'"],
    ['WEBHOOK_DISPATCHER', 'maybe', "'on' or 'off'"],
    ['WEBHOOK_RETRY_DELAYS', '5,,10', 'whole number of seconds'],
    ['WEBHOOK_RETRY_DELAYS', '5,0', 'at least 1 second'],
    ['WEBHOOK_RETRY_DELAYS', '5,-3', 'whole number of seconds'],
    ['WEBHOOK_TIMEOUT_MS', '0', 'at least 1'],
    ['LOG_LEVEL', 'verbose', 'must be one of'],
    ['BODY_LIMIT_BYTES', '0', 'at least 1'],
    ['IDEMPOTENCY_TTL_HOURS', '23', 'at least 24'],
    ['AUTH_CACHE_TTL_MS', '-5', 'must be a whole number'],
    ['CHECKPOINT_MAX_BYTES', '1', 'at least 2'],
    ['USAGE_RETENTION_DAYS', '0', 'at least 1'],
    ['CHECKPOINT_RETENTION_DAYS', 'forever', 'must be a whole number'],
    ['DATABASE_POOL_MAX', '0', 'at least 1'],
    ['RATE_LIMIT_MAX', '-1', 'must be a whole number'],
    ['RATE_LIMIT_WINDOW_MS', '0', 'at least 1'],
    ['KEEP_ALIVE_TIMEOUT_MS', '0', 'at least 1'],
    ['TRUST_PROXY', 'yes', 'a hop count'],
    ['TRUST_PROXY', '10.0.0.0/33', 'not "10.0.0.0/33"'],
    ['TRUST_PROXY', '10.0.0.1,,10.0.0.2', 'not ""'],
    ['METRICS_TOKEN', 'short', 'at least 16 characters'],
    ['WORKER_METRICS_PORT', '70000', 'must be at most 65535'],
    ['OTLP_CREATE_SESSIONS', 'sometimes', "'true', 'false', '1' or '0'"],
    ['OTLP_BODY_LIMIT_BYTES', '0', 'at least 1'],
    ['MODELS', '{not json', 'must be valid JSON'],
    ['MODELS', '{"model":"x","context_window":1}', 'must be a JSON array'],
  ])('rejects %s=%j, naming the variable', (name, value, why) => {
    const message = errorFor({ [name]: value });
    expect(message).toContain(`${name}`);
    expect(message).toContain(why);
  });

  it.each([
    ['[{"model":"x"}]', 'MODELS[0].context_window'],
    ['[{"model":"x","context_window":0}]', 'MODELS[0].context_window'],
    ['[{"model":"","context_window":5}]', 'MODELS[0].model'],
    ['[{"model":"x","context_window":5,"extra":1}]', 'MODELS[0]'],
  ])('rejects MODELS=%s, pointing at %s', (value, where) => {
    expect(errorFor({ MODELS: value })).toContain(where);
  });

  it('lists every bad variable in one error', () => {
    const message = errorFor({ PORT: 'x', LOG_LEVEL: 'loud', ADMIN_TOKEN: 'short' });
    expect(message).toMatch(/PORT: .*\n.*ADMIN_TOKEN: .*\n.*LOG_LEVEL: /);
  });

  it('never echoes a secret value in the error', () => {
    expect(errorFor({ ADMIN_TOKEN: 'hunter2', DATABASE_URL: 'mysql://u:s3cr3t@h/db' })).not.toMatch(/hunter2|s3cr3t/);
  });

  it('adds MODELS to the built-in models and overrides them by name, keeping built-in prices unless it gives its own', () => {
    const { models } = parseConfig({
      MODELS: JSON.stringify([
        { model: 'claude-haiku-4-5-20251001', context_window: 100000 },
        { model: 'my-model', context_window: 32000 },
        {
          model: 'gpt-4o',
          context_window: 128000,
          prices_usd_per_mtok: { input: 2, output: '8.50', cache_read: 0.5, cache_write: 2 },
          prices_as_of: '2026-01-15',
        },
      ]),
    });
    const byName = new Map(models.map((entry) => [entry.model, entry]));
    expect(models.map((entry) => entry.model)).toEqual([...DEFAULT_MODELS.map((entry) => entry.model), 'my-model']);
    expect(byName.get('claude-haiku-4-5-20251001')).toEqual({
      model: 'claude-haiku-4-5-20251001',
      contextWindow: 100_000,
      price: DEFAULT_MODELS.find((entry) => entry.model === 'claude-haiku-4-5-20251001')!.price,
    });
    expect(byName.get('my-model')).toEqual({ model: 'my-model', contextWindow: 32_000, price: null });
    expect(byName.get('gpt-4o')!.price).toEqual({
      prices: { input: '2', output: '8.5', cacheRead: '0.5', cacheWrite: '2', cacheWrite1h: null },
      version: 'settings:2026-01-15',
      asOf: '2026-01-15',
    });
  });

  it('refuses a MODELS price that is not an exact decimal', () => {
    expect(
      errorFor({ MODELS: '[{"model":"x","context_window":5,"prices_usd_per_mtok":{"input":"-1","output":1,"cache_read":1,"cache_write":1}}]' }),
    ).toMatch(/MODELS\[0\]\.prices_usd_per_mtok\.input/);
  });

  it('returns a frozen config, arrays included', () => {
    const config = parseConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.webhookRetryDelaysSeconds)).toBe(true);
    expect(Object.isFrozen(config.models)).toBe(true);
    expect(Object.isFrozen(config.models[0])).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('freezes a TRUST_PROXY list', () => {
    expect(Object.isFrozen(parseConfig({ TRUST_PROXY: '10.0.0.1' }).trustProxy)).toBe(true);
  });

  it('has no default secret', () => {
    const config = parseConfig({});
    expect(config.bootstrapApiKey).toBeUndefined();
    expect(config.adminToken).toBeUndefined();
    expect(config.metricsToken).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
  });
});

describe('testConfig', () => {
  it('is valid for tests without process.env: port 0, silent, no in-process dispatcher', () => {
    expect(testConfig()).toMatchObject({ port: 0, logLevel: 'silent', webhookDispatcher: 'off', webhookAllowPrivateNetworks: true });
  });

  it('applies overrides and stays frozen', () => {
    const config = testConfig({ adminToken: 'a'.repeat(16), webhookRetryDelaysSeconds: [1, 1] });
    expect(config.adminToken).toBe('a'.repeat(16));
    expect(config.webhookRetryDelaysSeconds).toEqual([1, 1]);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('does not freeze arrays the caller passed in', () => {
    const delays = [1, 2];
    testConfig({ webhookRetryDelaysSeconds: delays });
    expect(Object.isFrozen(delays)).toBe(false);
  });
});
