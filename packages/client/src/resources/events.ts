// client.events: the project's live event stream (events.ts), beside the resources over the typed
// paths since it is one long-lived response rather than a request and its answer.
import { streamEvents, type EventStreamConfig, type EventStreamOptions, type StreamedEvent, type StreamReset } from '../events.js';

export interface EventsResource {
  /** GET /v1/events/stream: `for await (const event of client.events.stream({ sessionId }))`, reconnecting with Last-Event-ID. */
  stream(options?: EventStreamOptions): AsyncGenerator<StreamedEvent | StreamReset>;
}

export function createEventsResource(connection: EventStreamConfig): EventsResource {
  // Not through the retrying fetch: its per-attempt deadline would cut a long-lived stream.
  return { stream: (options) => streamEvents(connection, options) };
}
