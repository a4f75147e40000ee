/**
 * The live event stream (GET /v1/events/stream) as an async iterator that reconnects by itself:
 *
 * ```ts
 * for await (const event of client.events.stream({ sessionId, types: ['session.threshold_crossed'] })) {
 *   if (event.type === 'reset') reload(); // events since your last one were pruned
 *   else console.log(event.id, event.type, event.data);
 * }
 * ```
 *
 * A dropped connection (a replica shutting down, the network) is reopened with `Last-Event-ID`, so
 * the iterator yields every matching event once, in order. Breaking out of the loop, or aborting
 * `signal`, closes the stream. The first connection's refusal throws: `ProblemError` for a problem
 * (401, 404, 400 UNKNOWN_EVENT_ID, 429 TOO_MANY_STREAMS), `ServiceUnreachableError` when nothing
 * answers. Later, a 4xx ends the iteration the same way; anything else is retried.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ProblemError, ServiceUnreachableError } from './errors.js';
import type { components } from './openapi-types.js';

/** An event as a webhook delivery carries it: `{ id, type, created_at, data }`. */
export type StreamedEvent = components['schemas']['Event'];

/** The events after the stream's starting point were pruned: reload what you follow; the stream goes on from `lastEventId`. */
export interface StreamReset {
  type: 'reset';
  reason: string;
  detail: string;
  /** The newest event when the stream restarted (null: the project had none); later events follow it. */
  lastEventId: string | null;
}

/** Tells a reset from an event (an event's `type` is any string, so `type === 'reset'` alone does not narrow). */
export const isStreamReset = (message: StreamedEvent | StreamReset): message is StreamReset => message.type === 'reset' && !('data' in message);

export interface EventStreamOptions {
  /** Start after this event (as a reconnect would): every matching event after it comes first. Default: from now. */
  after?: string;
  /** Only this session's events. */
  sessionId?: string;
  /** With `sessionId`: its forks' and recoveries' events too, those made later included. */
  descendants?: boolean;
  /** Only these event types, e.g. `['session.threshold_crossed']`. */
  types?: readonly string[];
  /** Ends the iteration (cleanly) when aborted. */
  signal?: AbortSignal;
  /** How long to wait before reconnecting after the connection dropped (default 1,000 ms; the server's `retry:` wins). */
  reconnectDelayMs?: number;
}

export interface EventStreamConfig {
  baseUrl: string;
  apiKey: string;
  fetch?: typeof globalThis.fetch;
  headers?: Record<string, string>;
}

const DEFAULT_RECONNECT_DELAY_MS = 1000;

function streamUrl(baseUrl: string, options: EventStreamOptions): string {
  const query = new URLSearchParams();
  if (options.sessionId !== undefined) query.set('session_id', options.sessionId);
  if (options.descendants) query.set('descendants', 'true');
  if (options.types?.length) query.set('types', options.types.join(','));
  const search = query.toString();
  return `${baseUrl.replace(/\/+$/, '')}/v1/events/stream${search ? `?${search}` : ''}`;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The stream's messages, yielded one by one as the response body arrives. */
async function* messagesOf(body: ReadableStream<Uint8Array>, onRetry: (ms: number) => void): AsyncGenerator<EventSourceMessage> {
  const ready: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => ready.push(message), onRetry });
  const decoder = new TextDecoder();
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    parser.feed(decoder.decode(chunk, { stream: true }));
    while (ready.length > 0) yield ready.shift()!;
  }
}

/** The events of the key's project after `options.after` (default: from now), reconnecting as needed. */
export async function* streamEvents(config: EventStreamConfig, options: EventStreamOptions = {}): AsyncGenerator<StreamedEvent | StreamReset> {
  const fetchImpl = config.fetch ?? globalThis.fetch;
  const url = streamUrl(config.baseUrl, options);
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let lastEventId = options.after;
  let reconnectDelayMs = options.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS;
  let connected = false;
  try {
    while (!stop.signal.aborted) {
      let response: Response;
      try {
        response = await fetchImpl(url, {
          headers: {
            ...config.headers,
            authorization: `Bearer ${config.apiKey}`,
            accept: 'text/event-stream',
            ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
          },
          redirect: 'manual',
          signal: stop.signal,
        });
      } catch (error) {
        if (stop.signal.aborted) return;
        if (!connected) throw new ServiceUnreachableError(url, 1, error);
        await sleep(reconnectDelayMs, stop.signal);
        continue;
      }
      if (!response.ok || !response.body) {
        const problem = await ProblemError.fromResponse(response);
        if (!connected || (response.status >= 400 && response.status < 500 && response.status !== 429)) throw problem;
        await sleep(reconnectDelayMs, stop.signal);
        continue;
      }
      connected = true;
      try {
        for await (const message of messagesOf(response.body, (ms) => (reconnectDelayMs = ms))) {
          if (message.id !== undefined) lastEventId = message.id || undefined;
          if (message.event === 'reset') {
            const { reason, detail } = JSON.parse(message.data) as { reason: string; detail: string };
            yield { type: 'reset', reason, detail, lastEventId: message.id || null };
          } else if (message.event !== undefined) {
            yield JSON.parse(message.data) as StreamedEvent;
          }
        }
      } catch {
        // The connection dropped mid-stream: reconnect below. An abort ends the iteration instead.
        if (stop.signal.aborted) return;
      }
      if (!stop.signal.aborted) await sleep(reconnectDelayMs, stop.signal);
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    stop.abort();
  }
}
