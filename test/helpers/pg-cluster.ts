// A throwaway PostgreSQL cluster for fault tests: initdb in a temp dir, pg_ctl on a free loopback
// port, stopped and started at will, and removed at the end (also when the test process exits).
// PostgreSQL refuses to run as root, so as root every binary runs as the `postgres` system user.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { chown, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** How long pg_ctl waits for a start or a stop, in seconds. */
const PG_CTL_WAIT_SECONDS = 30;
/** Times a start is tried on a fresh free port when the chosen one was taken in the meantime. */
const START_ATTEMPTS = 3;

export type StopMode = 'smart' | 'fast' | 'immediate';

export interface PgCluster {
  port: number;
  /** URL of a database on this cluster (user postgres, trust auth, loopback only). */
  url(database?: string): string;
  createDatabase(name: string): Promise<string>;
  stop(mode?: StopMode): Promise<void>;
  start(): Promise<void>;
  restart(mode?: StopMode): Promise<void>;
  /**
   * SIGSTOPs the server and all its processes: connections stay open but nothing answers, as
   * when the database host hangs or the network drops packets. Linux only.
   */
  freeze(): void;
  /** SIGCONTs what freeze() stopped. */
  thaw(): void;
  running(): boolean;
  /** Stops the cluster (immediate) and deletes its files. Safe to call twice. */
  destroy(): Promise<void>;
  /** The server log so far, for failure messages. */
  log(): Promise<string>;
}

/** The directory holding initdb, pg_ctl and postgres, or null when PostgreSQL is not installed. */
export function findPgBinDir(): string | null {
  const candidates = [
    ...(process.env.PG_BIN_DIR ? [process.env.PG_BIN_DIR] : []),
    ...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
    ...['17', '16', '15', '14', '13'].map((version) => `/usr/lib/postgresql/${version}/bin`),
  ];
  return candidates.find((dir) => ['initdb', 'pg_ctl', 'postgres'].every((name) => existsSync(path.join(dir, name)))) ?? null;
}

const isRoot = () => process.getuid?.() === 0;

/** The postmaster's pid and those of its children (from /proc), postmaster first. */
function serverPids(dataDir: string): number[] {
  const postmaster = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Fields after the command name, which sits in parentheses and may hold spaces: state, ppid.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === postmaster) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return [postmaster, ...children];
}

function postgresUser(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

/** The command line for a PostgreSQL binary: through runuser as root, directly otherwise. */
function command(binDir: string, name: string, args: string[]): [string, string[]] {
  const binary = path.join(binDir, name);
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', binary, ...args]] : [binary, args];
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Every cluster still alive, stopped synchronously if the process exits without destroy(). */
const alive = new Map<string, () => void>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const stopNow of alive.values()) stopNow();
  });
}

export async function startPgCluster(options: { binDir?: string } = {}): Promise<PgCluster> {
  const binDir = options.binDir ?? findPgBinDir();
  if (!binDir) throw new Error('PostgreSQL binaries (initdb, pg_ctl) not found');
  const root = await mkdtemp(path.join(tmpdir(), 'sss-pg-cluster-'));
  const dataDir = path.join(root, 'data');
  const logFile = path.join(root, 'server.log');
  let port = 0;
  let isRunning = false;
  let frozen: number[] = [];
  let destroyed = false;

  const thaw = () => {
    // Children first, so the postmaster wakes up to a living family.
    for (const pid of [...frozen].reverse()) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // already gone
      }
    }
    frozen = [];
  };

  const exec = async (name: string, args: string[]) => {
    const [file, argv] = command(binDir, name, args);
    // cwd: the postgres user may not be allowed into the test's working directory.
    return run(file, argv, { cwd: root, timeout: (PG_CTL_WAIT_SECONDS + 10) * 1000, env: { ...process.env, LC_ALL: 'C' } });
  };

  const stopNowSync = () => {
    thaw();
    try {
      const [file, argv] = command(binDir, 'pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10']);
      if (isRunning) execFileSync(file, argv, { cwd: root, stdio: 'ignore', timeout: 15_000 });
    } catch {
      // best effort at exit
    }
    try {
      execFileSync('rm', ['-rf', root], { stdio: 'ignore' });
    } catch {
      // best effort at exit
    }
  };

  const pgCtlStart = () =>
    exec('pg_ctl', [
      'start',
      '-D',
      dataDir,
      '-l',
      logFile,
      '-w',
      '-t',
      String(PG_CTL_WAIT_SECONDS),
      '-o',
      // Loopback only, the socket in our own dir; fsync off: a test cluster needs no durability
      // against power loss (a killed server still recovers from its WAL).
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${root} -c fsync=off -c full_page_writes=off -c max_connections=200`,
    ]);

  const cluster: PgCluster = {
    get port() {
      return port;
    },
    url: (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`,
    async createDatabase(name) {
      const client = new pg.Client({ connectionString: cluster.url(), connectionTimeoutMillis: 5000 });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replaceAll('"', '""')}"`);
      } finally {
        await client.end();
      }
      return cluster.url(name);
    },
    async stop(mode = 'fast') {
      if (!isRunning) return;
      thaw();
      await exec('pg_ctl', ['stop', '-D', dataDir, '-m', mode, '-w', '-t', String(PG_CTL_WAIT_SECONDS)]);
      isRunning = false;
    },
    async start() {
      if (isRunning) return;
      await pgCtlStart();
      isRunning = true;
    },
    async restart(mode = 'fast') {
      await cluster.stop(mode);
      await cluster.start();
    },
    freeze() {
      if (!isRunning) throw new Error('the cluster is not running');
      if (frozen.length > 0) return;
      for (const pid of serverPids(dataDir)) {
        process.kill(pid, 'SIGSTOP');
        frozen.push(pid);
      }
    },
    thaw,
    running: () => isRunning,
    async destroy() {
      if (destroyed) return;
      destroyed = true;
      thaw();
      try {
        if (isRunning) await exec('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w', '-t', '10']);
        isRunning = false;
      } finally {
        alive.delete(root);
        // Retries: a server process that is still exiting may write a last file meanwhile.
        await rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
      }
    },
    async log() {
      return readFile(logFile, 'utf8').catch(() => '');
    },
  };

  alive.set(root, stopNowSync);
  installExitHook();
  try {
    if (isRoot()) {
      const { uid, gid } = postgresUser();
      await chown(root, uid, gid);
    }
    await exec('initdb', ['-D', dataDir, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions']);
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      try {
        await pgCtlStart();
        isRunning = true;
        break;
      } catch (error) {
        if (attempt >= START_ATTEMPTS) throw error;
      }
    }
  } catch (error) {
    const log = await cluster.log();
    await cluster.destroy().catch(() => undefined);
    throw new Error(`could not start a PostgreSQL cluster: ${(error as Error).message}\n${log}`, { cause: error });
  }
  return cluster;
}
