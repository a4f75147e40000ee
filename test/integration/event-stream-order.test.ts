// The order the event stream reads the outbox in, on the real database: (writing transaction, seq),
// and only events no earlier transaction can still commit before.
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ids.js';
import { createEventStreamRepository, STREAM_START } from '../../src/modules/events/events.repository.js';
import { useTestApp } from '../helpers/app.js';

const t = useTestApp();
const onPostgres = Boolean(process.env.TEST_DATABASE_URL);

/** Writes an event as if by the transaction `txid` (the column's default is the real one). */
async function eventOf(projectId: string, txid: string, phase: string): Promise<string> {
  const id = newId('evt');
  await t.db.prisma.$executeRaw`
    INSERT INTO events (id, project_id, type, data, txid) VALUES (${id}, ${projectId}, 'checkpoint.created', ${JSON.stringify({ phase })}::jsonb, ${txid}::xid8)`;
  return id;
}

describe('the event stream outbox reads', () => {
  it('go by transaction id as a number, then seq, from any position', async () => {
    const { projectId } = await t.newProject();
    const events = createEventStreamRepository(t.db.prisma);
    // Inserted out of order, with ids whose text would sort differently ('10' < '9').
    await eventOf(projectId, '10', 'c');
    await eventOf(projectId, '9', 'a');
    await eventOf(projectId, '9', 'b');
    await eventOf(projectId, '100', 'd');

    const all = await events.after(projectId, STREAM_START, 10);
    const phases = (page: typeof all) => page.events.map((event) => event.data.phase);
    expect(phases(all)).toEqual(['a', 'b', 'c', 'd']);
    expect(all.more).toBe('no');
    expect(phases(await events.after(projectId, all.events[1]!.position, 10))).toEqual(['c', 'd']);
    const firstTwo = await events.after(projectId, STREAM_START, 2);
    expect([phases(firstTwo), firstTwo.more]).toEqual([['a', 'b'], 'now']);
    expect(await events.positionOf(projectId, all.events[2]!.id)).toEqual(all.events[2]!.position);
    expect((await events.head(projectId)).eventId).toBe(all.events[3]!.id);
  });

  it.skipIf(!onPostgres)('hold back an event committed behind a transaction still running, until that one ends', async () => {
    const { projectId } = await t.newProject();
    const events = createEventStreamRepository(t.db.prisma);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    // An older transaction takes its id, then waits; a newer one writes an event and commits.
    const older = t.db.prisma.$transaction(async (tx) => {
      await tx.$queryRaw`SELECT pg_current_xact_id()::text AS txid`;
      started();
      await finished;
      await tx.$executeRaw`INSERT INTO events (id, project_id, type, data) VALUES (${newId('evt')}, ${projectId}, 'checkpoint.created', '{"phase":"older"}'::jsonb)`;
    });
    await running;
    await t.db.prisma
      .$executeRaw`INSERT INTO events (id, project_id, type, data) VALUES (${newId('evt')}, ${projectId}, 'checkpoint.created', '{"phase":"newer"}'::jsonb)`;

    const held = await events.after(projectId, STREAM_START, 10);
    finish();
    await older;
    const settled = await events.after(projectId, STREAM_START, 10);

    expect([held.events, held.more]).toEqual([[], 'soon']);
    expect(settled.events.map((event) => event.data.phase)).toEqual(['older', 'newer']);
  });
});
