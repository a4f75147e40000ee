// Two replicas of the service on one PostgreSQL: an event committed through one reaches a stream
// held open on the other, through the events trigger's NOTIFY. Each process listens on one
// connection whatever the number of its streams. PGlite is one in-process database: nothing to share.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { openEventSource, until } from '../helpers/event-stream.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)('event streams across replicas on one PostgreSQL', () => {
  let writer: TestApp;
  let reader: TestApp;
  let readerUrl: string;
  beforeAll(async () => {
    writer = await createTestApp();
    reader = await createTestApp();
    readerUrl = await reader.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await Promise.all([writer?.close(), reader?.close()]);
  });

  /** LISTEN connections of the reader's process, as PostgreSQL sees them. */
  async function listeners(): Promise<number> {
    const rows = await reader.db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND query = 'LISTEN "events"'`;
    return Number(rows[0]!.n);
  }

  it('delivers an event committed through one replica to streams held open on another, over one listening connection', async () => {
    const { apiKey, auth } = await writer.newProject();
    const before = await listeners();
    const streams = Array.from({ length: 5 }, () => openEventSource(readerUrl, apiKey, '?types=session.created'));
    await until(() => streams.every((stream) => stream.opens === 1), 'the streams to open');

    const created = await writer.http.post('/v1/sessions').set(auth).send({ task_id: 'REPLICA-1' });
    expect(created.status).toBe(201);
    for (const stream of streams) await stream.waitFor(1, 'the event from the other replica');

    expect(streams.map((stream) => JSON.parse(stream.messages[0]!.data).data.session_id)).toEqual(Array(5).fill(created.body.session_id));
    // The writer never listened; the reader listens once for all five streams (other files' apps may listen too).
    expect((await listeners()) - before).toBe(1);
    for (const stream of streams) stream.close();
  });
});
