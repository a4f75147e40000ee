import { isDeepStrictEqual } from 'node:util';
import type { UsageMetadata } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import {
  BaseCheckpointSaver,
  TASKS,
  WRITES_IDX_MAP,
  copyCheckpoint,
  getCheckpointId,
  maxChannelVersion,
  type ChannelVersions,
  type Checkpoint,
  type CheckpointListOptions,
  type CheckpointMetadata,
  type CheckpointPendingWrite,
  type CheckpointTuple,
  type PendingWrite,
  type SerializerProtocol,
} from '@langchain/langgraph-checkpoint';
import { ProblemError, createClient, type ClientOptions, type Session, type SessionStateClient, type UsageResult } from '@session-state/client';
import {
  RECORD_FORMAT,
  channelEntries,
  checkpointPhase,
  decodeBlob,
  encodeBlob,
  mergeWrites,
  writesPhase,
  type CheckpointRecord,
  type TypedBlob,
  type WritesRecord,
} from './records.js';
import { createThreadStore, type NewSessionFields, type RecordLog, type ThreadStore, type UsageReport } from './thread-store.js';
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
/** Checkpoints whose writes this saver sent before their put, to be named in the checkpoint's record. */
const EARLY_WRITES_CHECKPOINTS = 1024;

const putKeyOf = (threadId: string, ns: string, checkpointId: string): string => JSON.stringify([threadId, ns, checkpointId]);

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
  /**
   * LangGraph (durability "async") sends a step's writes without waiting for the put of the
   * checkpoint they belong to, so they can be stored before it. Writes sent while their checkpoint
   * has no put under way are kept here (their session checkpoint ids, once stored) until its put
   * names them in the record; writes sent while its put is under way wait for it.
   */
  private readonly earlyWrites = new Map<string, Promise<string | null>[]>();
  private readonly puts = new Map<string, Promise<RunnableConfig>>();

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
   * `{ input_tokens, output_tokens }`, `{ tokens }`, or a LangChain message's `usage_metadata` as
   * it is. Returns the budget after it and the thresholds it crossed; the service sends the
   * threshold webhooks. With an `idempotencyKey`, a retried report counts once.
   */
  async recordUsage(
    threadId: string,
    usage: UsageReport | UsageMetadata,
    options: { idempotencyKey?: string; model?: string; source?: string } = {},
  ): Promise<UsageResult> {
    const session = await this.store.ensureSession(threadId);
    const { tokens, input_tokens, output_tokens, model, source } = usage as UsageReport;
    // Only the fields the service takes: usage_metadata also carries totals and token details.
    const report: UsageReport = Object.fromEntries(
      Object.entries({ tokens, input_tokens, output_tokens, model: options.model ?? model, source: options.source ?? source }).filter(
        ([, value]) => value !== undefined,
      ),
    );
    return this.store.recordUsage(session, report, options.idempotencyKey);
  }

  override async getTuple(config: RunnableConfig): Promise<CheckpointTuple | undefined> {
    const threadId = threadIdOf(config);
    if (threadId === undefined) return undefined;
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const checkpointId = getCheckpointId(config) || undefined;
    const session = await this.store.liveSession(threadId);
    if (!session) return undefined;
    const view = scanningView(threadId, this.store.log(session));
    const stored = await this.findCheckpoint(view.log, ns, checkpointId);
    return stored ? this.toTuple(view, stored) : undefined;
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
          const metadata = (await this.load(record.metadata)) as Record<string, unknown>;
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
    // Registered before any await, so that writes sent from now on wait for this put.
    const key = putKeyOf(threadId, ns, checkpoint.id);
    const early = this.earlyWrites.get(key) ?? [];
    this.earlyWrites.delete(key);
    const stored = this.putCheckpoint(threadId, ns, config, checkpoint, metadata, newVersions, early);
    this.puts.set(key, stored);
    const forget = () => {
      if (this.puts.get(key) === stored) this.puts.delete(key);
    };
    stored.then(forget, forget);
    return stored;
  }

  private async putCheckpoint(
    threadId: string,
    ns: string,
    config: RunnableConfig,
    checkpoint: Checkpoint,
    metadata: CheckpointMetadata,
    newVersions: ChannelVersions,
    early: Promise<string | null>[],
  ): Promise<RunnableConfig> {
    const earlyWrites = (await Promise.all(early)).filter((id): id is string => id !== null).sort();
    const parentId: string | undefined = config.configurable?.checkpoint_id || undefined;
    const session = await this.store.ensureSession(threadId);
    const parent = parentId ? await this.findCheckpoint(this.store.log(session), ns, parentId) : undefined;

    const { channel_values: values, ...rest } = copyCheckpoint(checkpoint);
    const newValues: Record<string, TypedBlob> = {};
    for (const channel of Object.keys(newVersions)) {
      if (Object.hasOwn(values, channel) && values[channel] !== undefined) {
        newValues[channel] = encodeBlob(await this.serde.dumpsTyped(values[channel]));
      }
    }
    const record: CheckpointRecord = {
      langgraph: 'checkpoint',
      format: RECORD_FORMAT,
      thread_id: threadId,
      checkpoint_ns: ns,
      checkpoint_id: checkpoint.id,
      parent_checkpoint_id: parentId ?? null,
      checkpoint: encodeBlob(await this.serde.dumpsTyped(rest)),
      metadata: encodeBlob(await this.serde.dumpsTyped(metadata)),
      channels: channelEntries(checkpoint.channel_versions, newVersions, newValues, parent ?? null),
      ...(earlyWrites.length > 0 ? { early_writes: earlyWrites } : {}),
      ...(typeof metadata.source === 'string' ? { source: metadata.source } : {}),
      ...(typeof metadata.step === 'number' ? { step: metadata.step } : {}),
    };
    const { sessionCheckpointId } = await this.store.append(threadId, session, checkpointPhase(checkpoint.id), record);
    this.remember(session.session_id, { sessionCheckpointId, record });
    return { configurable: { thread_id: threadId, checkpoint_ns: ns, checkpoint_id: checkpoint.id } };
  }

  override async putWrites(config: RunnableConfig, writes: PendingWrite[], taskId: string, taskPath?: string): Promise<void> {
    const threadId = threadIdOf(config);
    const checkpointId: string | undefined = config.configurable?.checkpoint_id || undefined;
    if (threadId === undefined) throw new Error('Failed to put writes: the config has no configurable.thread_id');
    if (checkpointId === undefined) throw new Error('Failed to put writes: the config has no configurable.checkpoint_id');
    if (writes.length === 0) return;
    const ns: string = config.configurable?.checkpoint_ns ?? '';
    const key = putKeyOf(threadId, ns, checkpointId);
    const putting = this.puts.get(key);
    const stored = this.appendWrites(threadId, ns, checkpointId, writes, taskId, taskPath, putting);
    if (!putting) this.noteEarlyWrites(key, stored);
    await stored;
  }

  private noteEarlyWrites(key: string, stored: Promise<string>): void {
    const pending = stored.catch(() => null);
    const known = this.earlyWrites.get(key);
    if (known) {
      known.push(pending);
      return;
    }
    this.earlyWrites.set(key, [pending]);
    if (this.earlyWrites.size > EARLY_WRITES_CHECKPOINTS) this.earlyWrites.delete(this.earlyWrites.keys().next().value!);
  }

  /** Stores one writes record, after the put of its checkpoint when one is under way; returns its session checkpoint id. */
  private async appendWrites(
    threadId: string,
    ns: string,
    checkpointId: string,
    writes: PendingWrite[],
    taskId: string,
    taskPath: string | undefined,
    putting: Promise<unknown> | undefined,
  ): Promise<string> {
    await putting?.catch(() => undefined);
    const session = await this.store.ensureSession(threadId);
    const record: WritesRecord = {
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
          value: encodeBlob(await this.serde.dumpsTyped(value)),
        })),
      ),
    };
    const { sessionCheckpointId } = await this.store.append(threadId, session, writesPhase(checkpointId), record);
    return sessionCheckpointId;
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

  private load(blob: TypedBlob): Promise<unknown> {
    return this.serde.loadsTyped(blob.type, decodeBlob(blob));
  }

  private async toTuple(view: ThreadView, { record }: StoredCheckpoint): Promise<CheckpointTuple> {
    const { checkpoint_ns: ns, checkpoint_id: checkpointId, parent_checkpoint_id: parentId } = record;
    const checkpoint = (await this.load(record.checkpoint)) as Checkpoint;
    checkpoint.channel_values = await this.channelValues(view.log, record);

    const pendingWrites: CheckpointPendingWrite[] = await Promise.all(
      mergeWrites(await view.writesOf(ns, checkpointId, record.early_writes)).map(async (write) => [
        write.taskId,
        write.channel,
        await this.load(write.value),
      ]),
    );
    // Checkpoints before format 4 kept the parent's pending sends out of the state (as MemorySaver migrates them).
    if (checkpoint.v < 4 && parentId) {
      const sends = mergeWrites(await view.writesOf(ns, parentId)).filter((write) => write.channel === TASKS);
      checkpoint.channel_values[TASKS] = await Promise.all(sends.map((write) => this.load(write.value)));
      const versions = Object.values(checkpoint.channel_versions);
      checkpoint.channel_versions[TASKS] = versions.length > 0 ? maxChannelVersion(...versions) : this.getNextVersion(undefined);
    }

    const configurable = { thread_id: view.threadId, checkpoint_ns: ns };
    return {
      config: { configurable: { ...configurable, checkpoint_id: checkpointId } },
      checkpoint,
      metadata: (await this.load(record.metadata)) as CheckpointMetadata,
      pendingWrites,
      ...(parentId ? { parentConfig: { configurable: { ...configurable, checkpoint_id: parentId } } } : {}),
    };
  }

  /** Channel values: inline, or from the ancestor's session checkpoint its entry refers to. */
  private async channelValues(log: RecordLog, record: CheckpointRecord): Promise<Record<string, unknown>> {
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
      if (blob) values[channel] = await this.load(blob);
    }
    return values;
  }
}
