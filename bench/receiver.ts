// A local webhook receiver: answers 204 at once and notes when each session's event arrived.
import { createServer, type Server } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface Receiver {
  url: string;
  /** Resolves with the arrival time (performance.now()) of the first event about `sessionId`. */
  arrival(sessionId: string, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const arrivals = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();

  const server: Server = createServer((request, response) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.writeHead(204).end();
      try {
        const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: { session_id?: string } };
        const sessionId = event.data?.session_id;
        if (!sessionId || arrivals.has(sessionId)) return;
        arrivals.set(sessionId, at);
        waiting.get(sessionId)?.(at);
      } catch {
        // Not an event of this benchmark: ignore it.
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}/hook`,
    arrival(sessionId, timeoutMs) {
      const known = arrivals.get(sessionId);
      if (known !== undefined) return Promise.resolve(known);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(sessionId);
          reject(new Error(`no webhook for ${sessionId} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(sessionId, (at) => {
          clearTimeout(timer);
          waiting.delete(sessionId);
          resolve(at);
        });
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
