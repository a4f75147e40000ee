import { z } from 'zod';
import { TimestampSchema, toTimestamp } from '../../lib/wire.js';
import { CheckpointSchema, checkpointWire } from '../checkpoints/checkpoints.schemas.js';
import { HandoffSchema, handoffWire } from '../handoffs/handoffs.schemas.js';
import { SessionSchema, sessionWire } from '../sessions/sessions.schemas.js';
import { UsageEntrySchema, usageEntryWire } from '../usage/usage.schemas.js';
import { EventSchema, eventWire } from '../webhooks/event.schemas.js';
import type { SessionExport } from './export.service.js';

export const EXPORT_FORMAT = 'session-state-service/session-export/v1';

export const SessionExportSchema = z
  .object({
    format: z.literal(EXPORT_FORMAT).describe('The format and its version'),
    exported_at: TimestampSchema.describe('When the export was made'),
    session: SessionSchema.describe('The session as it is now'),
    checkpoints: z.array(CheckpointSchema).describe('Oldest first, snapshots included'),
    usage: z.array(UsageEntrySchema).describe('Every usage update, oldest first'),
    handoffs: z.array(HandoffSchema).describe('Handoff packages of this session, oldest first'),
    events: z.array(EventSchema).describe('Events about this session, in the order they were written'),
  })
  .meta({ id: 'SessionExport', description: 'One session and everything recorded about it' });

export function sessionExportWire(exported: SessionExport): z.infer<typeof SessionExportSchema> {
  return {
    format: EXPORT_FORMAT,
    exported_at: toTimestamp(exported.exportedAt),
    session: sessionWire(exported.session),
    checkpoints: exported.checkpoints.map(checkpointWire),
    usage: exported.usage.map(usageEntryWire),
    handoffs: exported.handoffs.map(handoffWire),
    events: exported.events.map(eventWire),
  };
}
