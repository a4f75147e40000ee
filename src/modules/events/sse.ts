// The HTTP side of a stream: Server-Sent Events written straight to the response. Each event's
// `data:` is the very body a webhook delivery of it carries (deliveryBody), on one line.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../../lib/logger.js';
import { deliveryBody } from '../webhooks/dispatcher.js';
import type { StreamEvent } from './events.repository.js';
import type { Subscription } from './event-hub.js';
import type { PreparedStream } from './events.service.js';

/** A client that lets this much pile up unread is cut off; it reconnects with Last-Event-ID and replays. */
export const MAX_BUFFERED_BYTES = 1_048_576;

export const eventFrame = (event: StreamEvent): string => `id: ${event.id}\nevent: ${event.type}\ndata: ${deliveryBody(event)}\n\n`;

/** Says the events after the client's last one were pruned; its `id` moves the client's Last-Event-ID on to the newest event. */
export const resetFrame = (lastEventId: string | null): string =>
  `id: ${lastEventId ?? ''}\nevent: reset\ndata: ${JSON.stringify({
    reason: 'events_pruned',
    detail: 'the events after your Last-Event-ID were pruned (EVENT_RETENTION_DAYS): reload the state you follow; the stream goes on from now',
  })}\n\n`;

const HEARTBEAT_FRAME = ': keep-alive\n\n';

/** Takes the response over from Fastify and streams to it until the client leaves or the stream ends. */
export function sendEventStream(request: FastifyRequest, reply: FastifyReply, prepared: PreparedStream): void {
  reply.hijack();
  const res = reply.raw;
  // Heartbeats keep the connection busy, but CONNECTION_TIMEOUT_MS below 15 s would still cut it.
  request.raw.socket.setTimeout(0);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    // nginx and its kin must pass each event on at once rather than buffer the response.
    'x-accel-buffering': 'no',
    connection: 'keep-alive',
    [REQUEST_ID_HEADER]: request.id,
  });
  const write = (frame: string) => {
    if (res.destroyed || res.writableEnded) return;
    res.write(frame);
    if (res.writableLength > MAX_BUFFERED_BYTES) {
      request.log.warn({ bufferedBytes: res.writableLength }, 'event stream client is not reading: closing its stream');
      subscription.close();
      res.destroy();
    }
  };
  // Sent at once so that clients and proxies see the stream open (headers alone may wait in a buffer).
  res.write(prepared.reset ? resetFrame(prepared.reset.lastEventId) : HEARTBEAT_FRAME);
  // The sink is only called back later (every delivery waits on the outbox), once `subscription` is set.
  const subscription: Subscription = prepared.start({
    event: (event) => write(eventFrame(event)),
    heartbeat: () => write(HEARTBEAT_FRAME),
    end: () => {
      if (!res.writableEnded) res.end();
    },
  });
  res.on('close', () => subscription.close());
}
