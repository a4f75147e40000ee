// A LangChain callback handler that reports the tokens of every model call to the session of the
// call's LangGraph thread, from the `usage_metadata` of the messages the model returned: add it to
// a graph's (or a model's) callbacks and the thread's budget, threshold webhooks and usage history
// follow the graph's model calls with no recordUsage in the nodes.
import { BaseCallbackHandler, type BaseCallbackHandlerInput } from '@langchain/core/callbacks/base';
import type { UsageMetadata } from '@langchain/core/messages';
import type { ChatGeneration, Generation, LLMResult } from '@langchain/core/outputs';
import { ProblemError, type UsageResult } from '@session-state/client';
import type { UsageReport } from './thread-store.js';

/** What the handler needs of the checkpointer: SessionStateSaver's recordUsage. */
export interface UsageRecorder {
  recordUsage(threadId: string, usage: UsageReport, options?: { idempotencyKey?: string; model?: string; source?: string }): Promise<UsageResult>;
}

/** One model call the handler recorded. */
export interface RecordedModelCall {
  threadId: string;
  /** LangChain's run id of the model call (also in the report's Idempotency-Key). */
  runId: string;
  usage: UsageReport;
  model?: string;
  source?: string;
}

export interface SessionStateUsageHandlerOptions extends Pick<BaseCallbackHandlerInput, 'raiseError'> {
  /** The checkpointer of the graph: the usage goes to its thread's session (created if the thread has none yet). */
  saver: UsageRecorder;
  /**
   * The thread of the model calls, for calls made outside a graph. In a graph, the default, the
   * thread is the run's `configurable.thread_id`, which LangGraph passes to callbacks in their metadata.
   */
  threadId?: string;
  /** The usage entries' `source` (default: the LangGraph node that made the call, e.g. `agent`). */
  source?: string;
  /** Called with the service's answer after each recorded call: the budget after it, the thresholds it crossed, the session's status. */
  onUsage?: (result: UsageResult, call: RecordedModelCall) => void | Promise<void>;
}

const MAX_NAME_LENGTH = 256;

interface PendingCall {
  threadId: string | undefined;
  source: string | undefined;
}

const metadataString = (metadata: Record<string, unknown> | undefined, key: string): string | undefined => {
  const value = metadata?.[key];
  return typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;
};

const hasMessage = (generation: Generation): generation is ChatGeneration => 'message' in generation;

/** The counts of `usage_metadata` the service reads (the rest is left out of the report). */
const INPUT_DETAILS = ['cache_read', 'cache_creation', 'ephemeral_1h_input_tokens'] as const;
const OUTPUT_DETAILS = ['reasoning'] as const;

type Counts = Record<string, number>;
const add = (sum: Counts, key: string, value: unknown) => {
  if (typeof value === 'number' && Number.isFinite(value)) sum[key] = (sum[key] ?? 0) + value;
};

/** A LangChain `usage_metadata` rather than a usage report of the service (which has neither totals nor details). */
export function isUsageMetadata(usage: object): usage is UsageMetadata {
  return !('provider' in usage) && ('total_tokens' in usage || 'input_token_details' in usage || 'output_token_details' in usage);
}

/**
 * `usage_metadata` objects summed into one, with the counts the service reads: input and output
 * tokens, the cache reads and creations of the input, the reasoning of the output.
 */
export type SummedUsage = {
  input_tokens?: number;
  output_tokens?: number;
  total_tokens?: number;
  input_token_details?: Counts;
  output_token_details?: Counts;
};

export function sumUsageMetadata(usages: UsageMetadata[]): SummedUsage {
  const sum: Counts = {};
  const inputDetails: Counts = {};
  const outputDetails: Counts = {};
  for (const usage of usages) {
    add(sum, 'input_tokens', usage.input_tokens);
    add(sum, 'output_tokens', usage.output_tokens);
    add(sum, 'total_tokens', usage.total_tokens);
    const inDetails = (usage.input_token_details ?? {}) as Record<string, unknown>;
    const outDetails = (usage.output_token_details ?? {}) as Record<string, unknown>;
    for (const key of INPUT_DETAILS) add(inputDetails, key, inDetails[key]);
    for (const key of OUTPUT_DETAILS) add(outputDetails, key, outDetails[key]);
  }
  return {
    ...(sum as Pick<SummedUsage, 'input_tokens' | 'output_tokens' | 'total_tokens'>),
    ...(Object.keys(inputDetails).length ? { input_token_details: inputDetails } : {}),
    ...(Object.keys(outputDetails).length ? { output_token_details: outputDetails } : {}),
  };
}

/**
 * The tokens of one model call from its generations' `usage_metadata` (summed when a call returns
 * several), as the service's usage report: `{ provider: "langchain", usage }`, so that the service
 * counts the cache reads and writes inside input_tokens as such, or the total alone when a model
 * only gives that. Undefined when the model reported no usage.
 */
export function usageOf(output: LLMResult): { usage: UsageReport; model?: string } | undefined {
  const usages: UsageMetadata[] = [];
  let model: string | undefined;
  for (const generation of output.generations.flat()) {
    if (!hasMessage(generation)) continue;
    const message = generation.message as { usage_metadata?: UsageMetadata; response_metadata?: Record<string, unknown> };
    if (!message.usage_metadata) continue;
    usages.push(message.usage_metadata);
    model ??= metadataString(message.response_metadata, 'model_name') ?? metadataString(message.response_metadata, 'model');
  }
  if (usages.length === 0) return undefined;
  const modelField = model === undefined ? {} : { model: model.slice(0, MAX_NAME_LENGTH) };
  const summed = sumUsageMetadata(usages);
  if ((summed.input_tokens ?? 0) + (summed.output_tokens ?? 0) > 0) return { usage: { provider: 'langchain', usage: summed }, ...modelField };
  if ((summed.total_tokens ?? 0) > 0) return { usage: { tokens: summed.total_tokens }, ...modelField };
  return undefined;
}

/**
 * Records every model call's `usage_metadata` on the session of its LangGraph thread:
 *
 * ```ts
 * const checkpointer = new SessionStateSaver({ client });
 * const graph = workflow.compile({ checkpointer });
 * const usage = new SessionStateUsageHandler({ saver: checkpointer });
 * await graph.invoke(input, { configurable: { thread_id: 'ticket-42' }, callbacks: [usage] });
 * ```
 *
 * Each report is sent before the model call returns (the next node sees the budget it left) with
 * the run id in its Idempotency-Key, so a resent report counts once. A report that fails is logged
 * by LangChain and the graph goes on, unless `raiseError` is set. Models that report no
 * `usage_metadata` record nothing.
 */
export class SessionStateUsageHandler extends BaseCallbackHandler {
  override name = 'session_state_usage';
  override ignoreChain = true;
  override ignoreAgent = true;
  override ignoreRetriever = true;
  override ignoreCustomEvent = true;

  readonly saver: UsageRecorder;
  readonly threadId: string | undefined;
  readonly source: string | undefined;
  readonly onUsage: SessionStateUsageHandlerOptions['onUsage'];
  /** Model calls under way, by run id: their thread and node are known at the start only. */
  private readonly pending: Map<string, PendingCall>;

  constructor(options: SessionStateUsageHandlerOptions) {
    // Awaited: the report is made before the model call returns, in order with the graph's steps.
    super({ raiseError: options.raiseError, _awaitHandler: true });
    this.saver = options.saver;
    this.threadId = options.threadId;
    this.source = options.source;
    this.onUsage = options.onUsage;
    // LangChain's copy() passes the handler itself as the options: a copy shares the calls under way.
    this.pending = options instanceof SessionStateUsageHandler ? options.pending : new Map();
  }

  override async handleChatModelStart(
    _llm: unknown,
    _messages: unknown,
    runId: string,
    _parentRunId?: string,
    _extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    this.start(runId, metadata);
  }

  override async handleLLMStart(
    _llm: unknown,
    _prompts: string[],
    runId: string,
    _parentRunId?: string,
    _extraParams?: Record<string, unknown>,
    _tags?: string[],
    metadata?: Record<string, unknown>,
  ): Promise<void> {
    this.start(runId, metadata);
  }

  override async handleLLMError(_error: unknown, runId: string): Promise<void> {
    this.pending.delete(runId);
  }

  override async handleLLMEnd(output: LLMResult, runId: string): Promise<void> {
    const call = this.pending.get(runId);
    this.pending.delete(runId);
    const found = usageOf(output);
    if (!found) return;
    const threadId = call?.threadId ?? this.threadId;
    if (threadId === undefined) {
      throw new Error(
        'SessionStateUsageHandler: this model call has no thread: run it in a graph invoked with configurable.thread_id, or give the handler a threadId',
      );
    }
    const recorded: RecordedModelCall = {
      threadId,
      runId,
      usage: found.usage,
      ...(found.model === undefined ? {} : { model: found.model }),
      ...(call?.source === undefined ? {} : { source: call.source }),
    };
    const result = await this.record(recorded);
    await this.onUsage?.(result, recorded);
  }

  private start(runId: string, metadata: Record<string, unknown> | undefined): void {
    const node = metadataString(metadata, 'langgraph_node');
    this.pending.set(runId, {
      threadId: metadataString(metadata, 'thread_id') ?? this.threadId,
      source: (this.source ?? node)?.slice(0, MAX_NAME_LENGTH),
    });
  }

  private async record(call: RecordedModelCall): Promise<UsageResult> {
    const options = { model: call.model, source: call.source };
    try {
      return await this.saver.recordUsage(call.threadId, call.usage, { ...options, idempotencyKey: `langchain-run-${call.runId}` });
    } catch (error) {
      // The session was archived under us (an emergency recovery, say): the thread's live session
      // is looked up again. Another key, since the first one may hold the refusal.
      if (!(error instanceof ProblemError && error.code === 'SESSION_ARCHIVED')) throw error;
      return this.saver.recordUsage(call.threadId, call.usage, { ...options, idempotencyKey: `langchain-run-${call.runId}-retry` });
    }
  }
}
