import type { SessionStateClient } from '../index.js';

/** What a command needs: the client, the output mode, where to write, and the parsed flags. */
export interface CommandContext {
  client: SessionStateClient;
  /** `--json`: print the API's JSON instead of tables. */
  json: boolean;
  out: (text: string) => void;
  flags: CommandFlags;
  /** Aborted on Ctrl-C (SIGINT/SIGTERM); long-running commands stop cleanly. */
  signal: AbortSignal;
}

export interface CommandFlags {
  limit?: number;
  /** `sessions`: only sessions in this status. */
  status?: string;
  /** `sessions`: only sessions of this task. */
  taskId?: string;
  /** `watch`: seconds before reconnecting a dropped stream. */
  interval: number;
  /** `watch`: stop after this many events (undefined: until interrupted). */
  count?: number;
}

export interface Command {
  /** `budget <session_id>` */
  usage: string;
  summary: string;
  /** Whether the command takes an id (`budget <session_id>`); `sessions` takes none. */
  takesId: boolean;
  run(context: CommandContext, id: string): Promise<void>;
}

/** Bad arguments: exit code 2, with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The service's address or key is not configured: exit code 3. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}
