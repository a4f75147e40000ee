import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { testConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import { loadMigrations, MIGRATIONS_DIR } from '../../src/lib/migrate.js';
import { createTestDatabase } from '../helpers/test-database.js';

// REQUEST_TIMEOUT_MS bounds the whole request on a real socket (a body sent a byte at a time
// included), and a client that hangs up mid-body is logged as what it is, not as the database away.
const REQUEST_TIMEOUT_MS = 1000;

let lines: string[] = [];
let app: Awaited<ReturnType<typeof buildApp>>;
let close: () => Promise<void>;
let port: number;
let auth: string;

beforeAll(async () => {
  const db = await createTestDatabase();
  const config = testConfig({ requestTimeoutMs: REQUEST_TIMEOUT_MS, logLevel: 'info' });
  const container = createContainer({ config, db, migrations: await loadMigrations(MIGRATIONS_DIR) });
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  app = await buildApp({ config, container, logStream });
  port = Number(new URL(await app.listen({ port: 0, host: '127.0.0.1' })).port);
  const project = await container.services.projects.createProject('limits');
  auth = `Bearer ${project.apiKey}`;
  close = async () => {
    await app.close();
    await container.webhookDispatcher.stop();
    await db.close();
  };
}, 120_000);
afterAll(async () => close?.());

/** A raw connection: what it received, and a promise of its end (the server closing it). */
function connect() {
  const socket = net.connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (data) => (received += data.toString('utf8')));
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return { socket, closed, received: () => received };
}

const sessionHead = (length: number) =>
  `POST /v1/sessions HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

function problemOf(raw: string) {
  const [head, body] = raw.split('\r\n\r\n');
  return { statusLine: head!.split('\r\n')[0], head: head!, problem: JSON.parse(body!) as Record<string, unknown> };
}

describe('REQUEST_TIMEOUT_MS on a real socket', () => {
  it(
    'answers a body that trickles in (a byte every 100 ms, never finishing in time) with a 408 problem and closes the connection',
    { timeout: 60_000 },
    async () => {
      const before = await app.inject({ method: 'GET', url: '/v1/sessions', headers: { authorization: auth } });
      const { socket, closed, received } = connect();
      const body = JSON.stringify({ task_id: 'slow-body' });
      socket.write(sessionHead(body.length) + body.slice(0, 1));
      // Keeps sending for as long as the connection stays open: only the server can end this.
      let sent = 1;
      const trickle = setInterval(() => {
        if (!socket.destroyed && sent < body.length - 1) socket.write(body[sent++]!);
      }, 100);
      await closed;
      clearInterval(trickle);

      const { statusLine, head, problem } = problemOf(received());
      expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
      expect(head).toMatch(/content-type: application\/problem\+json/i);
      expect(problem).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT', type: '/problems/request-timeout' });
      // The body never completed (the trickle stops short of it), and nothing was created.
      const after = await app.inject({ method: 'GET', url: '/v1/sessions', headers: { authorization: auth } });
      expect(after.json().data).toEqual(before.json().data);
    },
  );

  it('answers headers that never end with 408 too', { timeout: 60_000 }, async () => {
    const { socket, closed, received } = connect();
    socket.write('GET /v1/sessions HTTP/1.1\r\nHost: localhost\r\n');
    const trickle = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: 1\r\n');
    }, 100);
    await closed;
    clearInterval(trickle);
    expect(problemOf(received()).problem).toMatchObject({ status: 408, code: 'REQUEST_TIMEOUT' });
  });

  it('leaves a request that arrives in time alone', async () => {
    const { socket, closed, received } = connect();
    const body = JSON.stringify({ task_id: 'in-time' });
    // Connection: close, and no half-close of ours: the server answers, then ends the connection.
    socket.write(sessionHead(body.length).replace('Content-Type', 'Connection: close\r\nContent-Type') + body);
    await closed;
    expect(received()).toMatch(/^HTTP\/1\.1 201 /);
  });
});

describe('a client that hangs up mid-body', () => {
  it('is logged as a client abort at info, not as the service or its database being unavailable', { timeout: 60_000 }, async () => {
    lines = [];
    const { socket, closed } = connect();
    socket.write(sessionHead(1000) + '{"task_id":"gone');
    // Wait until the server has the request (its "incoming request" line), then hang up.
    await expect.poll(() => lines.some((line) => line.includes('"incoming request"')), { timeout: 20_000 }).toBe(true);
    socket.destroy();
    await closed;

    await expect.poll(() => lines.some((line) => line.includes('client closed the connection')), { timeout: 20_000 }).toBe(true);
    const entries = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    const abort = entries.find((entry) => entry.msg.includes('client closed the connection'))!;
    expect(abort.level).toBe(30); // info
    expect(entries.filter((entry) => entry.msg === 'service not ready' || entry.level >= 50)).toEqual([]);
  });
});
