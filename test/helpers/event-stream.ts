// Clients of GET /v1/events/stream for tests: a real EventSource (the `eventsource` package), and
// fetch with a real SSE parser (`eventsource-parser`) where a test needs the raw stream.
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { EVENT_TYPES } from '../../src/modules/webhooks/outbox.repository.js';

export interface ReceivedMessage {
  id: string;
  event: string;
  data: string;
}

const WAIT_TIMEOUT_MS = 10_000;

/** Resolves once `condition()` holds, checking every few milliseconds; rejects naming `what` after the timeout. */
export async function until(condition: () => boolean, what: string, timeoutMs = WAIT_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface TestEventSource {
  source: EventSource;
  messages: ReceivedMessage[];
  /** Error events: `code` is the HTTP status of a refused connection. */
  errors: { code?: number; message?: string }[];
  /** Times the connection opened (reconnects count). */
  opens: number;
  waitFor(count: number, what?: string): Promise<ReceivedMessage[]>;
  close(): void;
}

/** An EventSource on the stream with the API key; it reconnects by itself, sending Last-Event-ID. */
export function openEventSource(baseUrl: string, apiKey: string, query = ''): TestEventSource {
  const source = new EventSource(`${baseUrl}/v1/events/stream${query}`, {
    fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, authorization: `Bearer ${apiKey}` } }),
  });
  const stream: TestEventSource = {
    source,
    messages: [],
    errors: [],
    opens: 0,
    async waitFor(count, what = `${count} event(s)`) {
      await until(() => stream.messages.length >= count, what);
      return stream.messages;
    },
    close: () => source.close(),
  };
  // Every message is a named event (its type), so each name needs its listener.
  for (const type of [...EVENT_TYPES, 'reset']) {
    source.addEventListener(type, (event) => stream.messages.push({ id: event.lastEventId, event: type, data: event.data as string }));
  }
  source.addEventListener('open', () => (stream.opens += 1));
  source.addEventListener('error', (event) => stream.errors.push({ code: event.code, message: event.message }));
  return stream;
}

export interface RawStream {
  response: Response;
  messages: EventSourceMessage[];
  comments: string[];
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  waitFor(count: number, what?: string): Promise<EventSourceMessage[]>;
  close(): void;
}

/** The stream read with fetch (any headers, e.g. Last-Event-ID) and parsed by eventsource-parser. */
export async function fetchStream(baseUrl: string, headers: Record<string, string>, query = ''): Promise<RawStream> {
  const abort = new AbortController();
  const response = await fetch(`${baseUrl}/v1/events/stream${query}`, { headers, signal: abort.signal });
  const messages: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({ onEvent: (message) => messages.push(message), onComment: (comment) => comments.push(comment) });
  const ended = (async () => {
    if (!response.body) return;
    const decoder = new TextDecoder();
    try {
      for await (const chunk of response.body) parser.feed(decoder.decode(chunk as Uint8Array, { stream: true }));
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
  })();
  return {
    response,
    messages,
    comments,
    ended,
    async waitFor(count, what = `${count} event(s)`) {
      await until(() => messages.length >= count, what);
      return messages;
    },
    close: () => abort.abort(),
  };
}
