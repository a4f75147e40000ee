// `watch <session_id>`: follows a session live on the event stream (GET /v1/events/stream), its
// forks and recoveries included, printing each event once as it commits, until Ctrl-C (or --count
// events, --once). A dropped connection is reopened after --interval seconds with Last-Event-ID,
// so nothing is missed or printed twice.
import { isStreamReset, type StreamedEvent, type StreamReset } from '../index.js';
import type { Command } from './context.js';
import { clip, num, time } from './format.js';

/** Fixed widths, since rows arrive one at a time. */
const WIDTHS = [20, 28, 37, 0];

const line = (cells: string[]) =>
  cells
    .map((cell, i) => cell.padEnd(WIDTHS[i]!))
    .join('  ')
    .trimEnd();

/** The few fields that say what happened, per event type. */
function summary(event: StreamedEvent): string {
  const data = event.data as Record<string, unknown>;
  switch (event.type) {
    case 'session.threshold_crossed':
      return `${String(data.threshold)}% crossed: ${num(data.used as number)} of ${num(data.total as number)} used, level ${String(data.level)}`;
    case 'checkpoint.created':
      return `checkpoint ${String(data.checkpoint_id)} (${String(data.phase ?? '—')})`;
    case 'session.created':
      return data.parent_session_id
        ? `fork of ${String(data.parent_session_id)}`
        : data.recovered_from_session_id
          ? `recovery of ${String(data.recovered_from_session_id)}`
          : 'created';
    case 'session.archived':
      return `archived (${String(data.reason)})`;
    default:
      return clip(JSON.stringify(data), 100);
  }
}

const row = (message: StreamedEvent | StreamReset) =>
  isStreamReset(message)
    ? line(['—', 'reset', '—', message.detail])
    : line([time(message.created_at), message.type, String((message.data as { session_id?: unknown }).session_id ?? '—'), summary(message)]);

export const watchCommand: Command = {
  usage: 'watch <session_id> [--count N | --once] [--interval S]',
  summary: "follow a session's events live (its forks and recoveries too), until Ctrl-C",
  takesId: true,
  async run(context, id) {
    const { interval, count } = context.flags;
    const stream = context.client.events.stream({ sessionId: id, descendants: true, signal: context.signal, reconnectDelayMs: interval * 1000 });
    let seen = 0;
    for await (const message of stream) {
      // The header with the first event, so a refused stream (404) prints nothing on stdout.
      if (seen === 0 && !context.json) context.out(line(['CREATED', 'EVENT', 'SESSION', 'WHAT']));
      context.out(context.json ? JSON.stringify(message) : row(message));
      seen += 1;
      if (count !== undefined && seen >= count) break;
    }
  },
};
