// The HTTP side of the saver: one session per LangGraph thread, found by its task_id, and the
// session's checkpoints read as LangGraph records: newest first, page by page, or those of one phase.
import { createHash } from 'node:crypto';
import { ProblemError, type Session, type SessionStateClient, type UsageResult, type components } from '@session-state/client';
import { parseRecord, type LangGraphRecord } from './records.js';

/** task_id of a thread's session: `langgraph:<thread_id>`. */
export const TASK_ID_PREFIX = 'langgraph:';
const MAX_TASK_ID_LENGTH = 256;
/** Pages grow as a scan goes deeper: most reads stop within the first few newest checkpoints. */
const PAGE_SIZES = [10, 50, 200] as const;
/** A phase holds one checkpoint's record, or its few writes records: one page is nearly always all. */
const PHASE_PAGE_SIZE = 200;
const SESSION_PAGE_SIZE = 200;
/** How often a put retries finding or creating the thread's session when another writer races it. */
const SESSION_ATTEMPTS = 8;
/** The first wait when another writer's create of the session is under way (it grows per attempt). */
const IN_PROGRESS_WAIT_MS = 50;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type NewSessionFields = Pick<
  components['schemas']['CreateSessionRequestInput'],
  'model' | 'token_budget' | 'thresholds' | 'non_critical_keys' | 'metadata'
>;
export type UsageReport = components['schemas']['RecordUsageRequestInput'];

export interface StoredRecord {
  /** The session checkpoint (`ckpt_…`) holding the record. */
  sessionCheckpointId: string;
  record: LangGraphRecord;
}

export function taskIdOf(threadId: string): string {
  const taskId = `${TASK_ID_PREFIX}${threadId}`;
  if (threadId.length === 0 || taskId.length > MAX_TASK_ID_LENGTH) {
    throw new Error(`thread_id must be 1 to ${MAX_TASK_ID_LENGTH - TASK_ID_PREFIX.length} characters to map to a session task_id`);
  }
  return taskId;
}

const isLive = (session: Session): boolean => session.status !== 'archived';

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

export interface ThreadStoreOptions {
  client: SessionStateClient;
  /** Fields of the sessions created for new threads (budget, model, thresholds, metadata). */
  newSession?: NewSessionFields;
}

export function createThreadStore({ client, newSession = {} }: ThreadStoreOptions) {
  /** Every session of the thread, newest first (archived ones included). */
  async function sessionsOf(threadId: string): Promise<Session[]> {
    const sessions: Session[] = [];
    let cursor: string | undefined;
    do {
      const { data } = await client.GET('/v1/sessions', {
        params: { query: { task_id: taskIdOf(threadId), limit: SESSION_PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
      });
      sessions.push(...data.data);
      cursor = data.next_cursor ?? undefined;
    } while (cursor);
    return sessions;
  }

  /** The thread's live session; a deleted thread's sessions are archived and not returned. */
  async function liveSession(threadId: string): Promise<Session | undefined> {
    return (await sessionsOf(threadId)).find(isLive);
  }

  /**
   * The thread's live session, created when there is none. Writers racing to create it send the
   * same Idempotency-Key (the thread and how many sessions it had before), so they get one session.
   */
  async function ensureSession(threadId: string): Promise<Session> {
    for (let attempt = 1; ; attempt += 1) {
      const sessions = await sessionsOf(threadId);
      const live = sessions.find(isLive);
      if (live) return live;
      const key = `langgraph-thread-${createHash('sha256').update(threadId).digest('hex')}-${sessions.length}`;
      try {
        const { data: session } = await client.POST('/v1/sessions', {
          headers: { 'idempotency-key': key },
          body: {
            ...newSession,
            task_id: taskIdOf(threadId),
            metadata: { ...newSession.metadata, langgraph: { thread_id: threadId } },
          },
        });
        // A replay of a session since archived (the thread was deleted again): look again.
        if (isLive(session) || attempt >= SESSION_ATTEMPTS) return session;
      } catch (error) {
        if (!(error instanceof ProblemError) || attempt >= SESSION_ATTEMPTS) throw error;
        // Another writer is creating it under the same key right now: its session will be there shortly.
        if (error.code === 'IDEMPOTENCY_REQUEST_IN_PROGRESS') await sleep(IN_PROGRESS_WAIT_MS * attempt);
        // Another writer created it with different fields (same key, other body): use theirs.
        else if (error.code !== 'IDEMPOTENCY_KEY_REUSED') throw error;
      }
    }
  }

  return {
    liveSession,
    ensureSession,

    /** The live sessions of every thread of the project, newest first. */
    async liveThreadSessions(): Promise<{ threadId: string; session: Session }[]> {
      const threads: { threadId: string; session: Session }[] = [];
      const seen = new Set<string>();
      let cursor: string | undefined;
      do {
        const { data } = await client.GET('/v1/sessions', {
          params: { query: { limit: SESSION_PAGE_SIZE, ...(cursor ? { cursor } : {}) } },
        });
        for (const session of data.data) {
          if (!session.task_id.startsWith(TASK_ID_PREFIX) || !isLive(session) || seen.has(session.task_id)) continue;
          seen.add(session.task_id);
          threads.push({ threadId: session.task_id.slice(TASK_ID_PREFIX.length), session });
        }
        cursor = data.next_cursor ?? undefined;
      } while (cursor);
      return threads;
    },

    log: (session: Session) => new RecordLog(client, session),

    /**
     * Stores a record as a checkpoint of the thread's session. A thread deleted meanwhile (its
     * session archived by another process) gets a new session and the record goes there.
     */
    async append(threadId: string, session: Session, phase: string, record: LangGraphRecord): Promise<{ sessionCheckpointId: string }> {
      try {
        const { data } = await client.POST('/v1/sessions/{id}/checkpoints', {
          params: { path: { id: session.session_id } },
          body: { phase, context_snapshot: record as unknown as Record<string, unknown> },
        });
        return { sessionCheckpointId: data.checkpoint_id };
      } catch (error) {
        if (!(error instanceof ProblemError && error.code === 'SESSION_ARCHIVED')) throw error;
        const fresh = await ensureSession(threadId);
        const { data } = await client.POST('/v1/sessions/{id}/checkpoints', {
          params: { path: { id: fresh.session_id } },
          body: { phase, context_snapshot: record as unknown as Record<string, unknown> },
        });
        return { sessionCheckpointId: data.checkpoint_id };
      }
    },

    /** Archives every live session of the thread. */
    async archiveThread(threadId: string): Promise<void> {
      for (const session of (await sessionsOf(threadId)).filter(isLive)) {
        try {
          await client.POST('/v1/sessions/{id}/archive', { params: { path: { id: session.session_id } }, body: {} });
        } catch (error) {
          // Archived by someone else in the meantime: the thread is deleted either way.
          if (!(error instanceof ProblemError && error.code === 'SESSION_ARCHIVED')) throw error;
        }
      }
    },

    async recordUsage(session: Session, usage: UsageReport, idempotencyKey?: string): Promise<UsageResult> {
      const { data } = await client.POST('/v1/sessions/{id}/usage', {
        params: { path: { id: session.session_id }, ...(idempotencyKey ? { header: { 'idempotency-key': idempotencyKey } } : {}) },
        body: usage,
      });
      return data;
    },
  };
}

export type ThreadStore = ReturnType<typeof createThreadStore>;
