// The CLI as a function of its arguments and environment, so that main.ts stays a thin shell.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createClient, ProblemError, ServiceUnreachableError } from '../index.js';
import { commands } from './commands.js';
import { ConfigError, UsageError, type CommandFlags } from './context.js';

export const EXIT = { ok: 0, apiError: 1, usage: 2, noService: 3 } as const;

const NAME = 'session-state';

export function helpText(): string {
  const width = Math.max(...Object.values(commands).map((c) => c.usage.length));
  const list = Object.values(commands)
    .map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`)
    .join('\n');
  return `Usage: ${NAME} <command> [<id>] [options]

Find and troubleshoot sessions of the Session State Service.

Commands:
${list}

Options:
  --url URL        the service, e.g. http://localhost:3000 (default: $SESSION_STATE_URL)
  --api-key KEY    a project's API key (default: $SESSION_STATE_API_KEY)
  --json           print the API's JSON instead of tables (watch: one event's JSON per line)
  --limit N        how many entries to list, 1 to 200 (default: the API's 50)
  --status S       sessions: only those in status S (active, resumed, recovering, emergency_recovery, archived)
  --task-id T      sessions: only those of task T
  --interval S     watch: seconds before reconnecting when the stream drops (default 2)
  --count N        watch: stop after N events
  --once           watch: stop after the first event (same as --count 1)
  -h, --help       show this help
  --version        print the version of ${NAME}

Exit codes:
  0  success
  1  the service answered with an error (its problem document goes to stderr)
  2  usage error: unknown command or flag, missing or bad argument
  3  the service cannot be reached, or its URL or API key is not configured
`;
}

export interface RunIo {
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
  /** Aborted by main.ts on Ctrl-C. */
  signal?: AbortSignal;
  fetch?: typeof globalThis.fetch;
}

function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, not "${value}"`);
  return n;
}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
        interval: { type: 'string' },
        count: { type: 'string' },
        once: { type: 'boolean', default: false },
        status: { type: 'string' },
        'task-id': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    // parseArgs says what is wrong ("Unknown option '--jsn'"), as a TypeError.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Flags that only one command reads, refused elsewhere rather than ignored. */
function assertOnlyFor(command: string, owner: string, names: readonly string[], values: Record<string, unknown>): void {
  const given = names.filter((name) => values[name] !== undefined && values[name] !== false);
  if (command !== owner && given.length > 0) throw new UsageError(`--${given[0]} only applies to ${owner}`);
}

function commandFlags(command: string, values: ReturnType<typeof parse>['values']): CommandFlags {
  assertOnlyFor(command, 'watch', ['interval', 'count', 'once'], values);
  assertOnlyFor(command, 'sessions', ['status', 'task-id'], values);
  if (values.once && values.count !== undefined) throw new UsageError('--once and --count cannot be used together');
  const interval = values.interval === undefined ? 2 : Number(values.interval);
  if (!Number.isFinite(interval) || interval < 0.1 || interval > 3600) {
    throw new UsageError(`--interval must be a number of seconds from 0.1 to 3600, not "${values.interval}"`);
  }
  return {
    limit: intFlag('limit', values.limit, 1, 200),
    interval,
    count: values.once ? 1 : intFlag('count', values.count, 1, 1_000_000),
    ...(values.status === undefined ? {} : { status: values.status }),
    ...(values['task-id'] === undefined ? {} : { taskId: values['task-id'] }),
  };
}

function serviceConfig(values: ReturnType<typeof parse>['values'], env: RunIo['env']) {
  const url = values.url || env.SESSION_STATE_URL;
  const apiKey = values['api-key'] || env.SESSION_STATE_API_KEY;
  if (!url) throw new ConfigError('the service URL is not set: export SESSION_STATE_URL=http://localhost:3000 or pass --url');
  if (!apiKey) throw new ConfigError('the API key is not set: export SESSION_STATE_API_KEY=sss_... or pass --api-key');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`the service URL "${url}" is not a URL`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new ConfigError(`the service URL "${url}" must be http:// or https://`);
  return { baseUrl: url, apiKey };
}

function describeProblem(problem: ProblemError): string {
  const lines = [`error: ${problem.status} ${problem.title}: ${problem.detail}${problem.code === 'UNKNOWN' ? '' : ` (${problem.code})`}`];
  for (const e of problem.errors ?? []) lines.push(`  - ${e.path}: ${e.message}`);
  return lines.join('\n');
}

/** The version of the package this file belongs to: the nearest package.json above it. */
export function version(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) return String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown');
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function run(argv: string[], io: RunIo): Promise<number> {
  let json = argv.includes('--json');
  try {
    const { values, positionals } = parse(argv);
    json = values.json;
    if (values.version) {
      io.out(version());
      return EXIT.ok;
    }
    if (values.help || positionals.length === 0) {
      (values.help ? io.out : io.err)(helpText());
      return values.help ? EXIT.ok : EXIT.usage;
    }
    const [name, id, ...extra] = positionals as [string, ...string[]];
    const command = Object.hasOwn(commands, name) ? commands[name] : undefined;
    if (!command) throw new UsageError(`unknown command "${name}"`);
    if (command.takesId && !id) throw new UsageError(`missing argument: ${NAME} ${command.usage}`);
    const unexpected = command.takesId ? extra[0] : id;
    if (unexpected !== undefined) throw new UsageError(`unexpected argument "${unexpected}": ${NAME} ${command.usage}`);
    const flags = commandFlags(name, values);
    const client = createClient({ ...serviceConfig(values, io.env), ...(io.fetch ? { fetch: io.fetch } : {}) });
    await command.run({ client, json, out: io.out, flags, signal: io.signal ?? new AbortController().signal }, id ?? '');
    return EXIT.ok;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}\nRun '${NAME} --help' for usage.`);
      return EXIT.usage;
    }
    if (error instanceof ConfigError) {
      io.err(`error: ${error.message}`);
      return EXIT.noService;
    }
    if (error instanceof ServiceUnreachableError) {
      io.err(`error: ${error.message}`);
      return EXIT.noService;
    }
    if (error instanceof ProblemError) {
      io.err(json ? JSON.stringify(error.toJSON(), null, 2) : describeProblem(error));
      return EXIT.apiError;
    }
    io.err(`error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.apiError;
  }
}
