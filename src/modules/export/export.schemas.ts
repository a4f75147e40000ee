import { z } from 'zod';
import { TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { CheckpointSchema, checkpointWire } from '../checkpoints/checkpoints.schemas.js';
import { HandoffSchema, handoffWire } from '../handoffs/handoffs.schemas.js';
import { SessionSchema, sessionWire } from '../sessions/sessions.schemas.js';
import { UsageEntrySchema, usageEntryWire } from '../usage/usage.schemas.js';
import { EventSchema, eventWire } from '../webhooks/event.schemas.js';
import { createUsageTotals, type SessionExport } from './export.service.js';
import type { UsageRow } from '../usage/usage.repository.js';
import { UsageSummarySchema, usageSummaryWire } from '../summary/summary.schemas.js';

export const EXPORT_FORMAT = 'session-state-service/session-export/v1';

export const SessionExportSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT).describe('The format and its version'),
    exported_at: TimestampSchema.describe('When the export was made'),
    session: SessionSchema.describe('The session as it is now'),
    checkpoints: z.array(CheckpointSchema).describe('Oldest first, snapshots included'),
    usage: z.array(UsageEntrySchema).describe('Every usage update, oldest first'),
    usage_summary: UsageSummarySchema.describe("The usage rows' tokens per class and cost per model; cost_usd is the session's"),
    handoffs: z.array(HandoffSchema).describe('Handoff packages of this session, oldest first'),
    events: z.array(EventSchema).describe('Events about this session, in the order they were written'),
  })
  .meta({ id: 'SessionExport', description: 'One session and everything recorded about it' });

/**
 * The export document as JSON text, piece by piece: the same document as SessionExportSchema
 * describes (keys in its order), written one item at a time as the rows are read, so that an
 * export holds a batch of rows in memory rather than the whole session.
 */
export async function* sessionExportJson(exported: SessionExport): AsyncGenerator<string> {
  const head = { format: EXPORT_FORMAT, exported_at: toTimestamp(exported.exportedAt), session: sessionWire(exported.session) };
  yield JSON.stringify(head).slice(0, -1);
  yield* jsonArray('checkpoints', exported.checkpoints, checkpointWire);
  const totals = createUsageTotals(exported.session);
  yield* jsonArray('usage', counted(exported.usage, totals), usageEntryWire);
  yield `,"usage_summary":${JSON.stringify(usageSummaryWire(totals.result()))}`;
  yield* jsonArray('handoffs', exported.handoffs, handoffWire);
  yield* jsonArray('events', exported.events, eventWire);
  yield '}';
}

/** `,"name":[item,item,…]`, an item at a time. */
async function* jsonArray<T>(name: string, items: AsyncIterable<T>, toWire: (item: T) => unknown): AsyncGenerator<string> {
  let separator = `,${JSON.stringify(name)}:[`;
  for await (const item of items) {
    yield separator + JSON.stringify(toWire(item));
    separator = ',';
  }
  yield separator === ',' ? ']' : `${separator}]`;
}

/** The rows as they go by, each added to the totals. */
async function* counted(rows: AsyncIterable<UsageRow>, totals: ReturnType<typeof createUsageTotals>): AsyncGenerator<UsageRow> {
  for await (const row of rows) {
    totals.add(row);
    yield row;
  }
}
