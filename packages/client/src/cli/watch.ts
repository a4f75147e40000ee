// `watch <session_id>`: follows a session's usage live by polling GET /v1/sessions/{id}/usage,
// printing each update once, oldest first, until Ctrl-C (or --count polls, --once).
import type { UsageEntry } from '../index.js';
import type { Command, CommandContext } from './context.js';
import { usageHeaders, usageRow } from './views.js';
import { num } from './format.js';

/** Updates shown from before the watch started. */
const BACKLOG = 10;
const PAGE = 200;
/** Fixed widths, since rows arrive one poll at a time. */
const WIDTHS = [20, 10, 12, 12, 9, 8, 0];

const line = (cells: (string | number | null)[]) =>
  cells
    .map((cell, i) => {
      const text = cell === null || cell === '' ? '—' : typeof cell === 'number' ? num(cell) : cell;
      return i === 0 || i >= 5 ? text.padEnd(WIDTHS[i]!) : text.padStart(WIDTHS[i]!);
    })
    .join('  ')
    .trimEnd();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}

/**
 * Usage entries newer than `afterUsed`, oldest first. `used` only grows (every update adds at
 * least one token under the session's row lock), so it orders a session's updates.
 */
async function newEntries(context: CommandContext, id: string, afterUsed: number | undefined): Promise<UsageEntry[]> {
  if (afterUsed === undefined) {
    const limit = context.flags.limit ?? BACKLOG;
    const { data } = await context.client.GET('/v1/sessions/{id}/usage', { params: { path: { id }, query: { limit } } });
    return data.data.reverse();
  }
  const found: UsageEntry[] = [];
  let cursor: string | undefined;
  for (;;) {
    const { data } = await context.client.GET('/v1/sessions/{id}/usage', {
      params: { path: { id }, query: { limit: PAGE, ...(cursor ? { cursor } : {}) } },
    });
    const fresh = data.data.filter((entry) => entry.used > afterUsed);
    found.push(...fresh);
    if (fresh.length < data.data.length || !data.next_cursor) break;
    cursor = data.next_cursor;
  }
  return found.reverse();
}

export const watchCommand: Command = {
  usage: 'watch <session_id> [--interval S] [--count N | --once] [--limit N]',
  summary: 'follow usage live: print each new update as it happens, until Ctrl-C',
  takesId: true,
  async run(context, id) {
    const { interval, count } = context.flags;
    let lastUsed: number | undefined;
    for (let poll = 1; !context.signal.aborted; poll++) {
      const entries = await newEntries(context, id, lastUsed);
      // The header once the session is known to exist, so a 404 prints nothing on stdout.
      if (poll === 1 && !context.json) context.out(line(usageHeaders.map((h) => h.toUpperCase())));
      // The first poll sets the starting point even when the session has no usage yet.
      lastUsed = entries.at(-1)?.used ?? lastUsed ?? 0;
      for (const entry of entries) context.out(context.json ? JSON.stringify(entry) : line(usageRow(entry)));
      if (count !== undefined && poll >= count) break;
      await sleep(interval * 1000, context.signal);
    }
  },
};
