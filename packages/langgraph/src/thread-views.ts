// Two ways one saver call reads a thread's records: asking for the phases of a known checkpoint, or
// scanning back from the newest only as far as it needs (getTuple); or loading them all (list).
import { ProblemError } from '@session-state/client';
import { checkpointPhase, writesPhase, type CheckpointRecord, type WritesRecord } from './records.js';
import type { RecordLog, StoredRecord } from './record-log.js';

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

const isCheckpointOf =
  (ns: string, checkpointId: string) =>
  (stored: StoredRecord): stored is StoredCheckpoint =>
    stored.record.langgraph === 'checkpoint' && stored.record.checkpoint_ns === ns && stored.record.checkpoint_id === checkpointId;

/**
 * The newest record of a checkpoint, asked for by its phase; the newest checkpoint of `ns` when no
 * id is given, which only a scan from the newest record finds.
 */
export async function findCheckpoint(log: RecordLog, ns: string, checkpointId: string | undefined): Promise<StoredCheckpoint | undefined> {
  if (checkpointId !== undefined) {
    const wanted = isCheckpointOf(ns, checkpointId);
    for await (const stored of log.recordsOfPhase(checkpointPhase(checkpointId))) if (wanted(stored)) return stored;
    return undefined;
  }
  for await (const { sessionCheckpointId, record } of log.records()) {
    if (record.langgraph === 'checkpoint' && record.checkpoint_ns === ns) return { sessionCheckpointId, record };
  }
  return undefined;
}

const isWritesOf =
  (ns: string, checkpointId: string) =>
  (stored: StoredRecord): stored is { sessionCheckpointId: string; record: WritesRecord } =>
    stored.record.langgraph === 'writes' && stored.record.checkpoint_ns === ns && stored.record.checkpoint_id === checkpointId;

/**
 * Reads only what each question needs. A checkpoint's writes: when the scan has already read back
 * to the checkpoint, the writes it read past (they are newer than the checkpoint); otherwise those
 * of its writes phase, asked for. Either way those its record names in `early_writes` (stored before
 * it, possibly in an older session) are added, each fetched on its own unless already read.
 */
export function scanningView(threadId: string, log: RecordLog): ThreadView {
  return {
    threadId,
    log,
    async writesOf(ns, checkpointId, earlyWrites = []) {
      const writes = isWritesOf(ns, checkpointId);
      const scanned = log.scanned();
      const at = scanned.findIndex(isCheckpointOf(ns, checkpointId));
      let found: { sessionCheckpointId: string; record: WritesRecord }[];
      if (at >= 0) {
        found = scanned.slice(0, at).filter(writes);
      } else {
        found = [];
        for await (const stored of log.recordsOfPhase(writesPhase(checkpointId))) if (writes(stored)) found.push(stored);
      }
      const have = new Set(found.map((stored) => stored.sessionCheckpointId));
      const early: WritesRecord[] = [];
      for (const sessionCheckpointId of earlyWrites) {
        if (have.has(sessionCheckpointId)) continue;
        const record = await log.recordAt(sessionCheckpointId).catch((error: unknown) => {
          // Pruned by retention along with what it belonged to: nothing left to return.
          if (error instanceof ProblemError && error.status === 404) return null;
          throw error;
        });
        if (record?.langgraph === 'writes' && record.checkpoint_ns === ns && record.checkpoint_id === checkpointId) early.push(record);
      }
      return [...early, ...found.map((stored) => stored.record).reverse()];
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
