// How LangGraph state is laid out in session checkpoints: the JSON records the saver writes as a
// checkpoint's `context_snapshot`, and the pure functions that build and read them. No I/O here.
//
// A LangGraph checkpoint becomes one session checkpoint holding a `CheckpointRecord`; every
// `putWrites` call becomes one holding a `WritesRecord`. Values go through the saver's serde
// (`dumpsTyped`) and are stored as `{ type, data: base64 }`, so anything LangGraph can serialize
// round-trips exactly.
//
// Channel values are stored only when their version changes (`newVersions`); a checkpoint's
// `channels` map says, for every channel version it has, where the value lives: inline, or in the
// session checkpoint `ref` of an ancestor. Reading a checkpoint therefore never walks its ancestors.
import type { ChannelVersions } from '@langchain/langgraph-checkpoint';
import { compareWritesSortKeys, writesSortKey } from '@langchain/langgraph-checkpoint';
import { z } from 'zod';

/** Bumped when the record layout changes incompatibly; readers skip records of other formats. */
export const RECORD_FORMAT = 1;

/** A checkpoint's `phase` is `langgraph:checkpoint:<id>`; a writes record's `langgraph:writes:<id>`. */
export const checkpointPhase = (checkpointId: string): string => `langgraph:checkpoint:${checkpointId}`.slice(0, 256);
export const writesPhase = (checkpointId: string): string => `langgraph:writes:${checkpointId}`.slice(0, 256);

const TypedBlobSchema = z.object({ type: z.string(), data: z.string() });
export type TypedBlob = z.infer<typeof TypedBlobSchema>;

const ChannelVersionSchema = z.union([z.number(), z.string()]);

const ChannelEntrySchema = z.object({
  version: ChannelVersionSchema,
  /** The serialized value, when this checkpoint wrote this version. */
  value: TypedBlobSchema.optional(),
  /** The session checkpoint (an ancestor's) that holds the value of this version. */
  ref: z.string().optional(),
});
export type ChannelEntry = z.infer<typeof ChannelEntrySchema>;

export const CheckpointRecordSchema = z.object({
  langgraph: z.literal('checkpoint'),
  format: z.literal(RECORD_FORMAT),
  thread_id: z.string(),
  checkpoint_ns: z.string(),
  checkpoint_id: z.string(),
  parent_checkpoint_id: z.string().nullable(),
  /** The checkpoint without its channel values. */
  checkpoint: TypedBlobSchema,
  metadata: TypedBlobSchema,
  channels: z.record(z.string(), ChannelEntrySchema),
  /**
   * Session checkpoints holding writes records of this checkpoint that were stored before it: LangGraph
   * does not wait for a checkpoint's put before sending the writes of the step after it.
   */
  early_writes: z.array(z.string()).optional(),
  /** Copies of metadata.source and metadata.step, for people reading the session's checkpoints. */
  source: z.string().optional(),
  step: z.number().optional(),
});
export type CheckpointRecord = z.infer<typeof CheckpointRecordSchema>;

export const WritesRecordSchema = z.object({
  langgraph: z.literal('writes'),
  format: z.literal(RECORD_FORMAT),
  thread_id: z.string(),
  checkpoint_ns: z.string(),
  checkpoint_id: z.string(),
  task_id: z.string(),
  task_path: z.string(),
  writes: z.array(z.object({ idx: z.number().int(), channel: z.string(), value: TypedBlobSchema })),
});
export type WritesRecord = z.infer<typeof WritesRecordSchema>;

export type LangGraphRecord = CheckpointRecord | WritesRecord;

/** The record a session checkpoint holds, or null when it holds something else (not ours). */
export function parseRecord(snapshot: unknown): LangGraphRecord | null {
  const checkpoint = CheckpointRecordSchema.safeParse(snapshot);
  if (checkpoint.success) return checkpoint.data;
  const writes = WritesRecordSchema.safeParse(snapshot);
  return writes.success ? writes.data : null;
}

export const encodeBlob = ([type, bytes]: [string, Uint8Array]): TypedBlob => ({
  type,
  data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
});
export const decodeBlob = (blob: TypedBlob): Uint8Array => new Uint8Array(Buffer.from(blob.data, 'base64'));

/**
 * Where each channel version of a new checkpoint lives. Channels in `newVersions` are written by
 * this checkpoint: inline when they have a value, as a bare version when they are empty. Other
 * channels keep the parent's entry when the parent has the same version; the parent's inline
 * value becomes a `ref` to the parent's session checkpoint.
 */
export function channelEntries(
  channelVersions: ChannelVersions,
  newVersions: ChannelVersions,
  newValues: Record<string, TypedBlob>,
  parent: { sessionCheckpointId: string; record: CheckpointRecord } | null,
): Record<string, ChannelEntry> {
  const entries: Record<string, ChannelEntry> = {};
  for (const [channel, version] of Object.entries(channelVersions)) {
    if (Object.hasOwn(newVersions, channel)) {
      const value = newValues[channel];
      entries[channel] = value ? { version, value } : { version };
      continue;
    }
    const inherited = parent && Object.hasOwn(parent.record.channels, channel) ? parent.record.channels[channel] : undefined;
    if (!inherited || inherited.version !== version) continue;
    if (inherited.value) entries[channel] = { version, ref: parent!.sessionCheckpointId };
    else entries[channel] = inherited.ref ? { version, ref: inherited.ref } : { version };
  }
  return entries;
}

/**
 * The pending writes of one checkpoint from its writes records, given oldest first. As in
 * LangGraph's own savers, a regular write (idx >= 0) is kept from its first record and a special
 * one (errors, interrupts: idx < 0) from its last; the result is in `writesSortKey` order.
 */
export function mergeWrites(
  records: readonly WritesRecord[],
): { taskId: string; taskPath: string; idx: number; channel: string; value: TypedBlob }[] {
  const byKey = new Map<string, { taskId: string; taskPath: string; idx: number; channel: string; value: TypedBlob }>();
  for (const record of records) {
    for (const write of record.writes) {
      const key = JSON.stringify([record.task_id, write.idx]);
      if (write.idx >= 0 && byKey.has(key)) continue;
      byKey.set(key, { taskId: record.task_id, taskPath: record.task_path, idx: write.idx, channel: write.channel, value: write.value });
    }
  }
  return [...byKey.values()].sort((a, b) =>
    compareWritesSortKeys(writesSortKey(a.taskPath, a.taskId, a.idx), writesSortKey(b.taskPath, b.taskId, b.idx)),
  );
}
