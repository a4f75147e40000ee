// Pending writes held back for a moment so that they travel with a put, in its request, instead of
// costing a request of their own.
//
// LangGraph calls putWrites(C) as each task of the step after checkpoint C finishes, and put(D)
// for the next checkpoint D (whose parent is C) once the step is over; with durability "async" it
// runs ahead of the saver, so the writes of several steps can come before the put of their own
// checkpoint. A put therefore takes the held writes of its parent (stored before its record) and
// its own (stored after it). Writes no put takes are stored on their own, in one request, once no
// put of their thread is under way and none has begun for `graceMs` (the run is over, it was
// interrupted, or a task failed), or after `maxHoldMs` (10 s) however busy the thread is. putWrites
// resolves only when its writes are stored: LangGraph waits for that at the end of a run (and after
// each step with durability "sync"), so what it reads back later is there.
import type { WritesRecord } from './records.js';

/** How long held writes wait for a put, once none of their thread is under way. */
export const WRITES_GRACE_MS = 10;
/**
 * The longest writes are held while puts keep their thread busy. Generous: the puts they wait for
 * are queued in LangGraph's own chain (as much in memory as the writes), and a run ends only once
 * every put and write is stored, so this only bounds callers that keep a thread busy otherwise.
 */
export const WRITES_MAX_HOLD_MS = 10_000;

export interface HeldWrite {
  checkpointId: string;
  record: Promise<WritesRecord>;
  heldAt: number;
  stored(sessionCheckpointId: string): void;
  failed(error: unknown): void;
}

/** The writes a put carries: its parent's (stored before its record) and its own (after). */
export interface CarriedWrites {
  before: HeldWrite[];
  after: HeldWrite[];
  /** Call once the put has settled. */
  done(): void;
}

interface Lane {
  held: HeldWrite[];
  puts: number;
  timer: ReturnType<typeof setTimeout> | undefined;
}

export type FlushWrites = (threadId: string, ns: string, held: HeldWrite[]) => void;

/** Held writes per thread and namespace (a subgraph's puts do not carry its parent graph's writes). */
export class WriteQueue {
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly flush: FlushWrites,
    private readonly graceMs = WRITES_GRACE_MS,
    private readonly maxHoldMs = WRITES_MAX_HOLD_MS,
  ) {}

  /** Holds one putWrites' record; resolves with the session checkpoint that stored it. */
  hold(threadId: string, ns: string, checkpointId: string, record: Promise<WritesRecord>): Promise<string> {
    // Awaited when it is sent; until then, a failed serialization is no unhandled rejection.
    record.catch(() => undefined);
    return new Promise<string>((stored, failed) => {
      const lane = this.laneOf(threadId, ns);
      lane.held.push({ checkpointId, record, heldAt: Date.now(), stored, failed });
      this.arm(threadId, ns, lane);
    });
  }

  /** A put of `checkpointId`, child of `parentId`, begins: it takes the writes it carries. */
  beginPut(threadId: string, ns: string, checkpointId: string, parentId: string | undefined): CarriedWrites {
    const lane = this.laneOf(threadId, ns);
    const before: HeldWrite[] = [];
    const after: HeldWrite[] = [];
    const kept: HeldWrite[] = [];
    for (const held of lane.held) {
      if (parentId !== undefined && held.checkpointId === parentId) before.push(held);
      else if (held.checkpointId === checkpointId) after.push(held);
      else kept.push(held);
    }
    lane.held = kept;
    lane.puts += 1;
    this.arm(threadId, ns, lane);
    let settled = false;
    return {
      before,
      after,
      done: () => {
        if (settled) return;
        settled = true;
        lane.puts -= 1;
        this.arm(threadId, ns, lane);
      },
    };
  }

  private laneOf(threadId: string, ns: string): Lane {
    const key = JSON.stringify([threadId, ns]);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { held: [], puts: 0, timer: undefined };
      this.lanes.set(key, lane);
    }
    return lane;
  }

  /** (Re)starts the lane's timer for what it holds; forgets a lane with nothing held and no put. */
  private arm(threadId: string, ns: string, lane: Lane): void {
    clearTimeout(lane.timer);
    lane.timer = undefined;
    if (lane.held.length === 0) {
      if (lane.puts === 0) this.lanes.delete(JSON.stringify([threadId, ns]));
      return;
    }
    const delay = lane.puts === 0 ? this.graceMs : Math.max(0, this.maxHoldMs - (Date.now() - lane.held[0]!.heldAt));
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      const held = lane.held.splice(0);
      if (lane.puts === 0) this.lanes.delete(JSON.stringify([threadId, ns]));
      this.flush(threadId, ns, held);
    }, delay);
  }
}
