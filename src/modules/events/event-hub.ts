// The process's live event streams. One LISTEN on the `events` channel serves all of them; per
// project, one feed reads the outbox once per wake-up and offers each event to that project's
// streams, which filter it themselves. A stream that starts behind its project's feed (a reconnect
// with Last-Event-ID) first replays the gap from the outbox, buffering what the feed offers
// meanwhile, then carries on with the feed: no gap and no duplicate (see `join`).
import { randomUUID } from 'node:crypto';
import { AppError } from '../../lib/errors.js';
import type { LineageRepository } from '../lifecycle/lineage.repository.js';
import { comparePositions, type EventStreamRepository, type StreamEvent, type StreamPosition } from './events.repository.js';

/** The NOTIFY channel of the events trigger (see the event_stream migration); the payload is the project id. */
export const EVENTS_CHANNEL = 'events';
/** Events read from the outbox at once. */
export const STREAM_PAGE_SIZE = 500;
/** How soon a feed reads again when events are committed behind a transaction still running; doubles up to the max. */
const UNSETTLED_RETRY_MS = 20;
const UNSETTLED_RETRY_MAX_MS = 1000;
/**
 * How long the database keeps a project followed (its events NOTIFYed) without a renewal; renewed
 * at a third of it while the project has streams here, so a process that dies stops the NOTIFYs soon.
 */
export const FOLLOW_LEASE_MS = 30_000;
/**
 * Every feed also reads this often, NOTIFY or not: an event written by a transaction that began
 * before its project was followed sends none, and a notification can be lost with its connection.
 */
export const FEED_POLL_MS = 1000;

/** Where a stream's messages go: the HTTP response (events.routes.ts), or anything else. */
export interface StreamSink {
  event(event: StreamEvent): void;
  heartbeat(): void;
  /** The stream is over (shutdown, or a failure reading the outbox); the client reconnects with Last-Event-ID. */
  end(): void;
}

export interface StreamFilter {
  /** Only events of these types; undefined: every type. */
  types?: ReadonlySet<string>;
  /** Only events about this session, and its descendants (forks, recoveries) with `descendants`. */
  session?: { id: string; descendants: boolean };
}

export interface Subscription {
  /** The client went away: stop delivering (idempotent). */
  close(): void;
}

export interface HubLogger {
  warn(object: object, message: string): void;
}

export interface EventHubDeps {
  events: Pick<EventStreamRepository, 'after' | 'follow' | 'unfollow'>;
  lineage: Pick<LineageRepository, 'lineage'>;
  /** Subscribes to EVENTS_CHANNEL; the payload is a project id, none after a reconnect (wake every feed). */
  listen: (onNotify: (payload?: string) => void) => Promise<() => Promise<void>>;
  heartbeatMs: number;
  /** Open streams one API key may hold in this process. */
  maxStreamsPerKey: number;
  logger: HubLogger;
}

interface Subscriber {
  /** Every event up to here has been offered (or skipped): later offers of those are duplicates. */
  cursor: StreamPosition;
  /** While replaying, what the feed offers waits here. */
  pending: StreamEvent[] | null;
  offer(event: StreamEvent): void;
  close(): void;
  sink: StreamSink;
}

interface Feed {
  projectId: string;
  /** The feed has read and offered every settled event up to here. */
  cursor: StreamPosition;
  subscribers: Set<Subscriber>;
  running: boolean;
  dirty: boolean;
  retry?: NodeJS.Timeout;
  retryMs: number;
}

export function createEventHub(deps: EventHubDeps) {
  const { events, lineage, listen, heartbeatMs, maxStreamsPerKey, logger } = deps;
  const listenerId = randomUUID();
  const feeds = new Map<string, Feed>();
  let polling: NodeJS.Timeout | undefined;
  let renewing: NodeJS.Timeout | undefined;
  const perKey = new Map<string, number>();
  const all = new Set<Subscriber>();
  let listening: Promise<() => Promise<void>> | undefined;
  let heartbeat: NodeJS.Timeout | undefined;
  let stopped = false;

  function onNotify(projectId?: string) {
    if (projectId === undefined) for (const feed of feeds.values()) void pump(feed);
    else {
      const feed = feeds.get(projectId);
      if (feed) void pump(feed);
    }
  }

  async function ensureListening(): Promise<void> {
    listening ??= listen(onNotify);
    try {
      await listening;
    } catch (error) {
      listening = undefined;
      throw error;
    }
  }

  /** Reads the outbox from the feed's cursor and offers what it finds, until nothing more is settled. */
  async function pump(feed: Feed): Promise<void> {
    if (feed.running) {
      feed.dirty = true;
      return;
    }
    feed.running = true;
    try {
      do {
        feed.dirty = false;
        const page = await events.after(feed.projectId, feed.cursor, STREAM_PAGE_SIZE);
        for (const event of page.events) {
          feed.cursor = event.position;
          for (const subscriber of feed.subscribers) subscriber.offer(event);
        }
        if (page.more === 'now') feed.dirty = true;
        if (page.more === 'soon') retryLater(feed);
        else feed.retryMs = UNSETTLED_RETRY_MS;
      } while (feed.dirty && feed.subscribers.size > 0);
    } catch (error) {
      logger.warn({ err: error, projectId: feed.projectId }, 'reading events for the live streams failed; retrying');
      retryLater(feed);
    } finally {
      feed.running = false;
    }
  }

  function retryLater(feed: Feed) {
    if (feed.retry || feed.subscribers.size === 0) return;
    feed.retry = setTimeout(() => {
      feed.retry = undefined;
      void pump(feed);
    }, feed.retryMs);
    feed.retry.unref();
    feed.retryMs = Math.min(feed.retryMs * 2, UNSETTLED_RETRY_MAX_MS);
  }

  /**
   * Adds a subscriber that has offered everything up to its cursor. A new feed starts at that
   * cursor and reads at once. A feed at or before it offers everything after it (the subscriber
   * drops the rest). A feed past it has offered events this subscriber has not seen: those are
   * read again from the outbox, by reads that all start after the join, so they see every event
   * the feed had seen; what the feed offers meanwhile waits in `pending`, and duplicates between
   * the two are dropped by the cursor.
   */
  async function join(projectId: string, subscriber: Subscriber): Promise<void> {
    let feed = feeds.get(projectId);
    if (!feed) {
      feed = { projectId, cursor: subscriber.cursor, subscribers: new Set([subscriber]), running: false, dirty: false, retryMs: UNSETTLED_RETRY_MS };
      feeds.set(projectId, feed);
      startFollowing();
      // Followed before the first read: what commits after that read is NOTIFYed (or polled).
      await events.follow([projectId], listenerId, FOLLOW_LEASE_MS);
      void pump(feed);
      return;
    }
    feed.subscribers.add(subscriber);
    if (comparePositions(feed.cursor, subscriber.cursor) <= 0) return;
    subscriber.pending = [];
    for (;;) {
      const page = await events.after(projectId, subscriber.cursor, STREAM_PAGE_SIZE);
      const buffered: StreamEvent[] | null = subscriber.pending;
      subscriber.pending = null;
      for (const event of page.events) subscriber.offer(event);
      subscriber.pending = buffered;
      if (page.more !== 'now') break;
    }
    const pending = subscriber.pending ?? [];
    subscriber.pending = null;
    for (const event of pending) subscriber.offer(event);
  }

  function leave(projectId: string, subscriber: Subscriber) {
    const feed = feeds.get(projectId);
    if (!feed) return;
    feed.subscribers.delete(subscriber);
    if (feed.subscribers.size === 0) {
      clearTimeout(feed.retry);
      feeds.delete(projectId);
      if (!stopped) {
        events.unfollow([projectId], listenerId).catch((error: unknown) => logger.warn({ err: error, projectId }, 'unfollowing a project failed'));
      }
      if (feeds.size === 0) stopFollowing();
    }
  }

  /** While feeds exist: renew their projects' leases, and read every feed now and then. */
  function startFollowing() {
    if (polling) return;
    polling = setInterval(() => {
      for (const feed of feeds.values()) void pump(feed);
    }, FEED_POLL_MS);
    renewing = setInterval(() => {
      events
        .follow([...feeds.keys()], listenerId, FOLLOW_LEASE_MS)
        .catch((error: unknown) => logger.warn({ err: error }, 'renewing the followed projects failed; retrying'));
    }, FOLLOW_LEASE_MS / 3);
    polling.unref();
    renewing.unref();
  }

  function stopFollowing() {
    clearInterval(polling);
    clearInterval(renewing);
    polling = renewing = undefined;
  }

  function startHeartbeat() {
    if (heartbeat) return;
    heartbeat = setInterval(() => {
      for (const subscriber of all) subscriber.sink.heartbeat();
    }, heartbeatMs);
    heartbeat.unref();
  }

  /** Whether an event passes the filter: types in memory, a session's family from its lineage. */
  function matcher(projectId: string, filter: StreamFilter): (event: StreamEvent) => boolean | Promise<boolean> {
    const { types, session } = filter;
    if (!session) return (event) => !types || types.has(event.type);
    const members = new Set([session.id]);
    // Sessions seen not to descend from it; a session's parent never changes, so neither does that.
    const strangers = new Set<string>();
    return async (event) => {
      if (types && !types.has(event.type)) return false;
      const id = event.sessionId;
      if (id === null || strangers.has(id)) return false;
      if (members.has(id)) return true;
      if (!session.descendants) return false;
      // A session this stream has not met: perhaps a fork or recovery created since it started.
      for (const node of await lineage.lineage(projectId, session.id)) if (node.direction === 'descendant') members.add(node.sessionId);
      if (members.has(id)) return true;
      if (strangers.size >= 10_000) strangers.clear();
      strangers.add(id);
      return false;
    };
  }

  return {
    /**
     * Admits one more stream of this API key (429 TOO_MANY_STREAMS past the limit) and makes sure
     * this process listens for events; returns the release of the admission.
     */
    async admit(apiKeyId: string): Promise<() => void> {
      if (stopped) throw new AppError('NOT_READY', { detail: 'the service is shutting down' });
      const open = perKey.get(apiKeyId) ?? 0;
      if (open >= maxStreamsPerKey) {
        throw new AppError('TOO_MANY_STREAMS', { detail: `this API key already has ${open} open event streams on this server (the limit)` });
      }
      perKey.set(apiKeyId, open + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        const left = (perKey.get(apiKeyId) ?? 1) - 1;
        if (left > 0) perKey.set(apiKeyId, left);
        else perKey.delete(apiKeyId);
      };
      try {
        await ensureListening();
      } catch (error) {
        release();
        throw error;
      }
      return release;
    },

    /** Starts delivering to `sink` every event after `after` that passes the filter, in order. */
    open(options: { projectId: string; after: StreamPosition; filter: StreamFilter; sink: StreamSink; release: () => void }): Subscription {
      const { projectId, sink, release } = options;
      const matches = matcher(projectId, options.filter);
      const queue: StreamEvent[] = [];
      let draining = false;
      let closed = false;

      const close = () => {
        if (closed) return;
        closed = true;
        queue.length = 0;
        all.delete(subscriber);
        leave(projectId, subscriber);
        release();
        if (all.size === 0) {
          clearInterval(heartbeat);
          heartbeat = undefined;
        }
      };
      // Filtering may read the lineage, so it runs in order, one event at a time, after the offer.
      const drain = async () => {
        if (draining) return;
        draining = true;
        try {
          while (queue.length > 0 && !closed) {
            const event = queue.shift()!;
            if (await matches(event)) sink.event(event);
          }
        } catch (error) {
          logger.warn({ err: error, projectId }, 'filtering an event stream failed; ending it');
          close();
          sink.end();
        } finally {
          draining = false;
        }
      };
      const subscriber: Subscriber = {
        cursor: options.after,
        pending: null,
        sink,
        offer(event) {
          if (closed) return;
          if (subscriber.pending) {
            subscriber.pending.push(event);
            return;
          }
          if (comparePositions(event.position, subscriber.cursor) <= 0) return;
          subscriber.cursor = event.position;
          queue.push(event);
          void drain();
        },
        close,
      };
      all.add(subscriber);
      startHeartbeat();
      join(projectId, subscriber).catch((error: unknown) => {
        logger.warn({ err: error, projectId }, 'replaying events for a stream failed; ending it');
        close();
        sink.end();
      });
      return { close };
    },

    /** Streams open in this process. */
    get openStreams(): number {
      return all.size;
    },

    /** Ends every open stream (shutdown): their clients reconnect, to another replica, with Last-Event-ID. */
    endAll(): void {
      for (const subscriber of [...all]) {
        subscriber.close();
        subscriber.sink.end();
      }
    },

    /** endAll, then stops listening. */
    async stop(): Promise<void> {
      stopped = true;
      const followed = [...feeds.keys()];
      this.endAll();
      stopFollowing();
      await events.unfollow(followed, listenerId).catch(() => undefined);
      const unlisten = listening;
      listening = undefined;
      if (unlisten) await (await unlisten.catch(() => async () => undefined))();
    },
  };
}

export type EventHub = ReturnType<typeof createEventHub>;
