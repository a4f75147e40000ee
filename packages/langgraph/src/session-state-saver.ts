import { isDeepStrictEqual } from 'node:util';
import type { UsageMetadata } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  getCheckpointId,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { createClient, type ClientOptions, type Session, type SessionStateClient, type UsageResult } from '@session-state/client';
import { checkpointRecord, putKeyOf, PutOrder, writesRecord, type CheckpointPut } from './checkpoint-writes.js';
import { loadBlob, toTuple } from './checkpoint-tuples.js';
import { checkpointPhase, writesPhase } from './records.js';
import { createThreadStore, type NewSessionFields, type RecordLog, type ThreadStore, type UsageReport } from './thread-store.js';
import { WriteQueue, type CarriedWrites, type HeldWrite } from './write-queue.js';
import { isUsageMetadata, sumUsageMetadata } from './usage-callback.js';
import { findCheckpoint, keyOf, loadedView, scanningView, type StoredCheckpoint, type ThreadView } from './thread-views.js';

export interface SessionStateSaverOptions extends Omit<ClientOptions, 'baseUrl' | 'apiKey'> {
  /** Where the Session State Service listens, e.g. `http://localhost:3000`. */
  baseUrl?: string;
  /** The project's API key. */
  apiKey?: string;
  /** An existing client of the service, instead of `baseUrl` and `apiKey`. */
  client?: SessionStateClient;
  /** Fields of the session created for each new thread: `token_budget`, `model`, `thresholds`, `metadata`… */
  session?: NewSessionFields;
  /** How checkpoint values are serialized (LangGraph's JsonPlusSerializer by default). */
  serde?: SerializerProtocol;
}

/** Checkpoints this saver wrote lately, so that the next put finds its parent without a request. */
const RECENT_CHECKPOINTS = 256;

function threadIdOf(config: RunnableConfig): string | undefined {
  const threadId: unknown = config.configurable?.thread_id;
  return threadId === undefined || threadId === null ? undefined : String(threadId);
}

/**
 * A LangGraph checkpointer that keeps each thread in a Session State Service session: the session's
 * task_id is `langgraph:<thread_id>`, every LangGraph checkpoint and every batch of pending writes is
 * one of its checkpoints. The thread thereby gets the service's token budget, threshold webhooks,
 * usage history and export; `recordUsage` reports a model call's tokens to it.
 *
 * ```ts
 * const checkpointer = new SessionStateSaver({ baseUrl: 'http://localhost:3000', apiKey: process.env.SSS_API_KEY! });
 * const graph = workflow.compile({ checkpointer });
 * ```
 */
export class SessionStateSaver extends BaseCheckpointSaver {
  private readonly store: ThreadStore;
  private readonly recent = new Map<string, StoredCheckpoint>();
  private readonly order = new PutOrder();
  private readonly writes = new WriteQueue((threadId, ns, held) => this.flushWrites(threadId, ns, held));

  constructor(options: SessionStateSaverOptions) {
    super(options.serde);
    const { client, baseUrl, apiKey, fetch, retries, timeoutMs, headers } = options;
    if (!client && (!baseUrl || !apiKey)) throw new TypeError('SessionStateSaver: give baseUrl and apiKey, or a client');
    this.store = createThreadStore({
      client: client ?? createClient({ baseUrl: baseUrl!, apiKey: apiKey!, fetch, retries, timeoutMs, headers }),
      newSession: options.session,
    });
  }

  /** The live session of a thread, or undefined before its first checkpoint (or after deleteThread). */
  async sessionOf(threadId: string): Promise<Session | undefined> {
    return this.store.liveSession(threadId);
  }

  /**
   * Reports a model call's tokens to the thread's session (created if the thread has none yet):
   * `{ input_tokens, output_tokens }`, `{ tokens }`, `{ provider, usage }`, or a LangChain message's
   * `usage_metadata` as it is (sent as `provider: "langchain"`, so its cache reads and writes are
   * counted and priced as such). Returns the budget after it, its classes and cost, and the
   * thresholds it crossed; the service sends the threshold webhooks. With an `idempotencyKey`, a
   * retried report counts once.
   */
  async recordUsage(
    threadId: string,
    usage: UsageReport | UsageMetadata,
    options: { idempotencyKey?: string; model?: string; source?: string } = {},
  ): Promise<UsageResult> {
    const session = await this.store.currentSession(threadId);
    const { tokens, input_tokens, output_tokens, provider, model, source } = usage as UsageReport;
    const fields = isUsageMetadata(usage)
      ? { provider: 'langchain' as const, usage: sumUsageMetadata([usage]) }
      : { tokens, input_tokens, output_tokens, provider, usage: (usage as UsageReport).usage };
    // Only the fields the service takes.
    const report = Object.fromEntries(
      Object.entries({ ...fields, model: options.model ?? model, source: options.source ?? source }).filter(([, value]) => value !== undefined),
    ) as UsageReport;
    return this.store.recordUsage(session, report, options.idempotencyKey);
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = threadIdOf(config);
    if (threadId === undefined) return undefined;
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const checkpointId = getCheckpointId(config) || undefined;
    // The session is looked up every time (another process may have deleted or recovered the
    // thread); the session this saver knows is read at the same time, and its answer used if the
    // look-up finds that same session.
    const known = this.store.knownSession(threadId);
    const early = known ? this.readCheckpoint(threadId, known, ns, checkpointId) : undefined;
    early?.catch(() => undefined);
    const session = await this.store.liveSession(threadId);
    if (!session) return undefined;
    const { view, stored } =
      early && session.session_id === known!.session_id ? await early : await this.readCheckpoint(threadId, session, ns, checkpointId);
    return stored ? this.toTuple(view, stored) : undefined;
  }

  private async readCheckpoint(
    threadId: string,
    session: Session,
    ns: string,
    checkpointId: string | undefined,
  ): Promise<{ view: ThreadView; stored: StoredCheckpoint | undefined }> {
    const view = scanningView(threadId, this.store.log(session));
    return { view, stored: await this.findCheckpoint(view.log, ns, checkpointId) };
  }

  override async *list(config: RunnableConfig, options: CheckpointListOptions = {}): AsyncGenerator<CheckpointTuple> {
    const { before, filter } = options;
    let { limit } = options;
    const threadId = threadIdOf(config);
    const ns: string | undefined = config.configurable?.checkpoint_ns;
    const checkpointId: string | undefined = config.configurable?.checkpoint_id || undefined;
    const beforeId: string | undefined = before?.configurable?.checkpoint_id || undefined;

    const threads =
      threadId === undefined
        ? await this.store.liveThreadSessions()
        : await this.store.liveSession(threadId).then((session) => (session ? [{ threadId, session }] : []));
    for (const thread of threads) {
      const view = await loadedView(thread.threadId, this.store.log(thread.session));
      for (const stored of view.checkpoints) {
        const { record } = stored;
        if (ns !== undefined && record.checkpoint_ns !== ns) continue;
        if (checkpointId !== undefined && record.checkpoint_id !== checkpointId) continue;
        if (beforeId !== undefined && record.checkpoint_id >= beforeId) continue;
        if (filter && Object.keys(filter).length > 0) {
          const metadata = (await loadBlob(this.serde, record.metadata)) as Record<string, unknown>;
          if (!Object.entries(filter).every(([key, value]) => isDeepStrictEqual(metadata[key], value))) continue;
        }
        if (limit !== undefined) {
          if (limit <= 0) return;
          limit -= 1;
        }
        yield await this.toTuple(view, stored);
      }
    }
  }

  override async put(
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
  ): Promise<RunnableConfig> {
    const threadId = threadIdOf(config);
    if (threadId === undefined) {
      throw new Error('Failed to put checkpoint: the config has no configurable.thread_id, which names the thread (and its session)');
    }
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const parentId: string | undefined = config.configurable?.checkpoint_id || undefined;
    // Before any await: writes stored on their own from now on come after this put, and the held
    // writes it carries are its own.
    const key = putKeyOf(threadId, ns, checkpoint.id);
    const early = this.order.takeEarlyWrites(key);
    const carried = this.writes.beginPut(threadId, ns, checkpoint.id, parentId);
    const stored = this.putCheckpoint({ threadId, ns, parentId, checkpoint, metadata, newVersions }, early, carried);
    this.order.trackPut(key, stored);
    stored.then(carried.done, carried.done);
    return stored;
  }

  /** Stores the checkpoint's record with the held writes it carries, in one request. */
  private async putCheckpoint(
    put: Omit<CheckpointPut, 'parent' | 'earlyWrites'>,
    early: Promise<string | null>[],
    carried: CarriedWrites,
  ): Promise<RunnableConfig> {
    const { threadId, ns, parentId, checkpoint } = put;
    const carriedWrites = [...carried.before, ...carried.after];
    try {
      const earlyWrites = (await Promise.all(early)).filter((id): id is string => id !== null).sort();
      // The parent's writes go after the parent's record: LangGraph chains puts anyway, a direct caller may not.
      if (parentId && carried.before.length > 0) await this.order.putUnderWay(putKeyOf(threadId, ns, parentId))?.catch(() => undefined);
      const session = await this.store.ensureSession(threadId);
      const parent = parentId ? await this.findCheckpoint(this.store.log(session), ns, parentId) : undefined;
      const record = await checkpointRecord(this.serde, { ...put, parent, earlyWrites });
      const writesEntry = async (held: HeldWrite) => ({ phase: writesPhase(held.checkpointId), record: await held.record });
      const entries = [
        ...(await Promise.all(carried.before.map(writesEntry))),
        { phase: checkpointPhase(checkpoint.id), record },
        ...(await Promise.all(carried.after.map(writesEntry))),
      ];
      const { sessionId, ids } = await this.store.append(threadId, session, entries);
      const at = carried.before.length;
      this.remember(sessionId, { sessionCheckpointId: ids[at]!, record });
      carried.before.forEach((held, i) => held.stored(ids[i]!));
      carried.after.forEach((held, i) => held.stored(ids[at + 1 + i]!));
    } catch (error) {
      for (const held of carriedWrites) held.failed(error);
      throw error;
    }
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  /** Held until a put carries them (see WriteQueue); resolves once they are stored. */
  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = threadIdOf(config);
    const checkpointId: string | undefined = config.configurable?.checkpoint_id || undefined;
    if (threadId === undefined) throw new Error('Failed to put writes: the config has no configurable.thread_id');
    if (checkpointId === undefined) throw new Error('Failed to put writes: the config has no configurable.checkpoint_id');
    if (writes.length === 0) return;
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const record = writesRecord(this.serde, { threadId, ns, checkpointId, writes, taskId, taskPath });
    await this.writes.hold(threadId, ns, checkpointId, record);
  }

  /**
   * Stores writes no put carried, in one request: each after the put of its checkpoint when one is
   * under way, and named as early writes by a put of its checkpoint that comes later.
   */
  private flushWrites(threadId: string, ns: string, held: HeldWrite[]): void {
    const putting = held.map((write) => this.order.putUnderWay(putKeyOf(threadId, ns, write.checkpointId))?.catch(() => undefined));
    const stored = (async () => {
      await Promise.all(putting);
      const session = await this.store.ensureSession(threadId);
      const records = await Promise.all(held.map((write) => write.record));
      const entries = records.map((record, i) => ({ phase: writesPhase(held[i]!.checkpointId), record }));
      return (await this.store.append(threadId, session, entries)).ids;
    })();
    held.forEach((write, i) => {
      const id = stored.then((ids) => ids[i]!);
      this.order.noteEarlyWrites(putKeyOf(threadId, ns, write.checkpointId), id);
      id.then(write.stored, write.failed);
    });
  }

  /** Archives the thread's session: its checkpoints stay readable through the API, not to LangGraph. */
  override async deleteThread(threadId: string): Promise<void> {
    await this.store.archiveThread(String(threadId));
  }

  private remember(sessionId: string, stored: StoredCheckpoint): void {
    const key = keyOf(sessionId, stored.record.checkpoint_ns, stored.record.checkpoint_id);
    this.recent.delete(key);
    this.recent.set(key, stored);
    if (this.recent.size > RECENT_CHECKPOINTS) this.recent.delete(this.recent.keys().next().value!);
  }

  /** The newest record of a checkpoint (the latest one of `ns` when no id is given). */
  private async findCheckpoint(log: RecordLog, ns: string, checkpointId: string | undefined): Promise<StoredCheckpoint | undefined> {
    const recent = checkpointId === undefined ? undefined : this.recent.get(keyOf(log.sessionId, ns, checkpointId));
    return recent ?? findCheckpoint(log, ns, checkpointId);
  }

  private toTuple(view: ThreadView, stored: StoredCheckpoint): Promise<CheckpointTuple> {
    return toTuple({ serde: this.serde, nextVersion: (current) => this.getNextVersion(current) }, view, stored);
  }
}
