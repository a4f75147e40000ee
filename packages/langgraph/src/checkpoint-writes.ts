import {
  WRITES_IDX_MAP,
  copyCheckpoint,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointMetadata,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { RECORD_FORMAT, channelEntries, encodeBlob, type CheckpointRecord, type TypedBlob, type WritesRecord } from './records.js';
import type { StoredCheckpoint } from './thread-views.js';

/**
 * The write side of the saver: the records a put and a putWrites store, and the order between a
 * checkpoint's put and the writes LangGraph sends for it.
 */

/** Checkpoints whose writes this saver sent before their put, to be named in the checkpoint's record. */
const EARLY_WRITES_CHECKPOINTS = 1024;

export const putKeyOf = (threadId: string, ns: string, checkpointId: string): string => JSON.stringify([threadId, ns, checkpointId]);

export interface CheckpointPut {
  threadId: string;
  ns: string;
  parentId: string | undefined;
  checkpoint: Checkpoint;
  metadata: CheckpointMetadata;
  newVersions: ChannelVersions;
  /** The parent's newest record, whose channel entries unchanged channels refer to. */
  parent: StoredCheckpoint | undefined;
  /** Session checkpoint ids of writes stored before this put. */
  earlyWrites: string[];
}

export async function checkpointRecord(serde: SerializerProtocol, put: CheckpointPut): Promise<CheckpointRecord> {
  const { threadId, ns, parentId, checkpoint, metadata, newVersions, parent, earlyWrites } = put;
  const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
  const newValues: Record<string, TypedBlob> = {};
  for (const channel of Object.keys(newVersions)) {
    if (Object.hasOwn(values, channel) && values[channel] !== undefined) {
      newValues[channel] = encodeBlob(await serde.dumpsTyped(values[channel]));
    }
  }
  return {
    langgraph: 'checkpoint',
    format: RECORD_FORMAT,
    thread_id: threadId,
    checkpoint_ns: ns,
    checkpoint_id: checkpoint.id,
    parent_checkpoint_id: parentId ?? null,
    checkpoint: encodeBlob(await serde.dumpsTyped(rest)),
    metadata: encodeBlob(await serde.dumpsTyped(metadata)),
    channels: channelEntries(checkpoint.channel_versions, newVersions, newValues, parent ?? null),
    ...(earlyWrites.length > 0 ? { early_writes: earlyWrites } : {}),
    ...(typeof metadata.source === 'string' ? { source: metadata.source } : {}),
    ...(typeof metadata.step === 'number' ? { step: metadata.step } : {}),
  };
}

export interface WritesPut {
  threadId: string;
  ns: string;
  checkpointId: string;
  writes: PendingWrite[];
  taskId: string;
  taskPath: string | undefined;
}

export async function writesRecord(serde: SerializerProtocol, put: WritesPut): Promise<WritesRecord> {
  const { threadId, ns, checkpointId, writes, taskId, taskPath } = put;
  return {
    langgraph: 'writes',
    format: RECORD_FORMAT,
    thread_id: threadId,
    checkpoint_ns: ns,
    checkpoint_id: checkpointId,
    task_id: taskId,
    task_path: taskPath ?? '',
    writes: await Promise.all(
      writes.map(async ([channel, value], idx) => ({
        idx: WRITES_IDX_MAP[channel] || idx,
        channel,
        value: encodeBlob(await serde.dumpsTyped(value)),
      })),
    ),
  };
}

/**
 * LangGraph (durability "async") sends a step's writes without waiting for the put of the
 * checkpoint they belong to, so writes no put carried (see WriteQueue) can be stored before it.
 * Their session checkpoint ids are kept here until a put of their checkpoint names them in its
 * record (`early_writes`); the puts under way are known, so that writes stored on their own wait
 * for the put of their checkpoint.
 */
export class PutOrder {
  private readonly earlyWrites = new Map<string, Promise<string | null>[]>();
  private readonly puts = new Map<string, Promise<unknown>>();

  /** The writes stored (or being stored) before this put, forgotten here: the put's record names them. */
  takeEarlyWrites(key: string): Promise<string | null>[] {
    const early = this.earlyWrites.get(key) ?? [];
    this.earlyWrites.delete(key);
    return early;
  }

  /** Registers a put under way until it settles. */
  trackPut(key: string, stored: Promise<unknown>): void {
    this.puts.set(key, stored);
    const forget = () => {
      if (this.puts.get(key) === stored) this.puts.delete(key);
    };
    stored.then(forget, forget);
  }

  putUnderWay(key: string): Promise<unknown> | undefined {
    return this.puts.get(key);
  }

  noteEarlyWrites(key: string, stored: Promise<string>): void {
    const pending = stored.catch(() => null);
    const known = this.earlyWrites.get(key);
    if (known) {
      known.push(pending);
      return;
    }
    this.earlyWrites.set(key, [pending]);
    if (this.earlyWrites.size > EARLY_WRITES_CHECKPOINTS) this.earlyWrites.delete(this.earlyWrites.keys().next().value!);
  }
}
