/**
 * LangGraph.js checkpointer backed by the Session State Service (`@session-state/langgraph`), a
 * callback handler that records each model call's usage on the thread's session, and emergency
 * recovery of a thread.
 *
 * ```ts
 * import { createClient } from '@session-state/client';
 * import { SessionStateSaver, SessionStateUsageHandler } from '@session-state/langgraph';
 * const checkpointer = new SessionStateSaver({ client: createClient() });
 * const graph = workflow.compile({ checkpointer });
 * await graph.invoke(input, { configurable: { thread_id: 'ticket-42' }, callbacks: [new SessionStateUsageHandler({ saver: checkpointer })] });
 * ```
 */
export { SessionStateSaver, type SessionStateSaverOptions } from './session-state-saver.js';
export type { NewSessionFields, UsageReport } from './thread-store.js';
export {
  SessionStateUsageHandler,
  usageOf,
  type RecordedModelCall,
  type SessionStateUsageHandlerOptions,
  type UsageRecorder,
} from './usage-callback.js';
export { recoverThread } from './recovery.js';
