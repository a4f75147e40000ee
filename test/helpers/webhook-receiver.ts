import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  /** Lower-case names; repeated headers joined with ", " (ready for `Webhook.verify`). */
  headers: Record<string, string>;
  body: string;
  receivedAt: Date;
}

export interface ReceiverResponse {
  status: number;
  /** Wait this long before sending anything, to play a slow endpoint. */
  delayMs?: number;
  /** Send nothing until this settles: an endpoint that hangs until the test lets it go. */
  until?: Promise<unknown>;
  body?: string;
  headers?: Record<string, string>;
}

export type ResponseHandler = (request: ReceivedRequest) => ReceiverResponse;

export interface WebhookReceiver {
  /** Base URL, e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Every request received, in arrival order. */
  requests: ReceivedRequest[];
  /** Answers every later request with `handler`; the default answer is 204. */
  respondWith(handler: ResponseHandler): void;
  /** Resolves with the requests once at least `count` have arrived. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

const DEFAULT_WAIT_TIMEOUT_MS = 5000;
const noContent: ResponseHandler = () => ({ status: 204 });

/** A real HTTP server on 127.0.0.1 (port 0) that records what webhook deliveries send it. */
export async function createWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const delayTimers = new Set<NodeJS.Timeout>();
  let handler = noContent;

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const received: ReceivedRequest = {
        path: req.url ?? '/',
        headers: flattenHeaders(req),
        body: Buffer.concat(chunks).toString('utf8'),
        receivedAt: new Date(),
      };
      requests.push(received);
      for (const wake of waiters) wake();
      respond(res, handler(received));
    });
  });

  function respond(res: ServerResponse, response: ReceiverResponse): void {
    const send = () => {
      if (res.destroyed) return;
      res.writeHead(response.status, response.headers);
      res.end(response.body);
    };
    if (response.until) {
      void response.until.finally(send);
      return;
    }
    if (response.delayMs === undefined) return send();
    const timer = setTimeout(() => {
      delayTimers.delete(timer);
      send();
    }, response.delayMs);
    delayTimers.add(timer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    respondWith(next) {
      handler = next;
    },
    waitFor(count, timeoutMs = DEFAULT_WAIT_TIMEOUT_MS) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (requests.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve([...requests]);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} webhook request(s) within ${timeoutMs} ms, got ${requests.length}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async close() {
      for (const timer of delayTimers) clearTimeout(timer);
      delayTimers.clear();
      // Keep-alive sockets from a client would otherwise hold close() open.
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}
