// Two ways one saver call reads a thread's records: scanning back only as far as it needs
// (getTuple), or loading them all (list).
import { ProblemError } from '../client/index.js';
import type { CheckpointRecord, WritesRecord } from './records.js';
import type { RecordLog } from './thread-store.js';

export interface StoredCheckpoint {
  sessionCheckpointId: string;
  record: CheckpointRecord;
}

/** A thread's LangGraph records, as one saver call reads them. */
export interface ThreadView {
  threadId: string;
  log: RecordLog;
  /**
   * The writes records of a checkpoint, oldest first. `earlyWrites`: the session checkpoints its
   * record names as holding writes stored before it.
   */
  writesOf(ns: string, checkpointId: string, earlyWrites?: readonly string[]): Promise<WritesRecord[]>;
}

export const keyOf = (sessionId: string, ns: string, checkpointId: string): string => JSON.stringify([sessionId, ns, checkpointId]);

/** The newest record of a checkpoint, or the newest checkpoint of `ns` when no id is given. */
export async function findCheckpoint(log: RecordLog, ns: string, checkpointId: string | undefined): Promise<StoredCheckpoint | undefined> {
  for await (const { sessionCheckpointId, record } of log.records()) {
    if (record.langgraph !== 'checkpoint' || record.checkpoint_ns !== ns) continue;
    if (checkpointId !== undefined && record.checkpoint_id !== checkpointId) continue;
    return { sessionCheckpointId, record };
  }
  return undefined;
}

/**
 * Reads as far back as each question needs: a checkpoint's writes are newer than the checkpoint,
 * except those its record names in `early_writes`, which are fetched one by one.
 */
export function scanningView(threadId: string, log: RecordLog): ThreadView {
  return {
    threadId,
    log,
    async writesOf(ns, checkpointId, earlyWrites = []) {
      const found: WritesRecord[] = [];
      for await (const { record } of log.records()) {
        if (record.checkpoint_ns !== ns || record.checkpoint_id !== checkpointId) continue;
        if (record.langgraph === 'checkpoint') break;
        found.push(record);
      }
      const early: WritesRecord[] = [];
      for (const sessionCheckpointId of earlyWrites) {
        const record = await log.recordAt(sessionCheckpointId).catch((error: unknown) => {
          // Pruned by retention along with what it belonged to: nothing left to return.
          if (error instanceof ProblemError && error.status === 404) return null;
          throw error;
        });
        if (record?.langgraph === 'writes' && record.checkpoint_ns === ns && record.checkpoint_id === checkpointId) early.push(record);
      }
      return [...early, ...found.reverse()];
    },
  };
}

/**
 * Reads the whole thread: its checkpoints (the newest record of each) by id descending, and all
 * writes, wherever they are in the log (so `early_writes` adds nothing here).
 */
export async function loadedView(threadId: string, log: RecordLog): Promise<ThreadView & { checkpoints: StoredCheckpoint[] }> {
  const key = (ns: string, checkpointId: string) => keyOf(log.sessionId, ns, checkpointId);
  const checkpoints = new Map<string, StoredCheckpoint>();
  const writes = new Map<string, WritesRecord[]>();
  for await (const { sessionCheckpointId, record } of log.records()) {
    const k = key(record.checkpoint_ns, record.checkpoint_id);
    if (record.langgraph === 'writes') {
      const known = writes.get(k);
      if (known) known.push(record);
      else writes.set(k, [record]);
    } else if (!checkpoints.has(k)) {
      checkpoints.set(k, { sessionCheckpointId, record });
    }
  }
  return {
    threadId,
    log,
    checkpoints: [...checkpoints.values()].sort((a, b) => (a.record.checkpoint_id < b.record.checkpoint_id ? 1 : -1)),
    writesOf: async (ns, checkpointId) => [...(writes.get(key(ns, checkpointId)) ?? [])].reverse(),
  };
}
