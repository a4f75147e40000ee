// The events trigger NOTIFYs only for projects some process's streams follow: NOTIFY makes the
// notifying transactions commit one at a time, so an event nobody streams must not send one (a
// checkpoint write, which writes `checkpoint.created`, would otherwise wait for every other).
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { useTestApp } from '../helpers/app.js';
import { openEventSource, until } from '../helpers/event-stream.js';

const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!onPostgres)('NOTIFY for the live event streams', () => {
  const t = useTestApp({ listen: true });

  async function followers(projectId: string): Promise<number> {
    const rows = await t.db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM event_stream_listeners WHERE project_id = ${projectId} AND expires_at > now()`;
    return Number(rows[0]!.n);
  }

  it('notifies the events of a project while a stream follows it, and not those of a project nobody streams', async () => {
    const quiet = await t.newProject();
    const streamed = await t.newProject();
    const listener = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    const notified: string[] = [];
    listener.on('notification', (message) => notified.push(message.payload ?? ''));
    await listener.connect();
    await listener.query('LISTEN "events"');
    try {
      const stream = openEventSource(t.baseUrl, streamed.apiKey, '?types=session.created');
      await until(() => stream.opens === 1, 'the stream to open');
      expect(await followers(streamed.projectId)).toBe(1);
      expect(await followers(quiet.projectId)).toBe(0);

      // Notifications arrive in commit order: once the streamed project's has come, the quiet
      // project's (committed before it) would have come first, had it been sent.
      expect((await t.http.post('/v1/sessions').set(quiet.auth).send({ task_id: 'quiet' })).status).toBe(201);
      expect((await t.http.post('/v1/sessions').set(streamed.auth).send({ task_id: 'streamed' })).status).toBe(201);
      await until(() => notified.includes(streamed.projectId), 'the streamed project to be notified');
      expect(notified.filter((payload) => payload === quiet.projectId || payload === streamed.projectId)).toEqual([streamed.projectId]);
      await stream.waitFor(1, 'the streamed event');

      stream.close();
      await until(() => t.container.eventHub.openStreams === 0, 'the stream to close');
      await expect.poll(() => followers(streamed.projectId)).toBe(0);
    } finally {
      await listener.end();
    }
  });
});
