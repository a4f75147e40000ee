import type { Checkpoint, CheckpointMetadata, CheckpointPendingWrite, CheckpointTuple, SerializerProtocol } from '@langchain/langgraph-checkpoint';
import { TASKS, maxChannelVersion } from '@langchain/langgraph-checkpoint';
import { ProblemError } from '@session-state/client';
import { decodeBlob, mergeWrites, type CheckpointRecord, type TypedBlob } from './records.js';
import type { RecordLog } from './record-log.js';
import type { StoredCheckpoint, ThreadView } from './thread-views.js';

/**
 * The read side of the saver: a stored checkpoint record turned back into LangGraph's
 * CheckpointTuple (its values deserialized, channel values followed to the ancestor that holds them,
 * its pending writes gathered).
 */
export interface TupleReading {
  serde: SerializerProtocol;
  /** The saver's getNextVersion, for the pending-sends channel of checkpoints before format 4. */
  nextVersion: (current: undefined) => string | number;
}

export function loadBlob(serde: SerializerProtocol, blob: TypedBlob): Promise<unknown> {
  return serde.loadsTyped(blob.type, decodeBlob(blob));
}

export async function toTuple({ serde, nextVersion }: TupleReading, view: ThreadView, { record }: StoredCheckpoint): Promise<CheckpointTuple> {
  const { checkpoint_ns: ns, checkpoint_id: checkpointId, parent_checkpoint_id: parentId } = record;
  const checkpoint = (await loadBlob(serde, record.checkpoint)) as Checkpoint;
  checkpoint.channel_values = await channelValues(serde, view.log, record);

  const pendingWrites: CheckpointPendingWrite[] = await Promise.all(
    mergeWrites(await view.writesOf(ns, checkpointId, record.early_writes)).map(async (write) => [
      write.taskId,
      write.channel,
      await loadBlob(serde, write.value),
    ]),
  );
  // Checkpoints before format 4 kept the parent's pending sends out of the state (as MemorySaver migrates them).
  if (checkpoint.v < 4 && parentId) {
    const sends = mergeWrites(await view.writesOf(ns, parentId)).filter((write) => write.channel === TASKS);
    checkpoint.channel_values[TASKS] = await Promise.all(sends.map((write) => loadBlob(serde, write.value)));
    const versions = Object.values(checkpoint.channel_versions);
    checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : nextVersion(undefined);
  }

  const configurable = { thread_id: view.threadId, checkpoint_ns: ns };
  return {
    config: { configurable: { ...configurable, checkpoint_id: checkpointId } },
    checkpoint,
    metadata: (await loadBlob(serde, record.metadata)) as CheckpointMetadata,
    pendingWrites,
    ...(parentId ? { parentConfig: { configurable: { ...configurable, checkpoint_id: parentId } } } : {}),
  };
}

/** Channel values: inline, or from the ancestor's session checkpoint its entry refers to. */
async function channelValues(serde: SerializerProtocol, log: RecordLog, record: CheckpointRecord): Promise<Record<string, unknown>> {
  const values: Record<string, unknown> = {};
  for (const [channel, entry] of Object.entries(record.channels)) {
    let blob = entry.value;
    if (!blob && entry.ref) {
      const holder = await log.recordAt(entry.ref).catch((error: unknown) => {
        if (!(error instanceof ProblemError && error.status === 404)) throw error;
        throw new Error(
          `checkpoint ${record.checkpoint_id} of thread ${record.thread_id}: the value of channel ${JSON.stringify(channel)} is in ` +
            `session checkpoint ${entry.ref}, which no longer exists (was it pruned by CHECKPOINT_RETENTION_DAYS?)`,
          { cause: error },
        );
      });
      const held = holder?.langgraph === 'checkpoint' && Object.hasOwn(holder.channels, channel) ? holder.channels[channel] : undefined;
      if (held?.version === entry.version) blob = held.value;
    }
    if (blob) values[channel] = await loadBlob(serde, blob);
  }
  return values;
}
