// A thread session's checkpoints read as LangGraph records: newest first, page by page, or those
// of one phase, going on into the sessions it was recovered from.
import type { Session, SessionStateClient } from '@session-state/client';
import { parseRecord, type LangGraphRecord } from './records.js';

/**
 * Pages grow as a scan goes deeper. The first holds one record: a thread read at the start of an
 * invoke ends with its latest checkpoint, which is all a getTuple needs (records are large, each
 * carries the channel values its checkpoint changed).
 */
const PAGE_SIZES = [1, 10, 50, 200] as const;
/** A phase holds one checkpoint's record, or its few writes records: one page is nearly always all. */
const PHASE_PAGE_SIZE = 200;

export interface StoredRecord {
  /** The session checkpoint (`ckpt_…`) holding the record. */
  sessionCheckpointId: string;
  record: LangGraphRecord;
}

/** A session of the thread's log and the one it was recovered from, if any. */
interface SessionLink {
  sessionId: string;
  recoveredFrom: string | null;
}

/**
 * The records of a thread's session, fetched lazily and kept, so that one saver call can read as
 * much as it needs, and read again, with each page fetched once: newest first, page by page
 * (`records`), or only those of one phase (`recordsOfPhase`). When the session came out of an
 * emergency recovery, both go on into the session it was recovered from, so the thread keeps its
 * history across the fresh budget.
 */
export class RecordLog {
  private readonly fetched: StoredRecord[] = [];
  private readonly byCheckpointId = new Map<string, LangGraphRecord>();
  /** The session and those it was recovered from, newest first, as far as they were looked up. */
  private readonly chain: SessionLink[];
  /** Where in `chain` the newest-first scan reads; null when it has read everything. */
  private scanning: number | null = 0;
  private cursor: string | undefined = undefined;
  private pages = 0;
  readonly sessionId: string;

  constructor(
    private readonly client: SessionStateClient,
    session: Session,
  ) {
    this.sessionId = session.session_id;
    this.chain = [{ sessionId: session.session_id, recoveredFrom: session.recovered_from_session_id }];
  }

  async *records(): AsyncGenerator<StoredRecord> {
    for (let i = 0; ; i += 1) {
      while (i >= this.fetched.length) {
        if (this.scanning === null) return;
        await this.fetchPage(this.scanning);
      }
      yield this.fetched[i]!;
    }
  }

  /** The records `records()` has fetched so far, newest first; no request. */
  scanned(): readonly StoredRecord[] {
    return this.fetched;
  }

  /**
   * The records of the session checkpoints of exactly `phase`, newest first, fetched with the
   * service's phase filter (no scan), a session of the chain at a time as the caller reads on.
   */
  async *recordsOfPhase(phase: string): AsyncGenerator<StoredRecord> {
    for (let i = 0; ; i += 1) {
      const link = await this.linkAt(i);
      if (!link) return;
      let cursor: string | undefined;
      do {
        const { data } = await this.client.GET('/v1/sessions/{id}/checkpoints', {
          params: { path: { id: link.sessionId }, query: { phase, limit: PHASE_PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
        });
        for (const checkpoint of data.data) {
          const record = parseRecord(checkpoint.context_snapshot);
          if (!record) continue;
          this.byCheckpointId.set(checkpoint.checkpoint_id, record);
          yield { sessionCheckpointId: checkpoint.checkpoint_id, record };
        }
        cursor = data.next_cursor ?? undefined;
      } while (cursor);
    }
  }

  /** The record held by a session checkpoint, fetched on its own if not seen yet. */
  async recordAt(sessionCheckpointId: string): Promise<LangGraphRecord | null> {
    const known = this.byCheckpointId.get(sessionCheckpointId);
    if (known) return known;
    const { data } = await this.client.GET('/v1/checkpoints/{id}', { params: { path: { id: sessionCheckpointId } } });
    const record = parseRecord(data.context_snapshot);
    if (record) this.byCheckpointId.set(sessionCheckpointId, record);
    return record;
  }

  /** The i-th session of the chain (0: the thread's live session), looked up once; undefined past its end. */
  private async linkAt(i: number): Promise<SessionLink | undefined> {
    while (i >= this.chain.length) {
      const previous = this.chain.at(-1)!.recoveredFrom;
      if (previous === null || this.chain.some((link) => link.sessionId === previous)) return undefined;
      const { data: session } = await this.client.GET('/v1/sessions/{id}', { params: { path: { id: previous } } });
      this.chain.push({ sessionId: session.session_id, recoveredFrom: session.recovered_from_session_id });
    }
    return this.chain[i];
  }

  private async fetchPage(at: number): Promise<void> {
    const { sessionId } = (await this.linkAt(at))!;
    const limit = PAGE_SIZES[Math.min(this.pages, PAGE_SIZES.length - 1)]!;
    this.pages += 1;
    const { data } = await this.client.GET('/v1/sessions/{id}/checkpoints', {
      params: { path: { id: sessionId }, query: { limit, ...(this.cursor ? { cursor: this.cursor } : {}) } },
    });
    for (const checkpoint of data.data) {
      const record = parseRecord(checkpoint.context_snapshot);
      if (!record) continue;
      this.fetched.push({ sessionCheckpointId: checkpoint.checkpoint_id, record });
      this.byCheckpointId.set(checkpoint.checkpoint_id, record);
    }
    if (data.next_cursor) {
      this.cursor = data.next_cursor;
      return;
    }
    this.cursor = undefined;
    this.scanning = (await this.linkAt(at + 1)) ? at + 1 : null;
  }
}
