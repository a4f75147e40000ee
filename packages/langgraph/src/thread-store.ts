// The HTTP side of the saver: one session per LangGraph thread, found by its task_id (and kept, for
// the writes), records stored as its checkpoints, and its checkpoints read through a RecordLog.
import { createHash } from 'node:crypto';
import { ProblemError, type Session, type SessionStateClient, type UsageResult, type components } from '@session-state/client';
import { RecordLog } from './record-log.js';
import type { LangGraphRecord } from './records.js';

export { RecordLog, type StoredRecord } from './record-log.js';

/** task_id of a thread's session: `langgraph:<thread_id>`. */
export const TASK_ID_PREFIX = 'langgraph:';
const MAX_TASK_ID_LENGTH = 256;
const SESSION_PAGE_SIZE = 200;
/** How often a put retries finding or creating the thread's session when another writer races it. */
const SESSION_ATTEMPTS = 8;
/** The first wait when another writer's create of the session is under way (it grows per attempt). */
const IN_PROGRESS_WAIT_MS = 50;

/** Threads whose live session the store keeps, so that a put or putWrites needs no look-up first. */
const KNOWN_SESSIONS = 1024;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type NewSessionFields = Pick<
  components['schemas']['CreateSessionRequestInput'],
  'model' | 'token_budget' | 'thresholds' | 'non_critical_keys' | 'metadata' | 'count' | 'cost_limit_usd' | 'cost_thresholds'
>;
export type UsageReport = components['schemas']['RecordUsageRequestInput'];

/** A record to store as a session checkpoint of `phase`. */
export interface RecordEntry {
  phase: string;
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

  /**
   * The live session of threads this store wrote to or read lately. Writes go there without a
   * look-up: a session replaced since (deleteThread or an emergency recovery elsewhere archives it)
   * answers SESSION_ARCHIVED, and `append` looks again. Reads always look up (see `liveSession`).
   */
  const known = new Map<string, Session>();
  const creating = new Map<string, Promise<Session>>();
  function know(threadId: string, session: Session | undefined): void {
    known.delete(threadId);
    if (!session || !isLive(session)) return;
    known.set(threadId, session);
    if (known.size > KNOWN_SESSIONS) known.delete(known.keys().next().value!);
  }

  /** The thread's live session, looked up; a deleted thread's sessions are archived and not returned. */
  async function liveSession(threadId: string): Promise<Session | undefined> {
    const live = (await sessionsOf(threadId)).find(isLive);
    know(threadId, live);
    return live;
  }

  /**
   * The thread's live session as far as this store knows (no request), else looked up, else
   * created; concurrent callers for one thread share one look-up.
   */
  async function ensureSession(threadId: string): Promise<Session> {
    const session = known.get(threadId);
    if (session) return session;
    let pending = creating.get(threadId);
    if (!pending) {
      pending = findOrCreateSession(threadId).then((found) => {
        know(threadId, found);
        return found;
      });
      creating.set(threadId, pending);
      pending.finally(() => creating.delete(threadId)).catch(() => undefined);
    }
    return pending;
  }

  /**
   * The thread's live session, looked up, created when there is none. Writers racing to create it send the
   * same Idempotency-Key (the thread and how many sessions it had before), so they get one session.
   */
  async function findOrCreateSession(threadId: string): Promise<Session> {
    for (let attempt = 1; ; attempt += 1) {
      const sessions = await sessionsOf(threadId);
      const live = sessions.find(isLive);
      know(threadId, live);
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

  /** POSTs the records as checkpoints of the session, in this order, in one request; their session checkpoint ids. */
  async function post(sessionId: string, entries: readonly RecordEntry[]): Promise<string[]> {
    const headers = { prefer: 'return=minimal' };
    const snapshot = (record: LangGraphRecord) => record as unknown as Record<string, unknown>;
    if (entries.length === 1) {
      const [{ phase, record }] = entries as [RecordEntry];
      const { data } = await client.POST('/v1/sessions/{id}/checkpoints', {
        params: { path: { id: sessionId } },
        headers,
        body: { phase, context_snapshot: snapshot(record) },
      });
      return [data.checkpoint_id];
    }
    const { data } = await client.POST('/v1/sessions/{id}/checkpoints/batch', {
      params: { path: { id: sessionId } },
      headers,
      body: { checkpoints: entries.map(({ phase, record }) => ({ phase, context_snapshot: snapshot(record) })) },
    });
    return data.data.map((checkpoint) => checkpoint.checkpoint_id);
  }

  return {
    liveSession,
    ensureSession,
    /** The thread's live session, looked up (created when there is none): for usage, which must not go to a replaced session. */
    async currentSession(threadId: string): Promise<Session> {
      const session = await findOrCreateSession(threadId);
      know(threadId, session);
      return session;
    },
    /** The live session this store knows for the thread, without a request; undefined when it knows none. */
    knownSession: (threadId: string): Session | undefined => known.get(threadId),

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
     * Stores records as checkpoints of the thread's session, in this order, in one request (a
     * checkpoint with the pending writes that go with it), without the snapshots in the answer. A
     * thread whose session was replaced meanwhile (deleted, or recovered, by another process) gets
     * its live session, or a new one, and the records go there.
     */
    async append(threadId: string, session: Session, entries: readonly RecordEntry[]): Promise<{ sessionId: string; ids: string[] }> {
      try {
        return { sessionId: session.session_id, ids: await post(session.session_id, entries) };
      } catch (error) {
        if (!(error instanceof ProblemError && error.code === 'SESSION_ARCHIVED')) throw error;
        if (known.get(threadId)?.session_id === session.session_id) known.delete(threadId);
        const fresh = await ensureSession(threadId);
        return { sessionId: fresh.session_id, ids: await post(fresh.session_id, entries) };
      }
    },

    /** Archives every live session of the thread. */
    async archiveThread(threadId: string): Promise<void> {
      known.delete(threadId);
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
