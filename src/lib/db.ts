import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Mutex, PGlite, types as pgliteTypes } from '@electric-sql/pglite';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaPGlite } from 'pglite-prisma-adapter';
import { PrismaClient } from '../generated/prisma/client.js';
import { ambientTransaction } from './ambient-transaction.js';
import type { Tx } from './transaction.js';

export type DatabaseKind = 'postgres' | 'pglite';

export interface Database {
  kind: DatabaseKind;
  prisma: PrismaClient;
  /** Runs `fn` with one dedicated raw connection (needed for session-level advisory locks). */
  withConnection<T>(fn: (conn: RawConnection) => Promise<T>): Promise<T>;
  /**
   * Calls `onNotify` with the payload of every NOTIFY on `channel` (sent when the notifying
   * transaction commits). On PostgreSQL a lost connection is re-opened, and `onNotify` called once
   * without a payload, as a catch-up for whatever was missed meanwhile. Returns the unsubscribe.
   */
  listen(channel: string, onNotify: (payload?: string) => void): Promise<() => Promise<void>>;
  /**
   * Sends one hot-path statement with the least overhead: on PostgreSQL straight through the pool,
   * prepared once per connection when it is `named` (its text must then never change); on PGlite
   * through Prisma, which owns that single session. BIGINTs come back as `bigint`, as from Prisma.
   */
  hotQuery<R>(statement: HotStatement): Promise<R[]>;
  /** The PostgreSQL pool's connections (for /metrics); absent on PGlite, which has no pool. */
  poolStats?(): PoolStats;
  close(): Promise<void>;
}

export interface HotStatement {
  /** Prepared under this name on each connection (PostgreSQL only). */
  name?: string;
  /** SQL with $1…$n placeholders. */
  text: string;
  values: unknown[];
}

export interface PoolStats {
  /** Connections open, idle among them, and queries waiting for one. */
  total: number;
  idle: number;
  waiting: number;
}

/** How long a lost LISTEN connection waits before it reconnects. */
const LISTEN_RECONNECT_MS = 1000;

// Without these, node-postgres waits forever: for a connection to a server that does not answer,
// and for the reply to a query on a connection that died silently. With them, requests fail fast
// (503) while the database is away instead of piling up.
/** Opening a connection, or waiting for a free one in the pool, gives up after this long. */
export const DATABASE_CONNECT_TIMEOUT_MS = 5000;
/** PostgreSQL cancels a statement of the pool running longer than this (SQLSTATE 57014). */
export const DATABASE_STATEMENT_TIMEOUT_MS = 15_000;
/** The client stops waiting for a reply this long after the server should have cancelled the statement. */
const QUERY_TIMEOUT_MARGIN_MS = 5000;

export interface DatabaseTimeouts {
  /** Opening a pool connection or waiting for a free one (pg `connectionTimeoutMillis`). */
  connectMs: number;
  /** Server-side `statement_timeout` of the pool's sessions. */
  statementMs: number;
  /** Client-side wait for a reply (pg `query_timeout`): a server that stopped answering. */
  queryMs: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: Readonly<DatabaseTimeouts> = Object.freeze({
  connectMs: DATABASE_CONNECT_TIMEOUT_MS,
  statementMs: DATABASE_STATEMENT_TIMEOUT_MS,
  queryMs: DATABASE_STATEMENT_TIMEOUT_MS + QUERY_TIMEOUT_MARGIN_MS,
});

/** Raw SQL on one session. Both kinds return BIGINT as `bigint`, JSON parsed, arrays as arrays. */
export interface RawConnection {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Executes a multi-statement SQL script (no parameters). */
  exec(script: string): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection string; without it the embedded PGlite under `dataDir` is used. */
  databaseUrl?: string;
  /** PGlite data directory, or `memory://` for an in-memory database. */
  dataDir: string;
  poolMax?: number;
  /** Called with every statement Prisma sends (tests count round trips with it). */
  onQuery?: (sql: string) => void;
  /**
   * A dump of a migrated PGlite database (src/lib/pglite-template.ts): an in-memory database, or a
   * data directory that holds no database yet, starts as a copy of it instead of running initdb.
   */
  pgliteTemplate?: Blob;
  /** Overrides of DEFAULT_DATABASE_TIMEOUTS (the fault tests use short ones). */
  timeouts?: Partial<DatabaseTimeouts>;
}

export const IN_MEMORY_DATA_DIR = 'memory://';

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  return options.databaseUrl
    ? openPostgres(options.databaseUrl, options.poolMax, options.onQuery, { ...DEFAULT_DATABASE_TIMEOUTS, ...options.timeouts })
    : openPglite(options.dataDir, options.onQuery, options.pgliteTemplate);
}

// Left alone, pg returns BIGINT as a string and PGlite as a number below 2^53 and a bigint
// above it; raw connections agree with Prisma instead: always a bigint.
const pgInt8AsBigInt: pg.CustomTypesConfig = {
  getTypeParser: ((oid, format) => (oid === pg.types.builtins.INT8 ? BigInt : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser,
};
const pgliteInt8AsBigInt = { [pgliteTypes.INT8]: (value: string) => BigInt(value) };

function createPrismaClient(adapter: PrismaPg | PrismaPGlite, onQuery?: (sql: string) => void): PrismaClient {
  if (!onQuery) return joiningAmbientTransactions(new PrismaClient({ adapter }));
  const prisma = new PrismaClient({ adapter, log: [{ emit: 'event', level: 'query' }] });
  prisma.$on('query', (event) => onQuery(event.query));
  return joiningAmbientTransactions(prisma);
}

/**
 * The client the repositories get: inside joinAmbient() (src/lib/ambient-transaction.ts) it is the
 * ambient transaction — queries run in it, and `$transaction(fn)` runs `fn` in it (no nesting) —
 * elsewhere the plain client.
 */
function joiningAmbientTransactions(prisma: PrismaClient): PrismaClient {
  const inTransaction = (tx: Tx) =>
    async function $transaction(work: ((tx: Tx) => Promise<unknown>) | Promise<unknown>[]): Promise<unknown> {
      if (typeof work === 'function') return work(tx);
      const results: unknown[] = [];
      for (const query of work) results.push(await query);
      return results;
    };
  return new Proxy(prisma, {
    get(target, key) {
      const tx = ambientTransaction();
      if (tx && key === '$transaction') return inTransaction(tx);
      const value: unknown = Reflect.get(tx ?? target, key);
      return typeof value === 'function' ? value.bind(tx ?? target) : value;
    },
  });
}

function openPostgres(
  connectionString: string,
  poolMax?: number,
  onQuery?: (sql: string) => void,
  timeouts: DatabaseTimeouts = DEFAULT_DATABASE_TIMEOUTS,
): Database {
  // Our own pool (the adapter ends it on disconnect) so that /metrics can read its counts.
  const pool = new pg.Pool({
    connectionString,
    ...(poolMax ? { max: poolMax } : {}),
    connectionTimeoutMillis: timeouts.connectMs,
    statement_timeout: timeouts.statementMs,
    query_timeout: timeouts.queryMs,
    keepAlive: true,
  });
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const prisma = createPrismaClient(adapter, onQuery);
  return {
    kind: 'postgres',
    prisma,
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async hotQuery<R>({ name, text, values }: HotStatement) {
      const tx = ambientTransaction();
      if (tx) return tx.$queryRawUnsafe<R[]>(text, ...values);
      onQuery?.(text);
      const result = await pool.query({ ...(name ? { name } : {}), text, values, types: pgInt8AsBigInt });
      return result.rows as R[];
    },
    async withConnection(fn) {
      // A client outside the pool: a session-level advisory lock must stay on one session, and
      // ending the client releases anything `fn` forgot to unlock.
      // No statement timeout here: migrations run on this connection and may take long.
      const client = new pg.Client({ connectionString, types: pgInt8AsBigInt, connectionTimeoutMillis: timeouts.connectMs });
      // A query's failure rejects its promise; without a listener, the connection dropping
      // between queries would be an unhandled 'error' event and crash the process.
      client.on('error', () => undefined);
      await client.connect();
      try {
        return await fn({
          async query<R>(sql: string, params?: unknown[]) {
            return (await client.query(sql, params)).rows as R[];
          },
          async exec(script: string) {
            await client.query(script); // no parameters → simple protocol, multi-statement allowed
          },
        });
      } finally {
        await client.end();
      }
    },
    listen: (channel, onNotify) => listenPostgres(connectionString, channel, onNotify),
    close: () => prisma.$disconnect(),
  };
}

async function listenPostgres(connectionString: string, channel: string, onNotify: (payload?: string) => void): Promise<() => Promise<void>> {
  let client: pg.Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: DATABASE_CONNECT_TIMEOUT_MS, keepAlive: true });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload);
    });
    const reconnect = () => {
      if (stopped || client !== next) return;
      client = null;
      retry = setTimeout(() => {
        connect().then(
          () => onNotify(),
          () => undefined,
        );
      }, LISTEN_RECONNECT_MS);
    };
    next.on('error', reconnect);
    next.on('end', reconnect);
    client = next;
    try {
      await next.connect();
      await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    } catch (error) {
      reconnect();
      throw error;
    }
  };

  const unsubscribe = async () => {
    stopped = true;
    clearTimeout(retry);
    await client?.end().catch(() => undefined);
  };
  try {
    await connect();
  } catch (error) {
    await unsubscribe();
    throw error;
  }
  return unsubscribe;
}

async function openPglite(dataDir: string, onQuery?: (sql: string) => void, template?: Blob): Promise<Database> {
  const inMemory = dataDir === IN_MEMORY_DATA_DIR;
  if (!inMemory) await mkdir(dataDir, { recursive: true });
  // PG_VERSION is the first file initdb writes: without it the directory holds no database yet.
  const fresh = inMemory || !existsSync(path.join(dataDir, 'PG_VERSION'));
  const pglite = await PGlite.create({ ...(inMemory ? {} : { dataDir }), ...(fresh && template ? { loadDataDir: template } : {}) });
  const prisma = createPrismaClient(new PrismaPGlite(pglite), onQuery);

  // PGlite is a single session, so an advisory lock excludes no one there: raw connections are
  // serialized in-process instead. (Not re-entrant: `fn` must not call withConnection again.)
  const exclusive = new Mutex();
  const conn: RawConnection = {
    async query<R>(sql: string, params?: unknown[]) {
      return (await pglite.query<R>(sql, params, { parsers: pgliteInt8AsBigInt })).rows;
    },
    async exec(script: string) {
      await pglite.exec(script);
    },
  };
  return {
    kind: 'pglite',
    prisma,
    withConnection: (fn) => exclusive.runExclusive(() => fn(conn)),
    hotQuery: <R>({ text, values }: HotStatement) => prisma.$queryRawUnsafe<R[]>(text, ...values),
    async listen(channel, onNotify) {
      const unsubscribe = await pglite.listen(channel, (payload) => onNotify(payload));
      return async () => {
        if (!pglite.closed) await unsubscribe();
      };
    },
    async close() {
      await prisma.$disconnect();
      if (!pglite.closed) await pglite.close();
    },
  };
}
