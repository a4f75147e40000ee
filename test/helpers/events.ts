import type { Database } from '../../src/lib/db.js';

/** The outbox rows of a session, in the order they were written. */
export async function eventsOf(db: Database, sessionId: string) {
  const rows = await db.prisma.event.findMany({ where: { sessionId }, orderBy: { seq: 'asc' } });
  return rows.map((row) => ({ id: row.id, type: row.type, data: row.data as Record<string, unknown> }));
}

export async function thresholdEventsOf(db: Database, sessionId: string) {
  return (await eventsOf(db, sessionId)).filter((event) => event.type === 'session.threshold_crossed');
}
