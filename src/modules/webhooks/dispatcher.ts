// Delivers the outbox: claims due deliveries under a lease, calls each endpoint outside any
// transaction, records every attempt, and schedules retries. Any number of dispatchers may run
// against one database (claims skip each other's rows); a slow endpoint only ever occupies its
// own few slots.
import type { Dispatcher as HttpDispatcher } from 'undici';
import type { Clock } from '../../lib/clock.js';
import { nextAttemptDelayMs, retryAfterMs, shouldDisableEndpoint } from './backoff.js';
import type { ClaimedDelivery, DeliveryQueueRepository } from './delivery-queue.repository.js';
import { deliverOnce } from './http-delivery.js';
import { signatureHeaders, type SigningSecrets } from './signing.js';

/** Deliveries one dispatcher has in flight at most, and of those, at most this many per endpoint. */
export const MAX_IN_FLIGHT = 32;
export const MAX_IN_FLIGHT_PER_ENDPOINT = 4;
/** How often an idle dispatcher looks for due work when no notification wakes it. */
export const POLL_INTERVAL_MS = 1000;
/** A claim outlives the attempt's deadline by this much before another dispatcher may take over. */
export const LEASE_MARGIN_MS = 30_000;
/** How long stop() lets attempts in flight finish before it interrupts them and releases their claims. */
export const STOP_GRACE_MS = 5000;
const USER_AGENT = 'session-state-service-webhooks/1';

export interface DispatcherLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

/** What an observer (metrics) learns of each attempt; the dispatcher itself knows nothing of metrics. */
export interface AttemptObservation {
  /** `delivered` (2xx), `rejected` (any other status), `unreachable` (no response: refused, timed out). */
  outcome: 'delivered' | 'rejected' | 'unreachable';
  statusCode: number | null;
  durationMs: number;
}
export type AttemptObserver = (attempt: AttemptObservation) => void;

export interface DispatcherDeps {
  deliveries: Pick<DeliveryQueueRepository, 'claim' | 'record' | 'release'>;
  clock: Clock;
  /** The SSRF-guarded undici agent. */
  http: HttpDispatcher;
  retryDelaysSeconds: readonly number[];
  timeoutMs: number;
  logger: DispatcherLogger;
  /** Subscribes to commit-time notifications of new deliveries; returns the unsubscribe. */
  subscribe?: (onWake: () => void) => Promise<() => Promise<void>>;
  random?: () => number;
  pollIntervalMs?: number;
  /** Only this project's deliveries (tools and tests that share a database); default every project's. */
  projectId?: string;
  /** Told of every attempt recorded (more can be added with observe()). */
  onAttempt?: AttemptObserver;
}

/** The request body of a delivery: the Standard Webhooks envelope. */
export function deliveryBody(event: ClaimedDelivery['event']): string {
  return JSON.stringify({ id: event.id, type: event.type, created_at: event.createdAt.toISOString(), data: event.data });
}

function signingSecrets(endpoint: ClaimedDelivery['endpoint'], now: Date): SigningSecrets {
  const previousValid = endpoint.previousSecret !== null && endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now;
  return previousValid ? [endpoint.secret, endpoint.previousSecret!] : [endpoint.secret];
}

export function createDispatcher(deps: DispatcherDeps) {
  const { deliveries, clock, http, retryDelaysSeconds, timeoutMs, logger, subscribe } = deps;
  const random = deps.random ?? Math.random;
  const pollIntervalMs = deps.pollIntervalMs ?? POLL_INTERVAL_MS;
  const inFlight = new Map<Promise<void>, string>();
  const observers = new Set<AttemptObserver>(deps.onAttempt ? [deps.onAttempt] : []);
  // Set when stop() gives up waiting: attempts then cut short are released, not recorded.
  let interrupted = false;

  /** Hands claims back at once (due now, the attempt not counted) so another dispatcher takes them. */
  async function release(claims: ClaimedDelivery[]): Promise<void> {
    if (claims.length === 0) return;
    try {
      await deliveries.release(claims, clock.now());
      logger.info({ deliveryIds: claims.map((claim) => claim.id) }, 'released webhook deliveries on shutdown');
    } catch (error) {
      // The lease still expires by itself; another dispatcher takes them then.
      logger.warn({ err: error }, 'releasing webhook deliveries failed; their lease will expire');
    }
  }

  async function attempt(claim: ClaimedDelivery): Promise<void> {
    const startedAt = clock.now();
    const body = deliveryBody(claim.event);
    const result = await deliverOnce({
      url: claim.endpoint.url,
      headers: {
        ...signatureHeaders({ secrets: signingSecrets(claim.endpoint, startedAt), eventId: claim.event.id, timestamp: startedAt, body }),
        'user-agent': USER_AGENT,
      },
      body,
      timeoutMs,
      dispatcher: http,
    });
    if (interrupted && !result.ok) return release([claim]);
    const now = clock.now();
    const gone = result.status === 410;
    let retryAt: Date | null = null;
    if (!result.ok && !gone) {
      const delayMs = nextAttemptDelayMs(claim.attemptNumber, retryDelaysSeconds, random);
      if (delayMs !== null) retryAt = new Date(now.getTime() + Math.max(delayMs, retryAfterMs(result.retryAfter, now) ?? 0));
    }
    const disableReason = gone
      ? 'the endpoint answered 410 Gone'
      : !result.ok && shouldDisableEndpoint(claim.endpoint.failingSince ?? startedAt, now)
        ? 'every delivery failed for 5 days'
        : null;
    await deliveries.record({
      claim,
      attempt: {
        startedAt,
        durationMs: result.durationMs,
        statusCode: result.status,
        error: result.error,
        responseSnippet: result.responseSnippet,
      },
      delivered: result.ok,
      retryAt,
      disableReason,
      now,
    });
    const observation: AttemptObservation = {
      outcome: result.ok ? 'delivered' : result.status === null ? 'unreachable' : 'rejected',
      statusCode: result.status,
      durationMs: result.durationMs,
    };
    for (const observer of observers) observer(observation);
    const log = { deliveryId: claim.id, eventId: claim.event.id, attempt: claim.attemptNumber, status: result.status };
    if (result.ok) logger.info(log, 'webhook delivered');
    else logger.warn({ ...log, error: result.error, retryAt, disableReason }, 'webhook attempt failed');
  }

  async function claimBatch(projectId?: string): Promise<ClaimedDelivery[]> {
    const free = MAX_IN_FLIGHT - inFlight.size;
    if (free <= 0) return [];
    const inFlightByEndpoint = new Map<string, number>();
    for (const endpointId of inFlight.values()) inFlightByEndpoint.set(endpointId, (inFlightByEndpoint.get(endpointId) ?? 0) + 1);
    const now = clock.now();
    return deliveries.claim({
      now,
      limit: free,
      leaseUntil: new Date(now.getTime() + timeoutMs + LEASE_MARGIN_MS),
      inFlightByEndpoint,
      perEndpoint: MAX_IN_FLIGHT_PER_ENDPOINT,
      projectId,
    });
  }

  function track(claim: ClaimedDelivery, onSettled: () => void): Promise<void> {
    const running: Promise<void> = attempt(claim)
      .catch((error: unknown) => logger.error({ err: error, deliveryId: claim.id }, 'recording a webhook attempt failed'))
      .finally(() => {
        inFlight.delete(running);
        onSettled();
      });
    inFlight.set(running, claim.endpointId);
    return running;
  }

  let running = false;
  let stopped = false;
  let loop: Promise<void> | null = null;
  let unsubscribe: (() => Promise<void>) | null = null;
  // A wake-up that arrives while the loop is busy is kept, so the next sleep returns at once.
  let woken = false;
  let endSleep: (() => void) | null = null;
  const wake = () => {
    woken = true;
    endSleep?.();
  };
  const sleep = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        endSleep = null;
        woken = false;
        resolve();
      };
      const timer = setTimeout(done, pollIntervalMs);
      endSleep = done;
      if (woken) done();
    });

  async function run(): Promise<void> {
    while (running) {
      let claimed: ClaimedDelivery[] = [];
      try {
        claimed = await claimBatch(deps.projectId);
      } catch (error) {
        logger.warn({ err: error }, 'claiming webhook deliveries failed; retrying');
      }
      // Stopped while claiming: these were never attempted, so hand them back rather than start.
      if (!running) {
        await release(claimed);
        break;
      }
      for (const claim of claimed) void track(claim, wake);
      // A full batch may mean more is due: claim again at once. Otherwise wait for a notification,
      // a free slot, or the poll interval.
      if (claimed.length === 0 || inFlight.size >= MAX_IN_FLIGHT) await sleep();
    }
  }

  return {
    /** Adds an observer of every attempt recorded; returns its removal. */
    observe(observer: AttemptObserver): () => void {
      observers.add(observer);
      return () => observers.delete(observer);
    },

    /**
     * One pass for tests and tools: claims what is due now (of one project, if given) and waits
     * until those attempts are recorded. Returns how many it attempted.
     */
    async tick(scope: { projectId?: string } = {}): Promise<number> {
      const claimed = await claimBatch(scope.projectId);
      await Promise.all(claimed.map((claim) => track(claim, () => undefined)));
      return claimed.length;
    },

    async start(): Promise<void> {
      if (stopped) throw new Error('this webhook dispatcher was stopped; create a new one');
      if (running) return;
      running = true;
      if (subscribe) {
        try {
          unsubscribe = await subscribe(wake);
        } catch (error) {
          logger.warn({ err: error }, 'cannot listen for webhook notifications; polling only');
        }
      }
      loop = run();
    },

    /**
     * Stops claiming and waits up to `graceMs` for the attempts in flight. Those still running then
     * are cut off and their deliveries released: due at once, the attempt not counted, so another
     * dispatcher sends them without waiting for the lease to expire (at-least-once: the endpoint
     * may have received one already). Closes its connections, for good: a stopped dispatcher cannot
     * start again. Calling it twice is harmless.
     */
    async stop({ graceMs = STOP_GRACE_MS }: { graceMs?: number } = {}): Promise<void> {
      if (stopped) return;
      stopped = true;
      running = false;
      wake();
      await loop;
      const settled = Promise.all([...inFlight.keys()]);
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        settled.then(() => true),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
      ]);
      clearTimeout(timer);
      if (!inTime) {
        interrupted = true;
        await http.destroy(); // fails the requests in flight at once; attempt() then releases them
        await settled;
      }
      await unsubscribe?.();
      unsubscribe = null;
      if (inTime) await http.close();
    },
  };
}

export type WebhookDispatcher = ReturnType<typeof createDispatcher>;
